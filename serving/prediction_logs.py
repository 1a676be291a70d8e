"""TF Serving's PredictionLog protos as this project writes and reads them.

The request logs of ``ner-pipeline serve`` and ``predict --input`` are
TFRecord files of ``tensorflow_serving.apis.prediction_log_pb2.PredictionLog``,
the record TF Serving's request logger is built for (the open-source server
cannot create one: serving/README.md), so tools made for its logs read these. Each holds one PredictLog: the
request (model spec, signature, input tensors) and the response's output tensors.

A file's name says model and version: ``<model>-<version>-<UTC hour>-<writer>.tfrecord``.
"""

import glob
import os
import time
from typing import Dict, Iterator, Mapping, Optional

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

SUFFIX = ".tfrecord"
SAVED_MODEL_TAGS = ("serve",)  # the MetaGraph the servers load


def make_log(model_name: str, version: Optional[int], signature_name: str,
             inputs: Mapping[str, np.ndarray], outputs: Mapping[str, np.ndarray],
             sampling_rate: float, timestamp: Optional[float] = None
             ) -> prediction_log_pb2.PredictionLog:
    """One request and its response; ``version`` None for a model without a version number."""
    log = prediction_log_pb2.PredictionLog()
    metadata = log.log_metadata
    metadata.model_spec.name = model_name
    if version is not None:
        metadata.model_spec.version.value = version
    metadata.model_spec.signature_name = signature_name
    metadata.sampling_config.sampling_rate = sampling_rate
    metadata.saved_model_tags.extend(SAVED_MODEL_TAGS)
    metadata.timestamp_secs = int(time.time() if timestamp is None else timestamp)
    request = log.predict_log.request
    request.model_spec.CopyFrom(metadata.model_spec)
    for name, value in inputs.items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
    for name, value in outputs.items():
        log.predict_log.response.outputs[name].CopyFrom(tf.make_tensor_proto(value))
    log.predict_log.response.model_spec.CopyFrom(metadata.model_spec)
    return log


def file_stem(model_name: str, version: Optional[int], hour: str, writer: str) -> str:
    return f"{model_name}-{'unversioned' if version is None else version}-{hour}-{writer}"


def log_files(directory: str) -> list:
    """The finished log files under ``directory`` (files still being written end otherwise)."""
    return sorted(glob.glob(os.path.join(directory, "**", "*" + SUFFIX), recursive=True))


def read_logs(path: str) -> Iterator[prediction_log_pb2.PredictionLog]:
    for record in tf.data.TFRecordDataset(path).as_numpy_iterator():
        yield prediction_log_pb2.PredictionLog.FromString(record)


def output_arrays(log: prediction_log_pb2.PredictionLog) -> Dict[str, np.ndarray]:
    return {name: tf.make_ndarray(proto)
            for name, proto in log.predict_log.response.outputs.items()}
