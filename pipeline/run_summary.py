"""A short, human-readable summary of the latest run, read back from ML Metadata.

Reading MLMD (not the runner's memory) means the summary shows what was
recorded: which components ran or came from the cache, the counts that
ConllExampleGen attached to its Examples artifact (with span folders, also
the span, the training window and where eval and test came from),
SpanDrift's check of the span against the previous one, and, from the
Trainer's history file, where its weights came from (checkpoint or blessed
model) and whether it resumed from the backup of a killed run.
"""

import json
import os
from typing import Dict

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx.dsl.io import fileio

from components.conll_example_gen.executor import (
    COUNTS, EVAL_SOURCE_PROPERTY, TRAIN_SPANS_PROPERTY)
from contracts import features
from contracts.drift import CHECK_PROPERTY, DriftCheck
from contracts.files import HISTORY_FILE
from contracts.weights import Initialization

_STATES = {
    metadata_store_pb2.Execution.COMPLETE: "ran",
    metadata_store_pb2.Execution.CACHED: "cached",
    metadata_store_pb2.Execution.FAILED: "FAILED",
    metadata_store_pb2.Execution.RUNNING: "running",
}


def execution_state(execution: metadata_store_pb2.Execution) -> str:
    return _STATES.get(execution.last_known_state, "unknown")




def open_store(metadata_path: str) -> metadata_store.MetadataStore:
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = metadata_path
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    return metadata_store.MetadataStore(config)


def latest_run_executions(store: metadata_store.MetadataStore, pipeline_name: str
                          ) -> Dict[str, metadata_store_pb2.Execution]:
    """Node id -> execution, for the most recent run of ``pipeline_name``."""
    runs = [run for run in store.get_contexts_by_type("pipeline_run")
            if run.properties["pipeline_name"].string_value in ("", pipeline_name)]
    if not runs:
        return {}
    latest = max(runs, key=lambda run: run.create_time_since_epoch)
    executions = {}
    for execution in store.get_executions_by_context(latest.id):
        for context in store.get_contexts_by_execution(execution.id):
            if context.name.startswith(pipeline_name + "."):
                executions[context.name[len(pipeline_name) + 1:]] = execution
    return executions


def execution_seconds(execution: metadata_store_pb2.Execution) -> float:
    """Wall time of one execution, as MLMD recorded its start and last update."""
    return (execution.last_update_time_since_epoch - execution.create_time_since_epoch) / 1000


def output_artifacts(store: metadata_store.MetadataStore, execution: metadata_store_pb2.Execution
                     ) -> Dict[str, metadata_store_pb2.Artifact]:
    """Output key (e.g. "examples") -> the artifact an execution produced or reused."""
    events = [event for event in store.get_events_by_execution_ids([execution.id])
              if event.type in (metadata_store_pb2.Event.OUTPUT,
                                metadata_store_pb2.Event.DECLARED_OUTPUT)]
    artifacts = {a.id: a for a in store.get_artifacts_by_id([e.artifact_id for e in events])}
    return {event.path.steps[0].key: artifacts[event.artifact_id] for event in events}


def summarize(metadata_path: str, pipeline_name: str) -> str:
    store = open_store(metadata_path)
    executions = latest_run_executions(store, pipeline_name)
    lines = ["Components:"]
    for node_id, execution in sorted(executions.items(), key=lambda item: item[1].id):
        lines.append(f"  {node_id:<30} {execution_state(execution)}")
    example_gen = executions.get("ConllExampleGen")
    if example_gen is not None:
        examples = output_artifacts(store, example_gen)["examples"]
        lines.append(f"Examples: {examples.uri}")
        properties = examples.custom_properties
        lines.append(f"  tag scheme {properties['tag_scheme'].string_value} (served as IOB2); "
                     f"entity types: {properties['entity_types'].string_value or 'none'}")
        if TRAIN_SPANS_PROPERTY in properties:
            window = properties[TRAIN_SPANS_PROPERTY].string_value.split(",")
            lines.append(f"  span {properties['span'].int_value}; train from {len(window)} "
                         f"span(s): {', '.join(window)}; eval and test from "
                         f"{properties[EVAL_SOURCE_PROPERTY].string_value}")
        names = ("split",) + COUNTS
        lines.append("  " + "".join(f"{name:>{max(len(name) + 2, 7)}}" for name in names))
        for split in (features.TRAIN_SPLIT, features.EVAL_SPLIT, features.TEST_SPLIT):
            counts = [properties[f"{split}_{key}"].int_value for key in COUNTS]
            lines.append("  " + "".join(f"{value:>{max(len(name) + 2, 7)}}"
                                        for name, value in zip(names, [split] + counts)))
    span_drift = executions.get("SpanDrift")
    if span_drift is not None:
        drift = output_artifacts(store, span_drift)["drift"].custom_properties
        check = DriftCheck.from_json(drift[CHECK_PROPERTY].string_value)
        lines.append(f"{'DRIFT' if check.drifted else 'Drift'}: {check.verdict()}")
        if check.drifted and "DriftGate" not in executions:
            lines.append("  trained on anyway: --drift-gate stops a run on drift")
    trainer = executions.get("Trainer")
    if trainer is not None and trainer.last_known_state == metadata_store_pb2.Execution.COMPLETE:
        model_run = output_artifacts(store, trainer)["model_run"]
        with fileio.open(os.path.join(model_run.uri, HISTORY_FILE)) as handle:
            history = json.load(handle)
        lines.append(f"Weights: {Initialization(**history['initialized']).describe()}; trained "
                     f"{history['trained_steps']} of {history['total_steps']} steps")
        if history["resumed_from_step"]:
            lines.append(f"Training resumed at step {history['resumed_from_step']} of "
                         f"{history['total_steps']}, from the backup of a killed run")
    evaluator = executions.get("NerEvaluator")
    if evaluator is not None:
        outputs = output_artifacts(store, evaluator)
        evaluation, blessing = outputs["evaluation"], outputs["blessing"]
        for split in (features.EVAL_SPLIT, features.TEST_SPLIT):
            values = {key: evaluation.custom_properties[f"{split}_{key}"].double_value
                      for key in ("entity_precision", "entity_recall", "entity_f1", "accuracy",
                                  "loss")}
            lines.append(f"Evaluation {split}: " + ", ".join(
                f"{key.replace('_', ' ')} {value:.4f}" for key, value in values.items()))
        verdict = "BLESSED" if blessing.custom_properties["blessed"].int_value else "NOT BLESSED"
        lines.append(f"{verdict}: {blessing.custom_properties['blessing_reason'].string_value}")
        lines.append(f"Report: {evaluation.uri}/report.md")
    pusher = executions.get("Pusher")
    if pusher is not None:
        pushed = output_artifacts(store, pusher)["pushed_model"].custom_properties
        if pushed["pushed"].int_value:
            lines.append(f"Pushed: {pushed['pushed_destination'].string_value}")
        else:
            lines.append("Not pushed: the model was not blessed; the serving directory is unchanged")
    return "\n".join(lines)
