"""NerEvaluator: entity-level evaluation and blessing of the trained model.

A custom component rather than the standard Evaluator: TFMA computes metrics
per example from fixed-shape predictions, while conlleval-style entity F1
needs whole tag sequences per sentence; a TFMA metric could approximate it
but not reproduce seqeval exactly. This component still emits the standard
artifacts: a ModelEvaluation (metrics, report, predictions; linked to the
model in MLMD by lineage) and a ModelBlessing carrying the custom properties
that the standard Pusher and LatestBlessedModelStrategy read.
"""

import json
import os
from typing import Optional

import tensorflow as tf
from absl import logging
from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types import artifact_utils
from tfx.types.standard_artifacts import Examples, Model, ModelBlessing, ModelEvaluation, ModelRun
from tfx.utils import path_utils

from components.ner_evaluator import charts, errors, metrics, report
from components.ner_evaluator.best_blessed_model import (
    BLESSED_PROPERTY, CURRENT_MODEL_ID_PROPERTY, TEST_F1_PROPERTY)
from components.ner_evaluator.predictions import predict_split
from contracts import features
from contracts.inventory import EntityInventory, read_inventory
from modules.trainer.export import served_inventory
from contracts.files import EPOCH_CURVES, STEP_CURVE

METRICS_FILE = "metrics.json"
REPORT_FILE = "report.md"
EVALUATED_SPLITS = (features.EVAL_SPLIT, features.TEST_SPLIT)
# Custom property of blessed models' ModelBlessing (next to TEST_F1_PROPERTY):
# the better of this model's test entity F1 and its blessed baseline's.
BEST_F1_PROPERTY = "best_blessed_test_entity_f1"


def _write(path: str, content: str) -> None:
    with tf.io.gfile.GFile(path, "w") as handle:
        handle.write(content)


def evaluate_split(model, examples: Examples, split: str, inventory: EntityInventory):
    predictions = predict_split(model, artifact_utils.get_split_uri([examples], split),
                                inventory.labels)
    return predictions, {
        **metrics.token_metrics(predictions.gold, predictions.predicted,
                                predictions.gold_probabilities),
        "entities": metrics.entity_scores(predictions.gold, predictions.predicted,
                                          inventory.types),
        "argmax_entity_f1": metrics.entity_scores(predictions.gold, predictions.argmax,
                                                  inventory.types)[metrics.MICRO]["f1"],
        "confusion": metrics.entity_confusion(predictions.gold, predictions.predicted,
                                              inventory.types),
    }


def _load_served(model: Model):
    return tf.saved_model.load(path_utils.serving_model_path(model.uri))


def _baseline_test_f1(baseline: Model, examples: Examples, inventory: EntityInventory
                      ) -> Optional[float]:
    """The baseline's test F1, or None when it knows other entity types (it
    cannot be compared on this data: the candidate is judged on its own)."""
    loaded = _load_served(baseline)
    known = served_inventory(loaded)
    if known.labels != inventory.labels:
        logging.warning("The blessed baseline knows the entity types %s, this data %s: "
                        "not compared", ", ".join(known.types), ", ".join(inventory.types))
        return None
    predictions = predict_split(loaded, artifact_utils.get_split_uri(
        [examples], features.TEST_SPLIT), inventory.labels)
    return metrics.entity_scores(predictions.gold, predictions.predicted,
                                 inventory.types)[metrics.MICRO]["f1"]


