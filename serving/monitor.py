"""``ner-pipeline monitor``: drift between served traffic and the model's training split.

Reads a request log directory (``serve`` or ``predict --input`` with
``--request-log-dir``), finds for every logged model version the Examples it
was trained on (training_data.py), compares them (drift_check.py) and writes a
report (drift_report.py). The exit status is for cron jobs and alerts: 0 no
threshold crossed, 1 a threshold crossed, 2 nothing could be checked (bad
options, no logs, a version the pipeline root does not know).
"""

import argparse
import os
import sys

from contracts import console
from serving.drift_check import Thresholds
from serving.drift_features import unseen_share

REPORT_FILE = "drift_report.md"
PICTURE_FILE = "drift.png"


def add_command(subparsers) -> None:
    defaults = Thresholds()
    monitor = subparsers.add_parser(
        "monitor", help="Compare logged requests with the training data of the model that "
                        "served them; exit 1 when a drift threshold is crossed.",
        description="Compare the traffic in a request log (serve/predict --request-log-dir) "
                    "with the training split of each model version that served it, found "
                    "through the pipeline root's ML Metadata. Exit status: 0 no drift, 1 drift, "
                    "2 could not check.")
    monitor.add_argument("--request-log", required=True, metavar="DIR",
                         help="Directory of PredictionLog TFRecord files")
    monitor.add_argument("--pipeline-root", required=True, metavar="ROOT",
                         help="Pipeline root of the runs that pushed the served versions")
    monitor.add_argument("--metadata-path",
                         help="SQLite ML Metadata file (default: ROOT/metadata.sqlite)")
    monitor.add_argument("--report-dir", default="drift_report",
                         help=f"Where {REPORT_FILE} and {PICTURE_FILE} go (default: drift_report)")
    monitor.add_argument("--max-psi", type=float, default=defaults.max_psi,
                         help="Largest population stability index of words per sentence, casing "
                              f"and entity types (default: {defaults.max_psi})")
    monitor.add_argument("--max-unseen-increase", type=float,
                         default=defaults.max_unseen_increase,
                         help="Largest rise of the share of words unseen in training over the "
                              "eval split's share, as a fraction "
                              f"(default: {defaults.max_unseen_increase})")
    monitor.add_argument("--min-confidence", type=float, default=defaults.min_confidence,
                         help="Lowest mean confidence of served words "
                              f"(default: {defaults.min_confidence})")
    monitor.add_argument("--min-sentences", type=int, default=defaults.min_sentences,
                         help="Fewer served sentences per version are reported, not judged "
                              f"(default: {defaults.min_sentences})")
    monitor.set_defaults(handler=monitor_command)


def monitor_command(args: argparse.Namespace) -> int:
    problem = _usage_problem(args)
    if problem:
        print(f"ner-pipeline monitor: error: {problem}", file=sys.stderr)
        return 2
    console.quiet_third_party_output()
    with console.native_stderr_filtered():  # TensorFlow's import noise
        from serving import drift_report, served_traffic, training_data
    thresholds = Thresholds(args.max_psi, args.max_unseen_increase, args.min_confidence,
                            args.min_sentences)
    try:
        traffic = served_traffic.read_traffic(args.request_log)
        reports = _version_reports(args, traffic, thresholds)
    except training_data.TrainingDataError as error:
        print(f"ner-pipeline monitor: error: {error}", file=sys.stderr)
        return 2
    os.makedirs(args.report_dir, exist_ok=True)
    drift_report.picture(reports, os.path.join(args.report_dir, PICTURE_FILE))
    skipped = f", {traffic.skipped} records of other signatures skipped" if traffic.skipped else ""
    header = (f"Request log `{args.request_log}`: {traffic.files} files{skipped}. "
              f"Pipeline root `{args.pipeline_root}`.")
    text = drift_report.markdown(reports, header, PICTURE_FILE)
    with open(os.path.join(args.report_dir, REPORT_FILE), "w", encoding="utf-8") as handle:
        handle.write(text)
    print(text)
    print(f"Report: {os.path.join(args.report_dir, REPORT_FILE)}")
    return 1 if any(report.drifted() for report in reports) else 0


def _version_reports(args: argparse.Namespace, traffic, thresholds: Thresholds) -> list:
    """A report per logged model version, against the splits it was trained on."""
    from serving import training_data
    from serving.drift_check import compare
    from serving.drift_report import VersionReport
    if not traffic.profiles:
        raise training_data.TrainingDataError(
            f"no logged serving_default or serve_words requests in {args.request_log} "
            f"({traffic.files} files, {traffic.skipped} other records)")
    store = training_data.open_store(
        args.metadata_path or os.path.join(args.pipeline_root, "metadata.sqlite"))
    reports, splits = [], {}
    for (model, version), served in sorted(traffic.profiles.items(), key=str):
        if version is None:
            raise training_data.TrainingDataError(
                f"requests to model {model} were logged without a version number")
        uri = training_data.examples_uri(store, version)
        if uri not in splits:  # read once for every version trained on it
            train = training_data.split_profile(uri, "train")
            eval_words = training_data.split_profile(uri, "eval").words
            splits[uri] = (train, unseen_share(eval_words, train.words))
        train, eval_unseen = splits[uri]
        reports.append(VersionReport(model, version, uri, traffic.requests[(model, version)],
                                     train, served,
                                     compare(train, eval_unseen, served, thresholds)))
    return reports


def _usage_problem(args: argparse.Namespace) -> str:
    if not os.path.isdir(args.request_log):
        return f"--request-log {args.request_log} is not a directory"
    if not os.path.isdir(args.pipeline_root):
        return f"--pipeline-root {args.pipeline_root} is not a directory"
    if args.max_psi <= 0 or args.min_sentences < 1:
        return "--max-psi must be above 0 and --min-sentences at least 1"
    if not 0 <= args.max_unseen_increase <= 1 or not 0 <= args.min_confidence <= 1:
        return "--max-unseen-increase and --min-confidence are fractions between 0 and 1"
    return ""
