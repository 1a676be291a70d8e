"""Runs the pipeline locally: LocalDagRunner, Beam DirectRunner, SQLite ML Metadata."""

import logging
import pathlib
import re

from tfx import v1 as tfx

from contracts.checkpoint import resolve_checkpoint
from pipeline.config import PipelineConfig
from pipeline.pipeline import create_pipeline

_PROGRESS = re.compile(r"^Component \S+ is (running|finished)\.$")
# TFX 1.16 warns about its own MLMD queries on every input resolution; harmless.
_NOISE = re.compile(r"^ArtifactQuery\.property_predicate is not supported")


class ProgressFilter(logging.Filter):
    """Lets through warnings, errors, TFX's per-component start/finish lines and
    the project's own progress lines (loggers under "ner_pipeline")."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _NOISE.match(message):
            return False
        return (record.levelno >= logging.WARNING or record.name.startswith("ner_pipeline")
                or bool(_PROGRESS.match(message)))


def configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    if not verbose:
        handler.addFilter(ProgressFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def run(config: PipelineConfig) -> None:
    """Builds the pipeline from ``config`` and runs it to completion (raises on failure)."""
    pathlib.Path(config.resolved_metadata_path).parent.mkdir(parents=True, exist_ok=True)
    tfx.orchestration.LocalDagRunner().run(create_pipeline(
        pipeline_name=config.pipeline_name,
        pipeline_root=config.pipeline_root,
        data_dir=config.data_dir,
        schema_file=config.schema_file,
        checkpoint=resolve_checkpoint(config.checkpoint),
        training=config.training,
        f1_threshold=config.f1_threshold,
        regression_tolerance=config.regression_tolerance,
        serving_dir=str(pathlib.Path(config.serving_dir).resolve()),
        enable_cache=config.enable_cache,
        beam_pipeline_args=config.beam_pipeline_args,
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            config.resolved_metadata_path),
    ))