@component
def NerEvaluator(
        examples: InputArtifact[Examples],
        model: InputArtifact[Model],
        model_run: InputArtifact[ModelRun],
        evaluation: OutputArtifact[ModelEvaluation],
        blessing: OutputArtifact[ModelBlessing],
        f1_threshold: Parameter[float],
        regression_tolerance: Parameter[float],
        code_fingerprint: Parameter[str],  # pylint: disable=unused-argument
        baseline_model: InputArtifact[Model] = None,
) -> None:
    """Scores eval and test, writes report and predictions, blesses or not.

    ``code_fingerprint`` is only read by TFX's cache (pipeline/fingerprint.py).
    """
    loaded = _load_served(model)
    inventory = read_inventory(examples.uri)
    results, error_tables = {"splits": {}, "entity_types": list(inventory.types)}, {}
    for split in EVALUATED_SPLITS:
        predictions, split_metrics = evaluate_split(loaded, examples, split, inventory)
        results["splits"][split] = split_metrics
        _write(os.path.join(evaluation.uri, f"predictions-{split}.conll"),
               report.conll_predictions(predictions.tokens, predictions.gold, predictions.predicted))
        error_tables[split] = errors.analyse(predictions.tokens, predictions.gold,
                                             predictions.predicted, evaluation.uri, split)
        split_metrics["errors"] = dict(zip(error_tables[split]["categories"]["category"],
                                           error_tables[split]["categories"]["errors"].tolist()))
        logging.info("%s: %s", split, {k: v for k, v in split_metrics.items() if k != "confusion"})

    test_f1 = results["splits"][features.TEST_SPLIT]["entities"]["micro"]["f1"]
    baseline_f1 = None
    if baseline_model is not None:
        # The best blessed model so far (pipeline/pipeline.py picks the resolver),
        # measured again on today's test split. (Its blessing is not an input: each
        # rerun adds a blessing, which would keep this component out of the cache.)
        baseline_f1 = (test_f1 if baseline_model.id == model.id
                       else _baseline_test_f1(baseline_model, examples, inventory))
        results["baseline"] = {"model_uri": baseline_model.uri, "test_entity_f1": baseline_f1}
    if baseline_model is not None and baseline_model.id == model.id:
        blessed, reason = True, (f"this model (test entity F1 {test_f1:.4f}) is already the "
                                 f"blessed baseline")
    else:
        blessed, reason = metrics.blessing_decision(test_f1, f1_threshold, baseline_f1,
                                                    regression_tolerance)
    results["blessing"] = {"blessed": blessed, "reason": reason, "f1_threshold": f1_threshold,
                           "regression_tolerance": regression_tolerance}
    logging.info("%s: %s", "Blessed" if blessed else "Not blessed", reason)

    curves = []
    for name in (STEP_CURVE, *EPOCH_CURVES):
        source = os.path.join(model_run.uri, name)
        if tf.io.gfile.exists(source):
            tf.io.gfile.copy(source, os.path.join(evaluation.uri, name), overwrite=True)
            curves.append(name)
    _write(os.path.join(evaluation.uri, METRICS_FILE), json.dumps(results, indent=2))
    _write(os.path.join(evaluation.uri, REPORT_FILE),
           report.markdown_report(results, blessed, reason, curves,
                                  charts.write_charts(results, evaluation.uri), error_tables))
    for split, split_metrics in results["splits"].items():
        micro = split_metrics["entities"]["micro"]
        for key in ("precision", "recall", "f1"):
            evaluation.set_float_custom_property(f"{split}_entity_{key}", micro[key])
        evaluation.set_float_custom_property(f"{split}_loss", split_metrics["loss"])
        evaluation.set_float_custom_property(f"{split}_accuracy", split_metrics["accuracy"])

    _write(os.path.join(blessing.uri, "BLESSED" if blessed else "NOT_BLESSED"), "")
    blessing.set_int_custom_property(BLESSED_PROPERTY, int(blessed))
    blessing.set_string_custom_property("blessing_reason", reason)
    blessing.set_string_custom_property("current_model", model.uri)
    blessing.set_int_custom_property(CURRENT_MODEL_ID_PROPERTY, model.id)
    blessing.set_float_custom_property(TEST_F1_PROPERTY, test_f1)
    if blessed:
        blessing.set_float_custom_property(BEST_F1_PROPERTY,
                                           metrics.best_after_blessing(baseline_f1, test_f1))
    if baseline_model is not None:
        blessing.set_string_custom_property("baseline_model", baseline_model.uri)
        blessing.set_int_custom_property("baseline_model_id", baseline_model.id)
