"""Runs the pipeline locally: LocalDagRunner, Beam DirectRunner, SQLite ML Metadata."""

import contextlib
import dataclasses
import os
import pathlib
import shutil
import tempfile
from typing import Iterator, List

from tfx import v1 as tfx

from components.conll_example_gen import spans, window
from contracts.checkpoint import resolve_checkpoint
from contracts.spans import NONE, SpanSettings
from pipeline import beam_args, orphans, paths
from pipeline.config import PROJECT_ROOT, PipelineConfig
from pipeline.pipeline import create_pipeline
from pipeline.placement import Placement


def local_beam_args(args: List[str]) -> List[str]:
    """The Beam options of a local run: the project's setup.py as the dependency
    (when the project is installed from a checkout, as `make setup` does)."""
    setup_file = PROJECT_ROOT / "setup.py"
    return beam_args.with_setup_file(args, str(setup_file)) if setup_file.exists() else list(args)


@contextlib.contextmanager
def private_tempdir(pipeline_root: str) -> Iterator[str]:
    """Points Python's temporary files (and those of child processes) at a fresh
    directory, under the pipeline root when it is local, and removes it at the end.

    Beam (a ``beam-pipeline-temp*`` directory per pipeline, left behind when a
    pipeline is built but never run), tf.Transform and TensorFlow write to the
    system temp directory without always cleaning up.
    """
    if paths.is_url(pipeline_root):
        directory = tempfile.mkdtemp(prefix="ner-pipeline-")
        parent = None
    else:
        parent = pathlib.Path(pipeline_root) / "tmp"
        parent.mkdir(parents=True, exist_ok=True)
        directory = tempfile.mkdtemp(prefix="run-", dir=parent)
    saved_tempdir, saved_env = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = os.environ["TMPDIR"] = directory
    try:
        yield directory
    finally:
        tempfile.tempdir = saved_tempdir
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
        shutil.rmtree(directory, ignore_errors=True)
        if parent is not None:
            with contextlib.suppress(OSError):
                parent.rmdir()  # only if no other run uses it


def span_settings(config: PipelineConfig) -> SpanSettings:
    """The data directory's span layout (detected with 'auto'), checked here, before
    anything runs, as TFX's driver and the executor will read it: the span, the
    window and the held-out files. Their data fingerprint puts every file of the
    window in the cache key; TFX's own covers only the ingested span's folder."""
    layout = spans.resolve_layout(config.data_dir, config.span_layout)
    try:
        settings = config.span_settings(layout)
    except ValueError as error:
        raise spans.SpanLayoutError(str(error)) from None
    if layout == NONE:
        return settings
    span = spans.resolve_span(config.data_dir, layout, settings.span)
    plan = window.plan_inputs(config.data_dir, settings, span)
    return dataclasses.replace(settings, data_fingerprint=plan.fingerprint())


def placement(config: PipelineConfig) -> Placement:
    """Where a local run puts things: paths as given (the Pusher's made absolute), the
    checkpoint resolved here, SQLite ML Metadata, the local Beam options, the spans."""
    return Placement(
        schema_file=config.schema_file,
        checkpoint=resolve_checkpoint(config.checkpoint),
        serving_dir=paths.absolute(config.serving_dir),
        beam_pipeline_args=local_beam_args(beam_args.beam_pipeline_args(
            config.beam_pipeline_args, config.beam_workers)),
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            config.resolved_metadata_path),
        spans=span_settings(config))


def run(config: PipelineConfig) -> None:
    """Builds the pipeline from ``config`` and runs it to completion (raises on failure),
    after cleaning up what a killed run left behind (pipeline/orphans.py)."""
    pathlib.Path(config.resolved_metadata_path).parent.mkdir(parents=True, exist_ok=True)
    with orphans.run_lock(config.resolved_metadata_path, config.pipeline_name,
                          config.pipeline_root), private_tempdir(config.pipeline_root):
        tfx.orchestration.LocalDagRunner().run(create_pipeline(config, placement(config)))
