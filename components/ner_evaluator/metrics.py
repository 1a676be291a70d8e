"""Word-level NER metrics: loss, accuracy, and entity scores from seqeval.

Entity precision/recall/F1 are seqeval's default (conlleval-compatible)
scoring, called directly, so the numbers are seqeval's by construction.
"""

import math
from typing import Dict, List, Sequence

from seqeval.metrics import classification_report
from seqeval.metrics.sequence_labeling import get_entities

MICRO = "micro"
MISSED = "(missed)"      # a gold entity with no predicted span
SPURIOUS = "(spurious)"  # a predicted span with no gold entity


def entity_scores(gold: List[List[str]], predicted: List[List[str]], types: Sequence[str]
                  ) -> Dict[str, Dict[str, float]]:
    """Per type of the inventory (``types``, in its order) and micro average:
    precision, recall, f1, support."""
    report = classification_report(gold, predicted, output_dict=True, zero_division=0)
    scores = {kind: {key: float(report.get(kind, {}).get(key, 0.0))
                     for key in ("precision", "recall", "f1-score", "support")}
              for kind in tuple(types) + ("micro avg",)}
    for values in scores.values():
        values["f1"] = values.pop("f1-score")
        values["support"] = int(values["support"])
    scores[MICRO] = scores.pop("micro avg")
    return scores


def types_of(scores: Dict[str, Dict[str, float]]) -> List[str]:
    """The entity types of an entity_scores result, in inventory order."""
    return [kind for kind in scores if kind != MICRO]


def token_metrics(gold: List[List[str]], predicted: List[List[str]],
                  gold_probabilities: Sequence[float]) -> Dict[str, float]:
    """Mean cross-entropy of the gold tags and accuracy, over words (padding never counts)."""
    pairs = [(g, p) for gold_row, predicted_row in zip(gold, predicted)
             for g, p in zip(gold_row, predicted_row)]
    words = max(len(pairs), 1)
    loss = -sum(math.log(max(probability, 1e-12)) for probability in gold_probabilities) / words
    return {"loss": loss, "accuracy": sum(g == p for g, p in pairs) / words, "words": len(pairs)}


def entity_confusion(gold: List[List[str]], predicted: List[List[str]], types: Sequence[str]
                     ) -> Dict[str, Dict[str, int]]:
    """Counts of (gold type, predicted type) over entity spans.

    Spans are matched on their exact word extent; an unmatched gold span
    counts as predicted MISSED, an unmatched predicted span as gold SPURIOUS.
    """
    rows = list(types) + [SPURIOUS]
    columns = list(types) + [MISSED]
    matrix = {row: {column: 0 for column in columns} for row in rows}
    for gold_row, predicted_row in zip(gold, predicted):
        gold_spans = {(start, end): kind for kind, start, end in get_entities(gold_row)}
        predicted_spans = {(start, end): kind for kind, start, end in get_entities(predicted_row)}
        for span, kind in gold_spans.items():
            matrix[kind][predicted_spans.get(span, MISSED)] += 1
        for span, kind in predicted_spans.items():
            if span not in gold_spans:
                matrix[SPURIOUS][kind] += 1
    return matrix
