"""The request-log options of ``serve`` and ``predict --input``, defined once so both read alike.

The parser's defaults are None, so that a rate given without a directory is
refused rather than silently unused; ``sampling`` fills in the default.
"""

import argparse
from typing import Optional

DEFAULT_SAMPLING = 0.1


def add_options(group) -> None:
    group.add_argument("--request-log-dir", metavar="DIR",
                       help="Write a sample of the requests and their responses here, as TFRecord "
                            "files of TF Serving's PredictionLog (default: no request log)")
    group.add_argument("--request-log-sampling", type=float, metavar="RATE",
                       help="Share of requests (batch: of lines) logged, in (0, 1], decided per "
                            "request by a hash of its number (default: "
                            f"{DEFAULT_SAMPLING})")


def usage_problem(args: argparse.Namespace) -> Optional[str]:
    rate = args.request_log_sampling
    if rate is None:
        return None
    if args.request_log_dir is None:
        return "--request-log-sampling: only with --request-log-dir"
    if not 0.0 < rate <= 1.0:
        return f"--request-log-sampling must be above 0 and at most 1, not {rate}"
    return None


def sampling(args: argparse.Namespace) -> float:
    return DEFAULT_SAMPLING if args.request_log_sampling is None else args.request_log_sampling


def request_log(args: argparse.Namespace):
    """The server's RequestLog, or None; OSError when the directory cannot be made."""
    if args.request_log_dir is None:
        return None
    from serving.request_log import RequestLog  # TensorFlow: only when serving
    return RequestLog(args.request_log_dir, sampling(args))
