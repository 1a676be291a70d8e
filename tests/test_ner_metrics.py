"""Evaluator metrics agree with seqeval; CoNLL prediction files."""

import math

import pytest
from seqeval.metrics import f1_score, precision_score, recall_score

from components.ner_evaluator import metrics, report
from tests.conftest import CONLL

GOLD = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "O"], ["B-MISC", "O"],
        ["I-LOC", "I-LOC", "O", "B-PER"]]
PREDICTED = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O", "O"], ["O", "B-MISC"],
             ["B-LOC", "I-LOC", "O", "I-PER"]]


def test_micro_and_per_type_scores_are_seqeval_default():
    scores = metrics.entity_scores(GOLD, PREDICTED, CONLL.types)
    assert scores["micro"]["precision"] == pytest.approx(precision_score(GOLD, PREDICTED))
    assert scores["micro"]["recall"] == pytest.approx(recall_score(GOLD, PREDICTED))
    assert scores["micro"]["f1"] == pytest.approx(f1_score(GOLD, PREDICTED))
    per_type = f1_score(GOLD, PREDICTED, average=None)
    assert [scores[kind]["f1"] for kind in ("LOC", "MISC", "ORG", "PER")] == pytest.approx(
        list(per_type))
    # Worked by hand: gold has 6 entities, prediction 6, of which 3 match exactly.
    assert scores["micro"]["f1"] == pytest.approx(0.5)
    assert scores["PER"]["support"] == 2


def test_types_without_entities_score_zero():
    scores = metrics.entity_scores([["B-PER"]], [["B-PER"]], CONLL.types)
    assert scores["ORG"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert scores["micro"]["f1"] == 1.0


def test_token_metrics_over_words():
    values = metrics.token_metrics([["O", "B-PER"]], [["O", "B-LOC"]], [0.5, 0.25])
    assert values["accuracy"] == 0.5
    assert values["loss"] == pytest.approx(-(math.log(0.5) + math.log(0.25)) / 2)


def test_confusion_matrix_of_entity_types():
    confusion = metrics.entity_confusion(GOLD, PREDICTED, CONLL.types)
    assert confusion["LOC"]["ORG"] == 1            # B-LOC predicted as B-ORG, same span
    assert confusion["ORG"][metrics.MISSED] == 1    # span differs
    assert confusion["MISC"][metrics.MISSED] == 1
    assert confusion[metrics.SPURIOUS]["MISC"] == 1
    assert confusion[metrics.SPURIOUS]["ORG"] == 1
    assert confusion["LOC"]["LOC"] == 1 and confusion["PER"]["PER"] == 2


def test_conll_prediction_file():
    text = report.conll_predictions([["EU", "says"], ["Hi"]], [["B-ORG", "O"], ["O"]],
                                    [["B-ORG", "O"], ["B-PER"]])
    assert text == "EU B-ORG B-ORG\nsays O O\n\nHi O B-PER\n"
