"""DriftGate: stops the run, before Transform, when SpanDrift found drift.

Added to the pipeline only with ``--drift-gate``: a team that wants a person to
look at a drifted span before it is trained on turns it on; without it drift is
reported (run summary, evaluation report) and training goes on.
"""

from tfx.dsl.component.experimental.annotations import InputArtifact
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import ExampleAnomalies

from contracts.drift import CHECK_PROPERTY, DriftCheck


class DataDriftError(ValueError):
    """The ingested span drifted from the previous one, and --drift-gate is on."""


@component
def DriftGate(drift: InputArtifact[ExampleAnomalies]) -> None:
    """Raises DataDriftError, in one line, if the check found drift."""
    check = DriftCheck.from_json(drift.get_string_custom_property(CHECK_PROPERTY))
    if check.drifted:
        raise DataDriftError(f"Data drift: {check.verdict()}; look at the new span, or run "
                             f"without --drift-gate to train on it anyway")
