"""create_pipeline(): the one definition of the TFX graph, shared by every runner."""

import dataclasses
from typing import Any, Dict, List, Optional, Sequence

from tfx import v1 as tfx
from tfx.dsl.components.base import base_node

from components.conll_example_gen.component import ConllExampleGen
from contracts.tag_schemes import AUTO
from components.ner_evaluator.best_blessed_model import BestBlessedModelStrategy
from components.ner_evaluator.component import NerEvaluator
from components.pusher.component import IdempotentPusher
from components.schema_gen.component import InventorySchemaGen
from components.transform.component import Transform
from components.validation_gate.component import ValidationGate
from contracts.checkpoint import Checkpoint
from contracts.training import CHECKPOINT_CONFIG_KEY, TRAINING_CONFIG_KEY, TrainingConfig
from pipeline.fingerprint import code_fingerprint, file_fingerprint

PREPROCESSING_FN = "modules.transform.preprocessing.preprocessing_fn"
RUN_FN = "modules.trainer.run.run_fn"
# Key of the code fingerprint in custom_config (see pipeline/fingerprint.py).
CODE_FINGERPRINT = "code_fingerprint"


def _executor_code(component_class) -> str:
    """Fingerprint of a class-based component's executor and what it imports."""
    return code_fingerprint(component_class.EXECUTOR_SPEC.executor_class.__module__)


def create_components(data_dir: str, schema_file: str, checkpoint: Checkpoint,
                      training: Optional[TrainingConfig] = None, f1_threshold: float = 0.0,
                      regression_tolerance: float = 0.0, serving_dir: Optional[str] = None,
                      vertex_training: Optional[Dict[str, Any]] = None,
                      baseline_strategy=BestBlessedModelStrategy,
                      labels: Sequence[str] = (), tag_scheme: str = AUTO
                      ) -> List[base_node.BaseNode]:
    """Ingestion, validation and Transform; with ``training``, also Trainer, Evaluator, Pusher.

    A run stops at the ValidationGate on any data anomaly, before Transform.
    ``labels`` declares the entity inventory (default: the train split's types).
    ``vertex_training`` (pipeline/vertex.py) sends the Trainer to Vertex AI Training.
    ``baseline_strategy`` picks the blessed model the Evaluator compares with.
    """
    example_gen = ConllExampleGen(
        data_dir=data_dir, labels=labels, tag_scheme=tag_scheme,
        code_fingerprint=_executor_code(ConllExampleGen))
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = InventorySchemaGen(examples=example_gen.outputs["examples"],
                                    schema_file=schema_file,
                                    schema_fingerprint=file_fingerprint(schema_file),
                                    code_fingerprint=code_fingerprint(InventorySchemaGen.__module__))
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])
    validation_gate = ValidationGate(anomalies=example_validator.outputs["anomalies"],
                                     examples=example_gen.outputs["examples"],
                                     code_fingerprint=code_fingerprint(ValidationGate.__module__))
    transform = Transform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        preprocessing_fn=PREPROCESSING_FN,
        custom_config={**dataclasses.asdict(checkpoint), CODE_FINGERPRINT: code_fingerprint(
            PREPROCESSING_FN.rpartition(".")[0], Transform.EXECUTOR_SPEC.executor_class.__module__)},
        # StatisticsGen already profiles the raw data; statistics of id sequences add
        # minutes on the full data set and nothing a reader would look at.
        disable_statistics=True)
    transform.add_upstream_node(validation_gate)
    components = [example_gen, statistics_gen, schema_gen, example_validator, validation_gate,
                  transform]
    if training is None:
        return components

    trainer_class = (tfx.extensions.google_cloud_ai_platform.Trainer if vertex_training
                     else tfx.components.Trainer)
    trainer = trainer_class(
        run_fn=RUN_FN,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        custom_config={TRAINING_CONFIG_KEY: dataclasses.asdict(training),
                       CHECKPOINT_CONFIG_KEY: dataclasses.asdict(checkpoint),
                       CODE_FINGERPRINT: code_fingerprint(RUN_FN.rpartition(".")[0]),
                       **(vertex_training or {})})
    baseline = tfx.dsl.Resolver(
        strategy_class=baseline_strategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    ).with_id("baseline_model_resolver")
    evaluator = NerEvaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        model_run=trainer.outputs["model_run"],
        baseline_model=baseline.outputs["model"],
        f1_threshold=f1_threshold,
        regression_tolerance=regression_tolerance,
        code_fingerprint=code_fingerprint(NerEvaluator.__module__))
    pusher = IdempotentPusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=serving_dir)),
        custom_config={CODE_FINGERPRINT: _executor_code(IdempotentPusher)},
    ).with_id("Pusher")
    return components + [trainer, baseline, evaluator, pusher]


def create_pipeline(pipeline_name: str, pipeline_root: str, data_dir: str, schema_file: str,
                    checkpoint: Checkpoint, training: TrainingConfig, f1_threshold: float,
                    regression_tolerance: float, serving_dir: str, enable_cache: bool,
                    beam_pipeline_args: List[str],
                    metadata_connection_config: Optional[object] = None,
                    vertex_training: Optional[Dict[str, Any]] = None,
                    baseline_strategy=BestBlessedModelStrategy,
                    labels: Sequence[str] = (), tag_scheme: str = AUTO) -> tfx.dsl.Pipeline:
    """Builds the whole pipeline from explicit arguments only (no environment reads,
    no access to the data, the checkpoint or the cloud)."""
    return tfx.dsl.Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        components=create_components(data_dir, schema_file, checkpoint, training, f1_threshold,
                                     regression_tolerance, serving_dir, vertex_training,
                                     baseline_strategy, labels, tag_scheme),
        enable_cache=enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=beam_pipeline_args,
    )
