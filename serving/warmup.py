"""TF Serving's model warm-up: a version's recorded requests run before it serves.

TensorFlow builds a function's runtime state on its first call, which takes
seconds (5.5 s for serving_default of the MiniLM model on a busy machine,
against 20 ms after). Without a warm-up that cost lands on the first clients
of every new version. TF Serving replays the PredictionLog records of
``<version>/assets.extra/tf_serving_warmup_requests`` (a TFRecord file, as
TFX's InfraValidator writes with ``make_warmup``) before it marks the version
AVAILABLE, and fails the load if one of them fails; so does the stand-in, for
predict records (the only kind it serves).
"""

import logging
import os
import time
from typing import Any, Callable, Dict

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

log = logging.getLogger(__name__)

WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
MAX_RECORDS = 1000  # TF Serving's WarmupConsts::kMaxNumRecords
DEFAULT_SIGNATURE = "serving_default"

Run = Callable[[str, Dict[str, np.ndarray]], Any]


def warm_up(run: Run, version_dir: str) -> int:
    """Runs the version's warm-up requests, if it has any; returns how many ran."""
    path = os.path.join(version_dir, WARMUP_FILE)
    if not os.path.isfile(path):
        return 0
    count, start = 0, time.monotonic()
    for record in tf.data.TFRecordDataset(path):
        count += 1
        if count > MAX_RECORDS:
            raise ValueError(f"Number of warmup records exceeds the maximum ({MAX_RECORDS}) "
                             f"at {path}")
        logged = prediction_log_pb2.PredictionLog.FromString(record.numpy())
        if logged.WhichOneof("log_type") != "predict_log":
            raise ValueError(f"{path}: record {count} is a {logged.WhichOneof('log_type')}; "
                             "the stand-in warms up with predict_log records only")
        request = logged.predict_log.request
        run(request.model_spec.signature_name or DEFAULT_SIGNATURE,
            {name: tf.make_ndarray(tensor) for name, tensor in request.inputs.items()})
    log.info("Warmed up %s with %d requests in %.1f s", version_dir, count,
             time.monotonic() - start)
    return count
