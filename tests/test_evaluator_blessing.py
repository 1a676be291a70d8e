"""The Evaluator's blessing decision (components/ner_evaluator/blessing.py), with
baselines made of numbers and callables: no model is loaded."""

import logging

import pytest

from components.ner_evaluator import blessing
from contracts.inventory import EntityInventory
from tests.conftest import CONLL

CANDIDATE_ID = 7


def _never():
    raise AssertionError("the baseline was loaded although it need not be")


def _baseline(model_id=3, f1=0.9, inventory=CONLL) -> blessing.Baseline:
    return blessing.Baseline("/models/3", model_id, lambda: inventory, lambda: f1)


def _decide(test_f1, baseline=None, threshold=0.85, tolerance=0.01) -> blessing.Decision:
    return blessing.decide(test_f1, CANDIDATE_ID, CONLL, f1_threshold=threshold,
                           regression_tolerance=tolerance, baseline=baseline)


@pytest.mark.parametrize("f1, threshold, best, tolerance, blessed, says", [
    (0.90, 0.85, None, 0.01, True, "the first blessed model"),
    (0.80, 0.85, None, 0.01, False, "below the threshold 0.8500"),
    (0.90, 0.85, 0.905, 0.01, True, "within 0.0100 of the blessed baseline's 0.9050"),
    (0.90, 0.85, 0.95, 0.01, False, "more than 0.0100 below the blessed baseline's 0.9500"),
    (0.96, 0.85, 0.95, 0.0, True, "blessed baseline's 0.9500"),
])
def test_blessing_decision(f1, threshold, best, tolerance, blessed, says):
    decision, reason = blessing.blessing_decision(f1, threshold, best, tolerance)
    assert decision is blessed
    assert f"{f1:.4f}" in reason and says in reason


def test_blessing_never_ratchets_down():
    """Each run a little worse than the last: within tolerance of the latest blessed
    model every time, but refused once it falls below the best minus the tolerance."""
    best, decisions = None, []
    for f1 in (0.900, 0.895, 0.891, 0.889, 0.886):
        blessed, _ = blessing.blessing_decision(f1, 0.8, best, 0.01)
        decisions.append(blessed)
        if blessed:
            best = blessing.best_after_blessing(best, f1)
    assert decisions == [True, True, True, False, False]
    assert best == 0.900


def test_without_baseline_the_threshold_decides(caplog):
    caplog.set_level(logging.INFO)
    decision = _decide(0.90)
    assert decision.blessed and "the first blessed model" in decision.reason
    assert decision.baseline_f1 is None and decision.best_f1 == 0.90
    assert decision.results() == {"blessing": {
        "blessed": True, "reason": decision.reason, "f1_threshold": 0.85,
        "regression_tolerance": 0.01}}
    assert f"Blessed: {decision.reason}" in caplog.messages
    refused = _decide(0.80)
    assert not refused.blessed and "below the threshold" in refused.reason
    assert f"Not blessed: {refused.reason}" in caplog.messages


def test_the_baseline_itself_is_blessed_again_without_loading_it():
    same = blessing.Baseline("/models/7", CANDIDATE_ID, _never, _never)
    decision = _decide(0.50, same)  # below the threshold: the baseline stays blessed
    assert decision.blessed
    assert decision.reason == ("this model (test entity F1 0.5000) is already the "
                               "blessed baseline")
    assert decision.baseline_f1 == 0.50
    assert decision.results()["baseline"] == {"model_uri": "/models/7", "test_entity_f1": 0.50}


@pytest.mark.parametrize("test_f1, blessed, best", [(0.895, True, 0.90), (0.885, False, None),
                                                    (0.93, True, 0.93)])
def test_another_baseline_is_scored_and_compared(test_f1, blessed, best):
    decision = _decide(test_f1, _baseline(f1=0.90))
    assert decision.blessed is blessed and decision.baseline_f1 == 0.90
    assert "blessed baseline's 0.9000" in decision.reason
    if blessed:
        assert decision.best_f1 == best
    assert list(decision.results()) == ["baseline", "blessing"]
    assert decision.results()["baseline"] == {"model_uri": "/models/3", "test_entity_f1": 0.90}


def test_a_baseline_of_other_entity_types_is_not_compared(caplog):
    other = EntityInventory(("PERSON", "PLACE"))
    baseline = blessing.Baseline("/models/3", 3, lambda: other, _never)
    decision = _decide(0.86, baseline)
    assert decision.blessed and "the first blessed model" in decision.reason
    assert decision.baseline_f1 is None
    assert decision.results()["baseline"] == {"model_uri": "/models/3", "test_entity_f1": None}
    assert ("The blessed baseline knows the entity types PERSON, PLACE, this data "
            "LOC, MISC, ORG, PER: not compared") in caplog.messages
