"""SpanDrift: the ingested span's data against the previous span's (check.py, measures.py).

It always runs and never stops the run: it writes an ExampleAnomalies artifact
(the type TFX's own DistributionValidator writes) with TFDV's anomalies under
``Split-train/SchemaDiff.pb`` and the check itself as custom properties, which
the run summary, the NerEvaluator's report and the DriftGate read. Stopping is
the gate's job, added only with ``--drift-gate``, so that without it a drifted
span is reported and still trained on.
"""

import os

from absl import logging
from tfx.components.example_gen import utils
from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types import artifact_utils
from tfx.types.standard_artifacts import ExampleAnomalies, Examples
from tfx.utils import writer_utils

from components.span_drift.check import check_span
from contracts import features
from contracts.drift import CHECK_PROPERTY, DRIFTED_PROPERTY
from contracts.spans import NONE

# The file name TFX's validators write their anomalies to.
ANOMALIES_FILE_NAME = "SchemaDiff.pb"


@component
def SpanDrift(examples: InputArtifact[Examples], drift: OutputArtifact[ExampleAnomalies],
              data_dir: Parameter[str], span_layout: Parameter[str]) -> None:
    """Compares the train file of the span ``examples`` ingested from ``data_dir``
    (span folders of ``span_layout``) with the previous span's."""
    span = None if span_layout == NONE else examples.get_int_custom_property(
        utils.SPAN_PROPERTY_NAME)
    check, anomalies = check_span(data_dir, span_layout, span,
                                  examples.get_string_custom_property("tag_scheme"))
    if anomalies is not None:
        drift.split_names = artifact_utils.encode_split_names([features.TRAIN_SPLIT])
        writer_utils.write_anomalies(os.path.join(artifact_utils.get_split_uri(
            [drift], features.TRAIN_SPLIT), ANOMALIES_FILE_NAME), anomalies)
    drift.set_string_custom_property(CHECK_PROPERTY, check.to_json())
    drift.set_int_custom_property(DRIFTED_PROPERTY, int(check.drifted))
    (logging.warning if check.drifted else logging.info)("Drift: %s", check.verdict())
