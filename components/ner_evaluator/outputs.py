"""Writing what the Evaluator found into its two output artifacts: the files of
the ModelEvaluation and the blessing file, each with its custom properties."""

import json
import os
from typing import List, Optional

import tensorflow as tf

from components.ner_evaluator import charts, error_analysis, report
from components.ner_evaluator.blessing import Decision
from components.ner_evaluator.evaluation import Evaluation
from components.ner_evaluator.properties import (
    blessing_properties, evaluation_properties, set_properties)
from contracts.drift import DriftCheck
from contracts.files import EPOCH_CURVES, STEP_CURVE

METRICS_FILE = "metrics.json"
REPORT_FILE = "report.md"


def _write(path: str, content: str) -> None:
    with tf.io.gfile.GFile(path, "w") as handle:
        handle.write(content)


def copy_curves(model_run_uri: str, directory: str) -> List[str]:
    """Copies the training curves the ModelRun has into ``directory`` (the report
    shows them beside the scores); returns their names."""
    curves = []
    for name in (STEP_CURVE, *EPOCH_CURVES):
        source = os.path.join(model_run_uri, name)
        if tf.io.gfile.exists(source):
            tf.io.gfile.copy(source, os.path.join(directory, name), overwrite=True)
            curves.append(name)
    return curves


def write_evaluation(artifact, evaluation: Evaluation, decision: Decision,
                     model_run_uri: str, drift: Optional[DriftCheck] = None) -> None:
    """Predictions and error tables per split, training curves, metrics.json, charts
    and report.md (with the ``drift`` check, if given) into the ModelEvaluation
    ``artifact``, then its properties."""
    directory = artifact.uri
    error_tables = {}
    for split, predictions in evaluation.predictions.items():
        _write(os.path.join(directory, f"predictions-{split}.conll"),
               report.conll_predictions(predictions.tokens, predictions.gold,
                                        predictions.predicted))
        tables = evaluation.error_tables[split]
        error_tables[split] = {**tables, "files": error_analysis.write_tables(
            tables, directory, split)}
    curves = copy_curves(model_run_uri, directory)
    results = {**evaluation.results, **decision.results()}
    _write(os.path.join(directory, METRICS_FILE), json.dumps(results, indent=2))
    _write(os.path.join(directory, REPORT_FILE),
           report.markdown_report(results, decision.blessed, decision.reason, curves,
                                  charts.write_charts(results, directory), error_tables,
                                  drift=drift))
    set_properties(artifact, evaluation_properties(results))


def write_blessing(artifact, decision: Decision, model_uri: str, model_id: int) -> None:
    """The BLESSED or NOT_BLESSED file TFX's Pusher looks for, and the properties."""
    _write(os.path.join(artifact.uri, "BLESSED" if decision.blessed else "NOT_BLESSED"), "")
    set_properties(artifact, blessing_properties(decision, model_uri, model_id))
