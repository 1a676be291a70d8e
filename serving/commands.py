"""The ``serve``, ``predict`` and ``model-config`` subcommands of ``ner-pipeline``.

TensorFlow, FastAPI and requests are imported inside the handlers, so that
building the parser (``ner-pipeline --help``, ``ner-pipeline run``) stays cheap.
"""

import argparse
import dataclasses
import json
import os
import sys
from typing import Dict, List, Optional

from contracts import console
from serving import batching_options
from serving import config_options, model_config_command
from serving import monitor, request_log_options, thread_options
from serving.batch_inputs import FORMATS
from serving.limits import Limits

DEFAULT_URL = "http://127.0.0.1:8501"
# The options of one predict mode and their defaults. The parser's default is None,
# so that an option given at its default value is still seen as given (and refused
# in the other mode); predict_command fills these in once the mode is checked.
_REST_ONLY = {"url": DEFAULT_URL, "model_name": "ner", "json": False}
_BATCH_ONLY = {"output": None, "model_dir": None, "format": "text", "batch_size": 32,
               "max_words": Limits.max_words, "beam_pipeline_arg": (),
               "request_log_dir": None,
               "request_log_sampling": request_log_options.DEFAULT_SAMPLING}


def add_commands(subparsers) -> None:
    defaults = Limits()
    serve = subparsers.add_parser(
        "serve", help="Serve pushed models over TF Serving's REST API (local stand-in).",
        description="Serve the SavedModel versions under --model-dir with TF Serving's REST API "
                    "(status, metadata, predict). New versions are picked up while running.")
    serve.add_argument("--model-dir",
                       help="Base directory with one numbered SavedModel directory per version "
                            "(the pipeline's --serving-dir); or give --model_config_file")
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
    serve.add_argument("--monitoring-config-file", "--monitoring_config_file",
                       dest="monitoring_config_file", metavar="FILE",
                       help="TF Serving's MonitoringConfig text proto; with prometheus_config "
                            "{ enable: true } Prometheus metrics are served at its path "
                            "(default: no metrics page, as in TF Serving)")
    config_options.add_serve_options(serve)
    request_log_options.add_options(serve)
    batching_options.add_serve_options(serve)
    thread_options.add_serve_options(serve)
    serve.set_defaults(handler=serve_command)
    model_config_command.add_command(subparsers)

    predict = subparsers.add_parser(
        "predict", help="Tag sentences with a running model server, or a whole file offline.",
        description="Send sentences to a model server's REST predict API (ner-pipeline serve "
                    "or TF Serving) and print the entities found; or, with --input, tag a whole "
                    "file offline with the SavedModel in a Beam pipeline (RunInference) and "
                    "write one JSON line per input line or CoNLL sentence, in input order.")
    predict.add_argument("sentences", nargs="*", metavar="TEXT", help="Sentences to tag over REST")
    predict.add_argument("--url", help=f"Server base URL (default: {DEFAULT_URL})")
    predict.add_argument("--model-name", help="Model name (default: ner)")
    predict.add_argument("--json", action="store_true", default=None,
                         help="Print words and entities as JSON instead of text")
    batch = predict.add_argument_group("offline batch prediction (instead of TEXT)")
    batch.add_argument("--input", help="File to tag (local or any Beam file system, e.g. gs://)")
    batch.add_argument("--output", help="JSON Lines file to write")
    batch.add_argument("--model-dir", help="A serving base directory (its newest numbered "
                                           "version is used) or a SavedModel directory")
    batch.add_argument("--format", choices=FORMATS,
                       help="text: a sentence per line (default); conll: CoNLL sentences, their "
                            'tags echoed as gold_tags; jsonl: {"text": ...} per line')
    batch.add_argument("--batch-size", type=int,
                       help=f"Sentences per model call (default: {_BATCH_ONLY['batch_size']})")
    batch.add_argument("--max-words", type=int,
                       help="Longer sentences become error lines "
                            f"(default: {_BATCH_ONLY['max_words']})")
    batch.add_argument("--beam-pipeline-arg", action="append", metavar="ARG",
                       help="Beam pipeline option, repeatable, e.g. "
                            "--beam-pipeline-arg=--runner=DataflowRunner")
    request_log_options.add_options(batch)
    predict.set_defaults(handler=predict_command)
    monitor.add_command(subparsers)


