"""Request logging in batch prediction: a sample of the tagged units as PredictionLog TFRecords.

The same records as the server's request log (prediction_logs.py), one per
unit, so ``ner-pipeline monitor`` reads both. A unit is sampled by a hash of
its index (request_log.Sampler), so a rerun on any runner logs the same units.
Beam writes the files (to a temporary name first), which works on every
runner and file system; a record that cannot be made is counted and logged,
and never fails the job.
"""

import logging
import os
import time
from typing import Any, Dict, Mapping, Optional

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from serving import prediction_logs
from serving.batch_inputs import model_input
from serving.batch_model import signature_inputs
from serving.request_log import Sampler

log = logging.getLogger("serving.batch_predict")

MODEL_NAME = "ner"  # batch prediction has no served name; this is the server's default


def version_of(version_dir: str) -> Optional[int]:
    """The version number of a serving version directory; None for a bare SavedModel."""
    name = os.path.basename(version_dir.rstrip("/"))
    return int(name) if name.isascii() and name.isdigit() else None


class LogPredictions(beam.PTransform):
    """(unit, output row) pairs -> a sample of them written under ``directory``."""

    def __init__(self, directory: str, sampling_rate: float, signature: str,
                 version: Optional[int], metrics_namespace: str):
        super().__init__()
        self._sampler = Sampler(sampling_rate)
        self._signature = signature
        self._version = version
        self._metrics_namespace = metrics_namespace
        hour = time.strftime("%Y%m%dT%HZ", time.gmtime())
        self._prefix = os.path.join(
            directory, prediction_logs.file_stem(MODEL_NAME, version, hour, "batch"))

    def expand(self, tagged):
        sampler = self._sampler
        return (tagged
                | "Sample" >> beam.Filter(lambda element: sampler.sampled(element[0].index))
                | "ToPredictionLog" >> beam.ParDo(_ToPredictionLog(
                    self._signature, self._version, sampler.rate, self._metrics_namespace))
                | "WriteLogs" >> beam.io.WriteToTFRecord(
                    self._prefix, file_name_suffix=prediction_logs.SUFFIX))


class _ToPredictionLog(beam.DoFn):
    def __init__(self, signature: str, version: Optional[int], rate: float,
                 metrics_namespace: str):
        self._signature = signature
        self._version = version
        self._rate = rate
        self._logged = Metrics.counter(metrics_namespace, "requests_logged")
        self._failed = Metrics.counter(metrics_namespace, "request_log_failed")

    def process(self, element):
        unit, row = element
        try:
            record = prediction_logs.make_log(
                MODEL_NAME, self._version, self._signature, self._inputs(unit),
                _as_batch_of_one(row), self._rate).SerializeToString()
        except Exception as error:  # pylint: disable=broad-except  # logging must not fail the job
            self._failed.inc()
            log.error("Cannot log line %d as a PredictionLog: %r", unit.line, error)
            return
        self._logged.inc()
        yield record

    def _inputs(self, unit) -> Dict[str, np.ndarray]:
        return {name: tensor.numpy() for name, tensor in
                signature_inputs(self._signature, [model_input(unit)]).items()}


def _as_batch_of_one(row: Mapping[str, Any]) -> Dict[str, np.ndarray]:
    """One unit's outputs as the outputs of a batch of one, as a request of one sentence gets."""
    return {name: np.asarray(value)[np.newaxis] for name, value in row.items()}
