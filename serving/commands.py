"""The ``serve`` and ``predict`` subcommands of ``ner-pipeline``.

TensorFlow, FastAPI and requests are imported inside the handlers, so that
building the parser (``ner-pipeline --help``, ``ner-pipeline run``) stays cheap.
"""

import argparse
import dataclasses
import json
import logging
import os
import sys
import warnings

from serving.limits import Limits

DEFAULT_URL = "http://127.0.0.1:8501"


def add_commands(subparsers) -> None:
    defaults = Limits()
    serve = subparsers.add_parser(
        "serve", help="Serve pushed models over TF Serving's REST API (local stand-in).",
        description="Serve the SavedModel versions under --model-dir with TF Serving's REST API "
                    "(status, metadata, predict). New versions are picked up while running.")
    serve.add_argument("--model-dir", required=True,
                       help="Base directory with one numbered SavedModel directory per version "
                            "(the pipeline's --serving-dir)")
    serve.add_argument("--model-name", default="ner", help="Name in the URLs (default: ner)")
    serve.add_argument("--host", default="127.0.0.1", help="Address to listen on "
                                                          "(default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8501,
                       help="Port; TF Serving's REST port is 8501 (default: 8501)")
    serve.add_argument("--poll-seconds", type=float, default=2.0,
                       help="How often to look for new versions (default: 2.0)")
    serve.add_argument("--num-versions", type=int, default=2,
                       help="How many of the newest versions to keep loaded (default: 2)")
    serve.add_argument("--max-instances", type=int, default=defaults.max_instances,
                       help=f"Sentences per request (default: {defaults.max_instances})")
    serve.add_argument("--max-words", type=int, default=defaults.max_words,
                       help=f"Words per sentence (default: {defaults.max_words})")
    serve.add_argument("--max-body-bytes", type=int, default=defaults.max_body_bytes,
                       help=f"Request body size (default: {defaults.max_body_bytes})")
    serve.set_defaults(handler=serve_command)

    predict = subparsers.add_parser(
        "predict", help="Tag sentences with a running model server.",
        description="Send sentences to a model server's REST predict API (ner-pipeline serve "
                    "or TF Serving) and print the entities found.")
    predict.add_argument("sentences", nargs="+", metavar="TEXT", help="Sentences to tag")
    predict.add_argument("--url", default=DEFAULT_URL,
                         help=f"Server base URL (default: {DEFAULT_URL})")
    predict.add_argument("--model-name", default="ner", help="Model name (default: ner)")
    predict.add_argument("--json", action="store_true",
                         help="Print words and entities as JSON instead of text")
    predict.set_defaults(handler=predict_command)


def serve_command(args: argparse.Namespace) -> int:
    if not os.path.isdir(args.model_dir):
        print(f"ner-pipeline: error: --model-dir {args.model_dir} is not a directory",
              file=sys.stderr)
        return 1
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # TensorFlow's C++ INFO lines
    warnings.filterwarnings("ignore", category=FutureWarning, module="google")
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Heavy imports only when serving, so the parser stays cheap.
    import uvicorn
    from serving.server import create_app
    limits = Limits(max_instances=args.max_instances, max_words=args.max_words,
                    max_body_bytes=args.max_body_bytes)
    app = create_app(args.model_dir, args.model_name, limits=limits,
                     poll_seconds=args.poll_seconds, num_versions=args.num_versions)
    uvicorn.run(app, host=args.host, port=args.port)
    return 0


def predict_command(args: argparse.Namespace) -> int:
    import requests
    from serving import formatting
    from serving.client import NerClient, ServingRequestError
    try:
        results = NerClient(args.url, args.model_name).predict(args.sentences)
    except ServingRequestError as error:
        print(f"ner-pipeline: error: {error}", file=sys.stderr)
        return 1
    except requests.ConnectionError:
        print(f"ner-pipeline: error: no server at {args.url} (start one with "
              "'ner-pipeline serve --model-dir ...')", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([dataclasses.asdict(result) for result in results],
                         ensure_ascii=False, indent=2))
    else:
        print("\n".join(formatting.describe(result) for result in results))
    return 0
