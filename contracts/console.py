"""What every ``ner-pipeline`` command shows on the console, decided in one place.

Without --verbose a command shows its own progress, warnings and errors, and
hides what third-party libraries print that says nothing about the run:
TensorFlow's C++ lines, known Python warnings and known log records. Project
code that reports progress logs under PROGRESS_LOGGER.
"""

import contextlib
import logging
import os
import re
import sys
import tempfile
import warnings
from typing import Sequence

# Loggers under this name are the project's progress lines (shown without --verbose).
PROGRESS_LOGGER = "ner_pipeline"

# Python warnings of third-party libraries: (category, message regex, module regex).
KNOWN_WARNINGS = [
    # google-api-core nags about Python 3.10 on import of every cloud client.
    (FutureWarning, "", r"google\."),
    (FutureWarning, r".*non-supported Python version", ""),
]
# TensorFlow's C++ lines at import that stay below TF_CPP_MIN_LOG_LEVEL=2's reach
# (ERROR level): the CUDA plugins of the pip wheel registering twice on a CPU machine.
NATIVE_IMPORT_NOISE = re.compile(
    rb"Unable to register cu(FFT|DNN|BLAS) factory: Attempting to register factory for plugin")
# Third-party log records that say nothing about this run.
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
# TFX's per-component start/finish lines.
_TFX_PROGRESS = re.compile(r"^Component \S+ is (running|finished)\.$")
# Loggers that install a handler of their own (so their lines bypass the filter
# and, once the root logger has a handler too, appear twice).
_SELF_HANDLING_LOGGERS = ("tensorflow",)


def quiet_third_party_output() -> None:
    """TensorFlow's C++ log level (unless the user set one; must happen before
    TensorFlow is imported) and filters for known third-party warnings."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for category, message, module in KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message, category, module)


@contextlib.contextmanager
def native_stderr_filtered(pattern: "re.Pattern[bytes]" = NATIVE_IMPORT_NOISE):
    """Routes file descriptor 2 (where C++ code logs) to a file for the block and
    then writes back every line that does not match ``pattern``."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().splitlines(keepends=True)
                    if not pattern.search(line)]
            if kept:
                sys.stderr.buffer.write(b"".join(kept))
                sys.stderr.flush()


class ProgressFilter(logging.Filter):
    """Lets through warnings, errors, TFX's per-component lines and the records of
    the ``shown`` loggers (and their children), except known third-party noise."""

    def __init__(self, shown: Sequence[str] = (PROGRESS_LOGGER,)):
        super().__init__()
        self._shown = tuple(shown)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _NOISE.match(message):
            return False
        return (record.levelno >= logging.WARNING
                or any(record.name == name or record.name.startswith(name + ".")
                       for name in self._shown)
                or bool(_TFX_PROGRESS.match(message)))


def _route_to_root(logger: logging.Logger) -> None:
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.propagate = True


def configure_logging(verbose: bool, shown: Sequence[str] = (PROGRESS_LOGGER,)) -> None:
    """One handler on the root logger; without ``verbose`` it shows only progress
    (the ``shown`` loggers), warnings and errors. Libraries that log through
    handlers of their own are routed through it."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    if not verbose:
        handler.addFilter(ProgressFilter(shown))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in _SELF_HANDLING_LOGGERS:
        _route_to_root(logging.getLogger(name))
    # TFX logs its component lines through absl at INFO. TensorFlow's SavedModel
    # writer sets absl's verbosity to FATAL and back to what absl reports, which is
    # WARNING unless set: after the first SavedModel (Transform) they would vanish.
    from absl import logging as absl_logging
    absl_logging.set_verbosity(absl_logging.INFO)
    # transformers installs its handler on first use and stops propagation.
    from transformers.utils import logging as transformers_logging
    transformers_logging.disable_default_handler()
    transformers_logging.enable_propagation()
