"""NerEvaluator: entity-level evaluation and blessing of the trained model.

A custom component rather than the standard Evaluator: TFMA computes metrics
per example from fixed-shape predictions, while conlleval-style entity F1
needs whole tag sequences per sentence; a TFMA metric could approximate it
but not reproduce seqeval exactly. This component still emits the standard
artifacts: a ModelEvaluation (metrics, report, predictions; linked to the
model in MLMD by lineage) and a ModelBlessing carrying the custom properties
that the standard Pusher and LatestBlessedModelStrategy read.

The executor is glue: evaluation.py scores, blessing.py decides (pure, so
tested without models), outputs.py and properties.py write the artifacts.
"""

from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types import artifact_utils
from tfx.types.standard_artifacts import (
    ExampleAnomalies, Examples, Model, ModelBlessing, ModelEvaluation, ModelRun)

from components.ner_evaluator.blessing import decide
from components.ner_evaluator.evaluation import (
    EVALUATED_SPLITS, evaluate, load_served, served_baseline)
from components.ner_evaluator.outputs import write_blessing, write_evaluation
from contracts import features
from contracts.drift import CHECK_PROPERTY, DriftCheck
from contracts.inventory import read_inventory


@component
def NerEvaluator(
        examples: InputArtifact[Examples],
        model: InputArtifact[Model],
        model_run: InputArtifact[ModelRun],
        evaluation: OutputArtifact[ModelEvaluation],
        blessing: OutputArtifact[ModelBlessing],
        f1_threshold: Parameter[float],
        regression_tolerance: Parameter[float],
        baseline_model: InputArtifact[Model] = None,
        drift: InputArtifact[ExampleAnomalies] = None,
) -> None:
    """Scores eval and test, writes report and predictions, blesses or not; the
    report also shows SpanDrift's ``drift`` check of the data the model was trained on."""
    loaded = load_served(model.uri)
    inventory = read_inventory(examples.uri)
    split_dirs = {split: artifact_utils.get_split_uri([examples], split)
                  for split in EVALUATED_SPLITS}
    evaluated = evaluate(loaded, split_dirs, inventory)
    baseline = None if baseline_model is None else served_baseline(
        baseline_model.uri, baseline_model.id, split_dirs[features.TEST_SPLIT], inventory)
    decision = decide(evaluated.test_f1, model.id, inventory, f1_threshold=f1_threshold,
                      regression_tolerance=regression_tolerance, baseline=baseline)
    drift_check = None if drift is None else DriftCheck.from_json(
        drift.get_string_custom_property(CHECK_PROPERTY))
    write_evaluation(evaluation, evaluated, decision, model_run.uri, drift_check)
    write_blessing(blessing, decision, model.uri, model.id)
