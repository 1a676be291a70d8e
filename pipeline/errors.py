"""Errors caused by the user's data or settings, which the CLI reports without a traceback."""

import re
from typing import Optional

from contracts.conll_format import ConllFormatError
from components.conll_example_gen.executor import EmptySplitError, LostSentencesError
from components.conll_example_gen.spans import SpanLayoutError
from components.conll_example_gen.split_files import MissingSplitError
from components.conll_example_gen.survey import OutsideInventoryError
from components.span_drift.gate import DataDriftError
from components.validation_gate.component import DataAnomaliesError
from contracts.checkpoint import CheckpointNotFoundError
from contracts.inventory import InventoryError

DATA_ERRORS = (ConllFormatError, MissingSplitError, EmptySplitError, LostSentencesError,
               OutsideInventoryError, InventoryError, DataAnomaliesError, CheckpointNotFoundError,
               SpanLayoutError, DataDriftError)
# Beam re-raises worker errors as RuntimeError("<module>.<Class>: <message> [while running ...]").
_BEAM_WRAPPED = re.compile(r"(?:[\w.]+\.)?(\w+): (.*?)(?: \[while running '[^']*'\])?$", re.S)


def data_error_message(error: BaseException) -> Optional[str]:
    """The message of the data error behind ``error``, or None if it is not one."""
    names = {cls.__name__ for cls in DATA_ERRORS}
    while error is not None:
        if isinstance(error, DATA_ERRORS):
            return str(error)
        match = _BEAM_WRAPPED.match(str(error))
        if isinstance(error, RuntimeError) and match and match.group(1) in names:
            return match.group(2)
        error = error.__cause__ or error.__context__
    return None
