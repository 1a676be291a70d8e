"""A local stand-in for TensorFlow Serving's REST API, serving one model from its base directory.

Same URLs, request and response JSON, error bodies and HTTP codes as TF
Serving's REST API for model status, metadata and predict, so that clients
(serving/client.py, curl scripts) work unchanged against either; the
differences are listed in serving/README.md. Run it with ``ner-pipeline serve``.

Model calls and JSON conversion run in Starlette's thread pool, so the event
loop keeps accepting requests while TensorFlow works.
"""

import contextlib
import json
import logging
from typing import Any, Optional, Tuple

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException

from serving import servable, tensor_json
from serving.batching_parameters import BatchingParameters
from serving.errors import ServingError, invalid_argument
from serving.limits import Limits
from serving.metrics import ServingMetrics
from serving.model_store import ModelStore
from serving.request_log import RequestLog
from serving.served_models import ServedModels, Version
from serving.server_batching import ServerBatcher
from serving.version_labels import VersionLabel


class _ModelNameConvertor(Convertor):
    """A model name in a URL, as TF Serving matches it: no '/' and no ':'."""

    regex = "[^/:]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("model_name", _ModelNameConvertor())

LOGGER = logging.getLogger(__name__)
# The body of a 500: what went wrong stays in the server's log, not in the answer.
INTERNAL_ERROR_MESSAGE = "Internal error while serving the request; see the server log"


def json_response(content: Any, status_code: int = 200) -> Response:
    """JSON in UTF-8 like TF Serving's; NaN and Infinity are written as TF Serving writes them."""
    text = json.dumps(content, ensure_ascii=False)
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate echoed from the request: escape it
        body = json.dumps(content).encode("ascii")
    return Response(body, status_code=status_code, media_type="application/json")


def create_app(model_dir: str, model_name: str = "ner", limits: Limits = Limits(),
               poll_seconds: float = 2.0, num_versions: int = 2,
               models: Optional[ServedModels] = None,
               metrics_path: Optional[str] = None,
               request_log: Optional[RequestLog] = None,
               batching: Optional[BatchingParameters] = None) -> FastAPI:
    """The app; it loads the newest versions at start-up and then watches ``model_dir``
    (or serves ``models``: those of a --model_config_file)."""
    store = models or ServedModels(
        {model_name: ModelStore(model_dir, model_name, servable.load, num_versions)})

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        await run_in_threadpool(store.poll, wait_for_settled_files=False)
        store.start_polling(poll_seconds)
        if batcher is not None:
            batcher.start()
        try:
            yield
        finally:
            if batcher is not None:
                batcher.stop()  # runs what is queued
            store.stop_polling()
            if request_log is not None:
                request_log.close()  # writes what is queued

    app = FastAPI(title="TF Serving REST stand-in", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    metrics = ServingMetrics(store.load_seconds)
    metrics.install(app, metrics_path)  # the page only with a --monitoring_config_file
    batcher = ServerBatcher(batching, metrics.observe_model_batch) if batching else None

    @app.exception_handler(ServingError)
    async def serving_error(_request: Request, error: ServingError) -> Response:
        return json_response({"error": error.message}, error.status)

    @app.exception_handler(HTTPException)
    async def unmatched_url(request: Request, error: HTTPException) -> Response:
        if error.status_code in (404, 405) and request.url.path.lower().startswith("/v1/"):
            return json_response(
                {"error": f"Malformed request: {request.method} {request.url.path}"}, 400)
        return json_response({"error": str(error.detail)}, error.status_code)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> Response:
        # The client learns only that it failed (the error may name files, shapes or
        # data); the log says what failed. Starlette then re-raises the error, so the
        # ASGI server (uvicorn) logs its traceback too; the server goes on.
        LOGGER.error("Internal error on %s %s: %r", request.method, request.url.path, error)
        return json_response({"error": INTERNAL_ERROR_MESSAGE}, 500)

    @app.get("/v1/models")
    async def no_model_name():
        raise invalid_argument("Missing model name in request.")

    async def model_status(request: Request) -> Response:
        return json_response({"model_version_status": [
            {"version": str(number), "state": state.state,
             "status": {"error_code": state.error_code, "error_message": state.error_message}}
            for number, state in store.states(*_model_spec(request))]})

    async def model_metadata(request: Request) -> Response:
        name, version = _model_spec(request)
        held = store.servable(name, version)
        return json_response({
            "model_spec": {"name": name, "signature_name": "", "version": str(held.version)},
            "metadata": {"signature_def": {"signature_def": held.signature_defs}}})

    async def predict(request: Request) -> Response:
        body = await _read_body(request, limits)
        result = await run_in_threadpool(_predict, store, limits, *_model_spec(request), body,
                                         metrics, request_log, batcher)
        return json_response(result)

    for prefix in ("/v1/models/{name:model_name}",
                   "/v1/models/{name:model_name}/versions/{version:int}",
                   "/v1/models/{name:model_name}/labels/{label:model_name}"):
        app.add_api_route(prefix, model_status, methods=["GET"])
        app.add_api_route(prefix + "/metadata", model_metadata, methods=["GET"])
        app.add_api_route(prefix + ":predict", predict, methods=["POST"])
    return app


def _model_spec(request: Request) -> Tuple[str, Version]:
    """Model name and version (None: the newest; or a VersionLabel) from the URL."""
    if "label" in request.path_params:
        return request.path_params["name"], VersionLabel(request.path_params["label"])
    return request.path_params["name"], request.path_params.get("version")


async def _read_body(request: Request, limits: Limits) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        limits.check_body_size(int(declared))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        limits.check_body_size(size)
        chunks.append(chunk)
    return b"".join(chunks)


def _predict(store: ServedModels, limits: Limits, name: str, version: Version,
             body: bytes, metrics: ServingMetrics, request_log: Optional[RequestLog],
             batcher: Optional[ServerBatcher] = None) -> dict:
    """TF Serving's order of checks: JSON, signature name, model, signature, inputs."""
    document = tensor_json.parse_document(body)
    signature_name = tensor_json.signature_name(document)
    held = store.servable(name, version)
    signature = held.signature_defs.get(signature_name)
    if signature is None:
        raise invalid_argument(
            f'Serving signature name: "{signature_name}" not found in signature def')
    if not signature["inputs"]:
        raise invalid_argument(f"Failed to get input map for signature: {signature_name}")
    inputs, row_format = tensor_json.read_inputs(document, signature["inputs"])
    limits.check_inputs(inputs)
    with metrics.model_call(name):
        outputs = (held.run(signature_name, inputs) if batcher is None
                   else batcher.run(held, signature_name, inputs))
    metrics.observe_predict(name, inputs, outputs)
    if request_log is not None:  # queued, not written here; never raises
        request_log.offer(name, held.version, signature_name, inputs, outputs)
    return tensor_json.write_outputs(outputs, row_format)
