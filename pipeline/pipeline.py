"""create_pipeline(): the one definition of the TFX graph, shared by every runner."""

import dataclasses
import os
from typing import List

from tfx import v1 as tfx
from tfx.dsl.components.base import base_node

from components.conll_example_gen.component import ConllExampleGen
from components.ner_evaluator.component import NerEvaluator
from components.pusher.component import IdempotentPusher
from components.schema_gen.component import InventorySchemaGen
from components.span_drift.component import SpanDrift
from components.span_drift.gate import DriftGate
from components.transform.component import Transform
from components.validation_gate.component import ValidationGate
from contracts.training import (
    CHECKPOINT_CONFIG_KEY, RESUME_CONFIG_KEY, TRAINING_CONFIG_KEY, ResumeConfig)
from pipeline.config import PipelineConfig
from pipeline.fingerprint import code_fingerprint, file_fingerprint, fingerprinted
from pipeline.placement import Placement

PREPROCESSING_FN = "modules.transform.preprocessing.preprocessing_fn"
RUN_FN = "modules.trainer.run.run_fn"


def _module(function_path: str) -> str:
    return function_path.rpartition(".")[0]


def _model_channel() -> tfx.dsl.Channel:
    return tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model)


def _blessing_channel() -> tfx.dsl.Channel:
    return tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing)


def _resume_config(config: PipelineConfig) -> ResumeConfig:
    """Where the Trainer backs its state up: under the pipeline root, not under its own
    outputs, which each execution gets anew (modules/trainer/resume.py)."""
    return ResumeConfig(root=os.path.join(config.pipeline_root, "checkpoints", "Trainer"),
                        every=config.checkpoint_every,
                        code_fingerprint=code_fingerprint(_module(RUN_FN)))


def create_components(config: PipelineConfig, placement: Placement, training: bool = True
                      ) -> List[base_node.BaseNode]:
    """Ingestion, validation and Transform; with ``training``, also Trainer, Evaluator, Pusher.

    A run stops at the ValidationGate on any data anomaly, before Transform;
    SpanDrift compares the ingested span with the previous one, and with
    ``--drift-gate`` a DriftGate stops the run there too on drift.
    Each component that runs project code carries its code fingerprint
    (pipeline/fingerprint.py).
    """
    example_gen = fingerprinted(ConllExampleGen(
        data_dir=config.data_dir, labels=config.declared_types, tag_scheme=config.scheme,
        spans=placement.spans))
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = fingerprinted(InventorySchemaGen(
        examples=example_gen.outputs["examples"], schema_file=placement.schema_file,
        schema_fingerprint=file_fingerprint(placement.schema_file)))
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])
    validation_gate = fingerprinted(ValidationGate(
        anomalies=example_validator.outputs["anomalies"],
        examples=example_gen.outputs["examples"]))
    transform = fingerprinted(Transform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        preprocessing_fn=PREPROCESSING_FN,
        custom_config=dataclasses.asdict(placement.checkpoint),
        # StatisticsGen already profiles the raw data; statistics of id sequences add
        # minutes on the full data set and nothing a reader would look at.
        disable_statistics=True), _module(PREPROCESSING_FN))
    transform.add_upstream_node(validation_gate)
    span_drift = fingerprinted(SpanDrift(
        examples=example_gen.outputs["examples"], data_dir=config.data_dir,
        span_layout=placement.spans.layout))
    components = [example_gen, statistics_gen, schema_gen, example_validator, validation_gate,
                  span_drift, transform]
    if config.drift_gate:
        drift_gate = fingerprinted(DriftGate(drift=span_drift.outputs["drift"]))
        transform.add_upstream_node(drift_gate)
        components.insert(-1, drift_gate)
    if not training:
        return components

    trainer_class = (tfx.extensions.google_cloud_ai_platform.Trainer
                     if placement.vertex_training else tfx.components.Trainer)
    warm_start = []
    if config.training.warm_start:
        # The newest blessed model (LatestBlessedModelStrategy also compiles for Vertex);
        # run_fn decides whether its weights fit (modules/trainer/warm_start.py).
        warm_start = [tfx.dsl.Resolver(
            strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
            model=_model_channel(),
            model_blessing=_blessing_channel()).with_id("warm_start_model_resolver")]
    trainer = fingerprinted(trainer_class(
        run_fn=RUN_FN,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        base_model=warm_start[0].outputs["model"] if warm_start else None,
        custom_config={TRAINING_CONFIG_KEY: dataclasses.asdict(config.training),
                       CHECKPOINT_CONFIG_KEY: dataclasses.asdict(placement.checkpoint),
                       RESUME_CONFIG_KEY: dataclasses.asdict(_resume_config(config)),
                       **(placement.vertex_training or {})}), _module(RUN_FN))
    baseline = tfx.dsl.Resolver(
        strategy_class=placement.baseline_strategy,
        model=_model_channel(),
        model_blessing=_blessing_channel(),
    ).with_id("baseline_model_resolver")
    evaluator = fingerprinted(NerEvaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        model_run=trainer.outputs["model_run"],
        baseline_model=baseline.outputs["model"],
        drift=span_drift.outputs["drift"],
        f1_threshold=config.f1_threshold,
        regression_tolerance=config.regression_tolerance))
    pusher = fingerprinted(IdempotentPusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(
                base_directory=placement.serving_dir))).with_id("Pusher"))
    return components + warm_start + [trainer, baseline, evaluator, pusher]


def create_pipeline(config: PipelineConfig, placement: Placement, training: bool = True
                    ) -> tfx.dsl.Pipeline:
    """The whole pipeline (up to Transform without ``training``) from the configuration
    and the runner's placement only: no environment reads, no access to the data,
    the checkpoint or the cloud."""
    return tfx.dsl.Pipeline(
        pipeline_name=config.pipeline_name,
        pipeline_root=config.pipeline_root,
        components=create_components(config, placement, training),
        enable_cache=config.enable_cache,
        metadata_connection_config=placement.metadata_connection_config,
        beam_pipeline_args=placement.beam_pipeline_args,
    )
