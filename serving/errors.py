"""Request errors as TF Serving reports them: an HTTP status and ``{"error": message}``.

TF Serving produces a gRPC-style status code and maps it to HTTP in one table
(tensorflow_serving/model_servers/http_server.cc); ``HTTP_STATUS`` is that table,
so TensorFlow errors raised while running the model get the same HTTP code here.
"""

# gRPC status code -> HTTP status, as TF Serving's REST server maps them.
HTTP_STATUS = {
    1: 499,   # CANCELLED
    2: 500,   # UNKNOWN
    3: 400,   # INVALID_ARGUMENT
    4: 504,   # DEADLINE_EXCEEDED
    5: 404,   # NOT_FOUND
    6: 409,   # ALREADY_EXISTS
    7: 403,   # PERMISSION_DENIED
    8: 429,   # RESOURCE_EXHAUSTED
    9: 400,   # FAILED_PRECONDITION
    10: 409,  # ABORTED
    11: 400,  # OUT_OF_RANGE
    12: 501,  # UNIMPLEMENTED
    13: 500,  # INTERNAL
    14: 503,  # UNAVAILABLE
    15: 500,  # DATA_LOSS
    16: 401,  # UNAUTHENTICATED
}


class ServingError(Exception):
    """A request that cannot be served: answered with ``status`` and ``{"error": message}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def invalid_argument(message: str) -> ServingError:
    return ServingError(400, message)


def not_found(message: str) -> ServingError:
    return ServingError(404, message)
