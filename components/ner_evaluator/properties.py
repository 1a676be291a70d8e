"""Custom properties of the Evaluator's artifacts: the numbers MLMD queries,
the Pusher and the resolver strategies read without opening any file."""

from typing import Dict, Union

from components.ner_evaluator.best_blessed_model import (
    BLESSED_PROPERTY, CURRENT_MODEL_ID_PROPERTY, TEST_F1_PROPERTY)
from components.ner_evaluator.blessing import Decision

# Custom property of blessed models' ModelBlessing (next to TEST_F1_PROPERTY):
# the better of this model's test entity F1 and its blessed baseline's.
BEST_F1_PROPERTY = "best_blessed_test_entity_f1"

Value = Union[int, float, str]


def evaluation_properties(results: Dict) -> Dict[str, float]:
    """Per split of metrics.json's ``results``: entity precision, recall and F1,
    loss and accuracy."""
    properties = {}
    for split, split_metrics in results["splits"].items():
        micro = split_metrics["entities"]["micro"]
        for key in ("precision", "recall", "f1"):
            properties[f"{split}_entity_{key}"] = float(micro[key])
        properties[f"{split}_loss"] = float(split_metrics["loss"])
        properties[f"{split}_accuracy"] = float(split_metrics["accuracy"])
    return properties


def blessing_properties(decision: Decision, model_uri: str, model_id: int) -> Dict[str, Value]:
    """The ModelBlessing's: what best_blessed_model.py and TFX's
    LatestBlessedModelStrategy resolve by, and the decision's reason."""
    properties: Dict[str, Value] = {
        BLESSED_PROPERTY: int(decision.blessed),
        "blessing_reason": decision.reason,
        "current_model": model_uri,
        CURRENT_MODEL_ID_PROPERTY: int(model_id),
        TEST_F1_PROPERTY: float(decision.test_f1),
    }
    if decision.blessed:
        properties[BEST_F1_PROPERTY] = float(decision.best_f1)
    if decision.baseline is not None:
        properties["baseline_model"] = decision.baseline.uri
        properties["baseline_model_id"] = int(decision.baseline.model_id)
    return properties


def set_properties(artifact, properties: Dict[str, Value]) -> None:
    """Sets each property with the setter of its type (int, float or string)."""
    for name, value in properties.items():
        if isinstance(value, str):
            artifact.set_string_custom_property(name, value)
        elif isinstance(value, float):
            artifact.set_float_custom_property(name, value)
        else:
            artifact.set_int_custom_property(name, value)
