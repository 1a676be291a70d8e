"""Prometheus metrics of one app: collected always (as TF Serving collects its own),
served only at the path a monitoring config enables (``create_app(metrics_path=...)``).

Each app has its own registry, so several apps in one process (tests) count
separately. The hooks: ``install`` adds the request-counting middleware and
the page; ``model_call`` times the model call of a predict request;
``observe_predict`` takes its inputs and outputs; ``observe_model_batch`` is
for server-side batching (once per batched model call).
"""

import contextlib
import time
from typing import Iterator, Mapping, Optional

import numpy as np
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from starlette.requests import Request
from starlette.responses import Response

from serving import tf_serving_metrics
from serving.ner_metrics import LoadSeconds, NerMetrics
from serving.tf_serving_metrics import TfServingMetrics

# How TF Serving labels the model call of a predict request on its default runtime
# (a SavedModelBundle session, not TFRT): servables/tensorflow/predict_util.cc.
RUNTIME_API, RUNTIME = "Predict", "TF1"


def _microseconds_since(start_ns: int) -> int:
    return (time.perf_counter_ns() - start_ns) // 1000


class ServingMetrics:
    """The app's registry; as a collector, its families as the page shows them."""

    def __init__(self, load_seconds: LoadSeconds):
        self.registry = CollectorRegistry()
        self.tf_serving = TfServingMetrics(self.registry)
        self.ner = NerMetrics(self.registry, load_seconds)

    def collect(self) -> Iterator[Metric]:
        return tf_serving_metrics.as_tf_serving_writes(self.registry.collect())

    def install(self, app, metrics_path: Optional[str]) -> None:
        """Counts the app's REST requests; serves the page at ``metrics_path`` unless None."""
        app.add_middleware(_RequestMetrics, metrics=self)
        if metrics_path is not None:
            app.add_route(metrics_path, self._page, methods=["GET"], include_in_schema=False)

    @contextlib.contextmanager
    def model_call(self, model_name: str):
        """Times the block as TF Serving's runtime_latency; only if it succeeds, as there."""
        start = time.perf_counter_ns()
        yield
        self.tf_serving.runtime_latency.labels(model_name, RUNTIME_API, RUNTIME).observe(
            _microseconds_since(start))

    def observe_predict(self, model_name: str, inputs: Mapping[str, np.ndarray],
                        outputs: Mapping[str, np.ndarray]) -> None:
        self.ner.observe_predict(model_name, inputs, outputs)

    def observe_model_batch(self, batch_size: int) -> None:
        """One model call of server-side batching. Its padding is 0: the stand-in has no
        allowed_batch_sizes to pad to, and TF Serving records 0 then too."""
        self.tf_serving.processed_batch_size.observe(batch_size)
        self.tf_serving.padding_size.labels(str(batch_size)).observe(0)

    def record_rest_request(self, method: str, path: str, http_status: int,
                            microseconds: int) -> None:
        """As TF Serving's REST server: every request counted by status, latency of OK ones."""
        model_name, api = tf_serving_metrics.rest_labels(method, path)
        status = tf_serving_metrics.status_name(http_status)
        self.tf_serving.request_count.labels(model_name, status).inc()
        if status == "OK":
            self.tf_serving.request_latency.labels(model_name, api, "REST").observe(microseconds)

    async def _page(self, _request: Request) -> Response:
        return Response(generate_latest(self), media_type=CONTENT_TYPE_PLAIN_0_0_4)


class _RequestMetrics:
    """ASGI middleware: times each REST API request from its start to its last byte."""

    def __init__(self, app, metrics: ServingMetrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not tf_serving_metrics.is_rest_api_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter_ns()
        status = 500  # unless a response starts: an exception the outer handler answers

        async def send_and_note_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            self.metrics.record_rest_request(scope["method"], scope["path"], status,
                                             _microseconds_since(start))