def serve_command(args: argparse.Namespace) -> int:
    problem = config_options.usage_problem(args) or request_log_options.usage_problem(args)
    problem = problem or batching_options.usage_problem(args) or thread_options.usage_problem(args)
    if problem:
        print(f"ner-pipeline serve: error: {problem}", file=sys.stderr)
        return 2
    if args.model_dir is not None and not os.path.isdir(args.model_dir):
        print(f"ner-pipeline: error: --model-dir {args.model_dir} is not a directory",
              file=sys.stderr)
        return 1
    from serving import monitoring_config
    try:
        metrics_path = monitoring_config.metrics_path(args.monitoring_config_file)
    except monitoring_config.MonitoringConfigError as error:
        print(f"ner-pipeline serve: error: {error}", file=sys.stderr)
        return 1
    console.quiet_third_party_output()
    console.configure_logging(verbose=False, shown=("serving",))
    thread_options.apply(args)
    from serving.model_config import ConfigError
    try:
        models = config_options.served_models(args)
    except ConfigError as error:
        print(f"ner-pipeline serve: error: {error}", file=sys.stderr)
        return 1
    from serving.batching_parameters import BatchingConfigError
    try:
        batching = batching_options.batching_parameters(args)
    except BatchingConfigError as error:
        print(f"ner-pipeline serve: error: {error}", file=sys.stderr)
        return 1
    # Heavy imports only when serving, so the parser stays cheap.
    import uvicorn
    from serving.server import create_app
    try:
        request_log = request_log_options.request_log(args)
    except OSError as error:
        print(f"ner-pipeline serve: error: cannot write --request-log-dir: {error}",
              file=sys.stderr)
        return 1
    limits = Limits(max_instances=args.max_instances, max_words=args.max_words,
                    max_body_bytes=args.max_body_bytes)
    app = create_app(args.model_dir, args.model_name, limits=limits,
                     poll_seconds=args.poll_seconds, num_versions=args.num_versions,
                     models=models, metrics_path=metrics_path, request_log=request_log,
                     batching=batching)
    uvicorn.run(app, host=args.host, port=args.port)
    return 0


def predict_command(args: argparse.Namespace) -> int:
    problem = _predict_usage_problem(args)
    if problem:
        print(f"ner-pipeline predict: error: {problem}", file=sys.stderr)
        return 2
    _fill_defaults(args, _BATCH_ONLY if args.input is not None else _REST_ONLY)
    if args.input is not None:
        return _batch_predict(args)
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


def _given(args: argparse.Namespace, options: Dict[str, object]) -> List[str]:
    """The options of one mode given on the command line, whatever their value."""
    return ["--" + name.replace("_", "-") for name in options if getattr(args, name) is not None]


def _fill_defaults(args: argparse.Namespace, defaults: Dict[str, object]) -> None:
    """The mode's options not given take their defaults (the parser left them None)."""
    for name, default in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, default)


def _predict_usage_problem(args: argparse.Namespace) -> Optional[str]:
    """What is wrong with the combination of predict's arguments, in one line; None if fine."""
    if args.input is None:
        if _given(args, _BATCH_ONLY):
            return f"{', '.join(_given(args, _BATCH_ONLY))}: only with --input FILE (offline)"
        if not args.sentences:
            return ("give sentences to tag over REST, or --input FILE --output FILE.jsonl "
                    "--model-dir DIR to tag a file offline")
        return None
    if args.sentences:
        return "give either sentences (REST) or --input (offline), not both"
    if _given(args, _REST_ONLY):
        return (f"{', '.join(_given(args, _REST_ONLY))}: only for sentences sent over REST; "
                "--input runs the SavedModel from --model-dir itself")
    if args.model_dir is None:
        return "--input needs --model-dir (offline prediction runs the SavedModel, not a server)"
    if args.output is None:
        return "--input needs --output FILE.jsonl"
    if args.output == args.input:
        return "--output must not be the --input file"
    for name in ("batch_size", "max_words"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            return f"--{name.replace('_', '-')} must be at least 1"
    return request_log_options.usage_problem(args)


def _batch_predict(args: argparse.Namespace) -> int:
    console.quiet_third_party_output()
    from serving import batch_predict  # Beam and TensorFlow: only when tagging a file
    console.configure_logging(verbose=False, shown=(batch_predict.__name__,))
    job = batch_predict.BatchJob(
        model_dir=args.model_dir, input_path=args.input, output_path=args.output,
        input_format=args.format, batch_size=args.batch_size, max_words=args.max_words,
        beam_args=tuple(args.beam_pipeline_arg), request_log_dir=args.request_log_dir,
        request_log_sampling=args.request_log_sampling)
    try:
        summary = batch_predict.run(job)
    except batch_predict.BatchPredictError as error:
        print(f"ner-pipeline: error: {error}", file=sys.stderr)
        return 1
    print(f"Wrote {args.output}: {summary}")
    return 0
