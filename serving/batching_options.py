"""``ner-pipeline serve``'s server-side batching options, under TF Serving's flag names.

``--enable_batching`` and ``--batching_parameters_file`` are spelled as
``tensorflow_model_server`` spells them (and hyphenated, like the other
options), so a command line moves between the two servers unchanged.
"""

import argparse
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:  # batching_parameters loads protobuf: not while building the parser
    from serving.batching_parameters import BatchingParameters


def add_serve_options(serve: argparse.ArgumentParser) -> None:
    group = serve.add_argument_group("server-side batching (TF Serving's)")
    group.add_argument(
        "--enable-batching", "--enable_batching", dest="enable_batching", action="store_true",
        help="Run concurrent predict requests for the same version and signature as one model "
             "call")
    group.add_argument(
        "--batching-parameters-file", "--batching_parameters_file",
        dest="batching_parameters_file", metavar="FILE",
        help="TF Serving's BatchingParameters in protobuf text format (max_batch_size, "
             "batch_timeout_micros, num_batch_threads, max_enqueued_batches); "
             "default: TF Serving's defaults")


def usage_problem(args: argparse.Namespace) -> Optional[str]:
    """TF Serving refuses a parameters file without --enable_batching too."""
    if args.batching_parameters_file is not None and not args.enable_batching:
        return "--batching_parameters_file: only with --enable_batching"
    return None


def batching_parameters(args: argparse.Namespace) -> Optional["BatchingParameters"]:
    """The parameters to batch with, None without --enable_batching; BatchingConfigError
    (one line) for a file TF Serving would refuse."""
    if not args.enable_batching:
        return None
    from serving.batching_parameters import read
    return read(args.batching_parameters_file)
