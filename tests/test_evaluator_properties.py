"""Custom properties the Evaluator sets on its ModelEvaluation and ModelBlessing
(components/ner_evaluator/properties.py): names, values and property types."""

from tfx.types.standard_artifacts import ModelBlessing, ModelEvaluation

from components.ner_evaluator import properties
from components.ner_evaluator.blessing import Baseline, Decision

RESULTS = {"splits": {
    split: {"loss": loss, "accuracy": accuracy, "entities": {"micro": {
        "precision": 0.8, "recall": 0.7, "f1": f1, "support": 10}}}
    for split, loss, accuracy, f1 in (("eval", 0.2, 0.95, 0.75), ("test", 0.3, 0.93, 0.72))}}


def _decision(blessed=True, baseline_f1=None, with_baseline=False) -> Decision:
    baseline = Baseline("/models/3", 3, list, list) if with_baseline else None
    return Decision(blessed, "why", 0.72, 0.7, 0.01, baseline, baseline_f1)


def test_evaluation_properties_per_split():
    assert properties.evaluation_properties(RESULTS) == {
        "eval_entity_precision": 0.8, "eval_entity_recall": 0.7, "eval_entity_f1": 0.75,
        "eval_loss": 0.2, "eval_accuracy": 0.95,
        "test_entity_precision": 0.8, "test_entity_recall": 0.7, "test_entity_f1": 0.72,
        "test_loss": 0.3, "test_accuracy": 0.93}


def test_blessing_properties_without_baseline():
    assert properties.blessing_properties(_decision(), "/models/7", 7) == {
        "blessed": 1, "blessing_reason": "why", "current_model": "/models/7",
        "current_model_id": 7, "test_entity_f1": 0.72, "best_blessed_test_entity_f1": 0.72}


def test_blessing_properties_with_a_better_baseline():
    written = properties.blessing_properties(
        _decision(baseline_f1=0.725, with_baseline=True), "/models/7", 7)
    assert written[properties.BEST_F1_PROPERTY] == 0.725
    assert (written["baseline_model"], written["baseline_model_id"]) == ("/models/3", 3)


def test_no_best_f1_when_not_blessed():
    written = properties.blessing_properties(
        _decision(blessed=False, baseline_f1=0.8, with_baseline=True), "/models/7", 7)
    assert written["blessed"] == 0 and properties.BEST_F1_PROPERTY not in written
    assert written["baseline_model_id"] == 3


def test_each_property_gets_the_setter_of_its_type():
    blessing, evaluation = ModelBlessing(), ModelEvaluation()
    properties.set_properties(blessing, properties.blessing_properties(
        _decision(), "/models/7", 7))
    properties.set_properties(evaluation, properties.evaluation_properties(RESULTS))
    assert blessing.get_int_custom_property("blessed") == 1
    assert blessing.get_int_custom_property("current_model_id") == 7
    assert blessing.get_string_custom_property("current_model") == "/models/7"
    assert blessing.get_float_custom_property("test_entity_f1") == 0.72
    assert blessing.mlmd_artifact.custom_properties["test_entity_f1"].HasField("double_value")
    assert evaluation.get_float_custom_property("test_loss") == 0.3
