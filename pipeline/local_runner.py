"""Runs the pipeline locally: LocalDagRunner, Beam DirectRunner, SQLite ML Metadata."""

import contextlib
import logging
import os
import pathlib
import re
import shutil
import tempfile
from typing import Iterator, List

from absl import logging as absl_logging
from tfx import v1 as tfx

from contracts.checkpoint import resolve_checkpoint
from pipeline import beam_args, paths
from pipeline.config import PROJECT_ROOT, PipelineConfig
from pipeline.pipeline import create_pipeline

_PROGRESS = re.compile(r"^Component \S+ is (running|finished)\.$")
# Third-party warnings that say nothing about this run (shown with --verbose).
_NOISE = re.compile("|".join([
    # TFX 1.16 warns about its own MLMD queries on every input resolution.
    r"^ArtifactQuery\.property_predicate is not supported",
    # Beam's pure-Python CRC of TFRecords: only slower, and only for the few records it checks.
    r"^Couldn't find python-snappy so the implementation of _TFRecordUtil",
    # transformers 4.x announces the end of its TensorFlow classes, which this project uses.
    r"^TensorFlow and JAX classes are deprecated and will be removed in Transformers v5",
    # Keras times the first batches' callbacks; ours read the loss, which waits for the step.
    r"^Callback method `on_train_batch_end` is slow compared to the batch time",
    # tf_keras on export: the classifier is saved as a SavedModel, not a Keras config.
    r"^Model's `__init__\(\)` arguments contain non-serializable objects",
]))
# Loggers that install a handler of their own (so their lines bypass the filter
# and, once the root logger has a handler too, appear twice).
_SELF_HANDLING_LOGGERS = ("tensorflow",)


class ProgressFilter(logging.Filter):
    """Lets through warnings, errors, TFX's per-component start/finish lines and
    the project's own progress lines (loggers under "ner_pipeline"), except
    known third-party noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _NOISE.match(message):
            return False
        return (record.levelno >= logging.WARNING or record.name.startswith("ner_pipeline")
                or bool(_PROGRESS.match(message)))


def _route_to_root(logger: logging.Logger) -> None:
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.propagate = True


def configure_logging(verbose: bool) -> None:
    """One handler on the root logger; without ``verbose`` it shows only progress,
    warnings and errors. Libraries that log through handlers of their own are
    routed through it."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    if not verbose:
        handler.addFilter(ProgressFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in _SELF_HANDLING_LOGGERS:
        _route_to_root(logging.getLogger(name))
    # TFX logs its component lines through absl at INFO. TensorFlow's SavedModel
    # writer sets absl's verbosity to FATAL and back to what absl reports, which is
    # WARNING unless set: after the first SavedModel (Transform) they would vanish.
    absl_logging.set_verbosity(absl_logging.INFO)
    # transformers installs its handler on first use and stops propagation.
    from transformers.utils import logging as transformers_logging
    transformers_logging.disable_default_handler()
    transformers_logging.enable_propagation()


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


def run(config: PipelineConfig) -> None:
    """Builds the pipeline from ``config`` and runs it to completion (raises on failure)."""
    pathlib.Path(config.resolved_metadata_path).parent.mkdir(parents=True, exist_ok=True)
    with private_tempdir(config.pipeline_root):
        tfx.orchestration.LocalDagRunner().run(create_pipeline(
            pipeline_name=config.pipeline_name,
            pipeline_root=config.pipeline_root,
            data_dir=config.data_dir,
            labels=config.declared_types,
            tag_scheme=config.scheme,
            schema_file=config.schema_file,
            checkpoint=resolve_checkpoint(config.checkpoint),
            training=config.training,
            f1_threshold=config.f1_threshold,
            regression_tolerance=config.regression_tolerance,
            serving_dir=paths.absolute(config.serving_dir),
            enable_cache=config.enable_cache,
            beam_pipeline_args=local_beam_args(beam_args.beam_pipeline_args(
                config.beam_pipeline_args, config.beam_workers)),
            metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
                config.resolved_metadata_path),
        ))
