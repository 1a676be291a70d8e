"""``ner-pipeline serve``'s TensorFlow thread pools, under TF Serving's flag names.

With server-side batching, ``num_batch_threads`` model calls run at once. On
a small machine each call then does better on one intra-op thread than with
every call spreading over all cores (benchmarks/server_batching.py), so the
pools are worth setting, as ``tensorflow_model_server`` lets one do. 0 leaves
the choice to TensorFlow, which is both servers' default.
"""

import argparse
from typing import Optional

_FLAGS = (("tensorflow_intra_op_parallelism", "threads one operation (a matmul) may use"),
          ("tensorflow_inter_op_parallelism", "operations that may run at once"))


def add_serve_options(serve: argparse.ArgumentParser) -> None:
    group = serve.add_argument_group("TensorFlow thread pools (TF Serving's)")
    for name, meaning in _FLAGS:
        group.add_argument(f"--{name.replace('_', '-')}", f"--{name}", dest=name, type=int,
                           default=0, metavar="N", help=f"{meaning.capitalize()}; "
                                                        "0: TensorFlow chooses (default: 0)")


def usage_problem(args: argparse.Namespace) -> Optional[str]:
    for name, _ in _FLAGS:
        if getattr(args, name) < 0:
            return f"--{name}: must be 0 or more; was {getattr(args, name)}"
    return None


def apply(args: argparse.Namespace) -> None:
    """Sets the pools; only before TensorFlow has run anything in this process."""
    import tensorflow as tf
    if args.tensorflow_intra_op_parallelism:
        tf.config.threading.set_intra_op_parallelism_threads(args.tensorflow_intra_op_parallelism)
    if args.tensorflow_inter_op_parallelism:
        tf.config.threading.set_inter_op_parallelism_threads(args.tensorflow_inter_op_parallelism)
