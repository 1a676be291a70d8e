"""TF Serving's own metrics, under its names, labels and buckets, so that queries and
dashboards work against either server.

Read from TF Serving 2.16.1's sources: request_count, request_latency and
runtime_latency in tensorflow_serving/servables/tensorflow/util.cc (recorded
by model_servers/http_server.cc for REST and servables/tensorflow/
predict_util.cc for the model call); the batching histograms in
tensorflow_serving/batching/batching_util.h. Its Prometheus exporter
(util/prometheus_exporter.cc) turns every character outside [a-zA-Z0-9_] of
"/tensorflow/serving/request_count" into ':', and writes counters without a
``_total`` suffix and without ``_created`` series; ``as_tf_serving_writes``
rewrites prometheus_client's output the same way.
"""

import re
from typing import Iterable, Iterator, List, Tuple

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import Metric

PREFIX = ":tensorflow:serving:"


def exponential_buckets(scale: float, growth: float, count: int) -> List[float]:
    """monitoring::Buckets::Exponential's bounds as TF Serving prints them: with six
    significant digits (absl::StrCat), which are the ``le`` values Prometheus stores."""
    bounds, bound = [], scale
    for _ in range(count):
        bounds.append(float(f"{bound:.6g}"))
        bound *= growth
    return bounds


# Latencies in microseconds: 10 us * 1.8^i, 33 bounds (about 20 minutes), then +Inf.
LATENCY_BUCKETS_US = exponential_buckets(10, 1.8, 33)
# Batch sizes: 1, 2, 4, ..., 8192, then +Inf.
BATCH_SIZE_BUCKETS = exponential_buckets(1, 2, 14)

# The REST URLs TF Serving parses (model_servers/http_rest_api_util.cc); case-insensitive.
_REST_PATH = re.compile(r"/v1/.*", re.I | re.S)
_PREDICTION_PATH = re.compile(
    r"/v1/models/([^/:]+)(?:/versions/\d+|/labels/[^/:]+)?:(classify|regress|predict)", re.I)
_STATUS_PATH = re.compile(
    r"/v1/models(?:/([^/:]+))?(?:/versions/\d+|/labels/[^/:]+)?(?:/metadata)?", re.I)

# HTTP status -> the status code name TF Serving counts. Where several codes share an
# HTTP status (serving/errors.py), the one this server means by it.
_STATUS_NAME = {200: "OK", 400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED",
                403: "PERMISSION_DENIED", 404: "NOT_FOUND", 409: "ABORTED",
                429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 500: "INTERNAL",
                501: "UNIMPLEMENTED", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


def is_rest_api_path(path: str) -> bool:
    """Whether TF Serving's REST handler takes the URL (and so counts it)."""
    return _REST_PATH.fullmatch(path) is not None


def rest_labels(method: str, path: str) -> Tuple[str, str]:
    """(model_name, API) as TF Serving labels a REST request: API is the verb after ':'
    of a POST ("predict"), empty for GETs; both are empty for a URL it cannot parse."""
    if method == "POST":
        match = _PREDICTION_PATH.fullmatch(path)
        return (match.group(1), match.group(2)) if match else ("", "")
    if method == "GET":
        match = _STATUS_PATH.fullmatch(path)
        return (match.group(1) or "", "") if match else ("", "")
    return "", ""


def status_name(http_status: int) -> str:
    return _STATUS_NAME.get(http_status, "UNKNOWN")


class TfServingMetrics:
    """TF Serving's metrics, in the app's registry."""

    def __init__(self, registry: CollectorRegistry):
        self.request_count = Counter(
            PREFIX + "request_count", "The total number of requests.",
            ["model_name", "status"], registry=registry)
        self.request_latency = Histogram(
            PREFIX + "request_latency",
            "Distribution of wall time (in microseconds) for Tensorflow Serving request.",
            ["model_name", "API", "entrypoint"], buckets=LATENCY_BUCKETS_US,
            registry=registry)
        self.runtime_latency = Histogram(
            PREFIX + "runtime_latency",
            "Distribution of wall time (in microseconds) for Tensorflow runtime.",
            ["model_name", "API", "runtime"], buckets=LATENCY_BUCKETS_US,
            registry=registry)
        self.processed_batch_size = Histogram(
            PREFIX + "batching_session:processed_batch_size",
            "Tracks the batch size distribution on processing.", [],
            buckets=BATCH_SIZE_BUCKETS, registry=registry)
        self.padding_size = Histogram(
            PREFIX + "batching_session:padding_size",
            "Tracks the padding size distribution on batches.", ["execution_batch_size"],
            buckets=BATCH_SIZE_BUCKETS, registry=registry)


def as_tf_serving_writes(families: Iterable[Metric]) -> Iterator[Metric]:
    """The families as TF Serving's exporter writes its own: no _created series; its
    counters under their plain name (typed untyped, since prometheus_client writes a
    counter as NAME_total); no points for a histogram that has seen nothing (TF
    Serving's batching histograms only appear once the server batches)."""
    for family in families:
        plain = family.type == "counter" and family.name.startswith(PREFIX)
        exposed = Metric(family.name, family.documentation,
                         "unknown" if plain else family.type)
        unused = family.type == "histogram" and not any(
            sample.value for sample in family.samples if sample.name.endswith("_count"))
        for sample in [] if unused else family.samples:
            if not sample.name.endswith("_created"):
                exposed.add_sample(family.name if plain else sample.name, sample.labels,
                                   sample.value)
        yield exposed
