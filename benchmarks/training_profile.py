"""Where a training step's time goes: TensorFlow's profiler on the default configuration.

Trains what training_speed calls "ours, default" (same sentences, same batches,
same model, optimizer and precision) and, after a warm-up pass that traces every shape,
records --passes passes with ``tf.profiler``. The time of every op kernel is
summed by kind:

  matrix multiplies    the dense layers and attention (all the model FLOPs);
  optimizer            the Adam update and gradient clipping;
  layout               transposes, reshapes, slices, concatenations, copies;
  embedding            lookups of the embedding tables and their gradients;
  element-wise         GELU, LayerNorm, softmax, dropout, biases, the loss, casts.

The model FLOPs over the multiplies' own kernel time, against the matmul peak,
says whether the multiplies are slow (small shapes) or the time around them is
what keeps the whole step below the peak.

Two optimizers side by side, each in a fresh process: the default (fused Adam
kernels, modules/trainer/optimizer.py) and what the Trainer used before,
Keras' Adam as transformers' create_optimizer builds it without weight decay.
"""

import collections
import tempfile
import time
from typing import Dict

import tensorflow as tf
from tensorflow.tsl.profiler.protobuf import xplane_pb2

from benchmarks.common import (
    in_fresh_process, print_result, profile_results_name, spread, write_results)
from benchmarks.training_speed import (
    DEFAULT_POLICY, compiled_classifier, computed_tokens, encoded_sentences, keras_adam,
    matmul_peak, our_batches, sample_parser, training_flops)
from modules.trainer.optimizer import make_optimizer
from modules.trainer.precision import keras_policy
from modules.transform.tokenization import read_special_ids
from contracts.checkpoint import resolve_checkpoint
from contracts.training import TRAINING_POLICIES

KINDS = ("matrix multiplies", "optimizer", "layout", "embedding", "element-wise")
_LAYOUT_OPS = {"Transpose", "_MklTranspose", "Reshape", "StridedSlice", "StridedSliceGrad",
               "Slice", "ConcatV2", "Pack", "Unpack", "Split", "SplitV", "Tile",
               "BroadcastTo", "Identity", "ExpandDims", "Squeeze", "Pad", "ZerosLike",
               "OnesLike", "Fill", "Shape", "Const"}
_EMBEDDING_OPS = {"GatherV2", "ResourceGather", "UnsortedSegmentSum", "Unique", "GatherNd",
                  "ScatterNd"}


OPTIMIZERS = {"fused Adam update (default)": make_optimizer,
              "Keras Adam from create_optimizer (before)": keras_adam}


def op_kind(name: str, op_type: str) -> str:
    scopes = name.split("/")
    if any(scope.startswith(("Adam", "clip_by_global_norm")) for scope in scopes):
        return "optimizer"
    if "MatMul" in op_type or op_type == "Einsum":
        return "matrix multiplies"
    if op_type in _LAYOUT_OPS:
        return "layout"
    if op_type in _EMBEDDING_OPS:
        return "embedding"
    return "element-wise"


def kernel_seconds(trace_dir: str) -> Dict[str, Dict[str, float]]:
    """Seconds of op kernels by kind, and within each kind by op type, over every
    TensorFlow executor thread of the profile in ``trace_dir``."""
    by_kind = {kind: collections.Counter() for kind in KINDS}
    for path in tf.io.gfile.glob(f"{trace_dir}/plugins/profile/*/*.xplane.pb"):
        space = xplane_pb2.XSpace()
        space.ParseFromString(tf.io.gfile.GFile(path, "rb").read())
        for plane in space.planes:
            for line in plane.lines:
                if not line.name.startswith("tf_Compute"):
                    continue
                for event in line.events:
                    label = plane.event_metadata[event.metadata_id].name
                    # Op kernels are "name:Type"; executor bookkeeping is "Class::method".
                    if "::" in label or ":" not in label:
                        continue
                    name, op_type = label.rsplit(":", 1)
                    by_kind[op_kind(name, op_type)][op_type] += event.duration_ps * 1e-12
    return {kind: dict(types.most_common()) for kind, types in by_kind.items()}


def profile(optimizer: str, args) -> dict:
    """Op kernel time by kind over --passes profiled passes, training with ``optimizer``
    in --precision."""
    checkpoint = resolve_checkpoint(args.checkpoint)
    pad_id = read_special_ids(checkpoint.vocab_file).pad
    input_ids, casing, labels, _, tags = encoded_sentences(args.data_dir, checkpoint,
                                                           args.sentences)
    batches = our_batches(input_ids, casing, labels, pad_id, checkpoint.max_positions,
                          static_shapes=False).cache()
    real, padded, squared = computed_tokens(batches)
    steps = sum(1 for _ in batches)
    passes = []
    with keras_policy(args.precision), tempfile.TemporaryDirectory() as trace_dir:
        classifier = compiled_classifier(checkpoint, tags, batches, as_default=True,
                                         jit_compile=False,
                                         optimizer_factory=OPTIMIZERS[optimizer])
        tf.profiler.experimental.start(trace_dir)
        for _ in range(args.passes):
            start = time.perf_counter()
            classifier.fit(batches, epochs=1, verbose=0)
            passes.append(time.perf_counter() - start)
        tf.profiler.experimental.stop()
        kernels = kernel_seconds(trace_dir)
    totals = {kind: sum(types.values()) for kind, types in kernels.items()}
    all_kernels = sum(totals.values())
    flops = training_flops(classifier, padded, squared) * args.passes
    return {
        "sentences": args.sentences, "passes": args.passes, "steps": steps * args.passes,
        "real_tokens": real * args.passes, "computed_tokens": padded * args.passes,
        "pass_seconds": spread(passes, digits=2),
        "kernel_seconds": {kind: round(seconds, 3) for kind, seconds in totals.items()},
        "kernel_share": {kind: round(seconds / all_kernels, 4) for kind, seconds in totals.items()},
        "top_op_types": {kind: {op: round(s, 3) for op, s in list(types.items())[:6]}
                         for kind, types in kernels.items()},
        "model_flops": flops,
        "matmul_kernel_flops_per_second": flops / totals["matrix multiplies"],
    }


def main() -> None:
    parser = sample_parser(__doc__)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--precision", choices=TRAINING_POLICIES, default=DEFAULT_POLICY,
                        help="the policy to train in (default: the default configuration's "
                             "on this CPU); the results go to training_profile_<precision>.json")
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS),
                        help="Profile only this optimizer and print its result as JSON (used "
                             "internally: each runs in a fresh process).")
    args = parser.parse_args()
    if args.optimizer:
        print_result(profile(args.optimizer, args))
        return
    peak = matmul_peak(tf.bfloat16 if args.precision == "mixed_bfloat16" else tf.float32)
    results = {"precision": args.precision, "matmul_peak_flops": peak, "optimizers": {}}
    for name in OPTIMIZERS:
        values = in_fresh_process("benchmarks.training_profile", [
            "--optimizer", name, "--precision", args.precision, "--data-dir", str(args.data_dir),
            "--checkpoint", args.checkpoint, "--sentences", str(args.sentences),
            "--passes", str(args.passes)])
        results["optimizers"][name] = values
        seconds = values["pass_seconds"]
        print(f"{name}: {args.passes} passes of {values['steps'] // args.passes} steps, "
              f"{seconds['median']} s median (min {seconds['min']}, max {seconds['max']}); "
              f"op kernel time by kind:")
        for kind in KINDS:
            print(f"  {kind:<18} {values['kernel_seconds'][kind]:8.2f} s "
                  f"{values['kernel_share'][kind]:6.1%}  {values['top_op_types'][kind]}")
        print(f"  matmul kernels at {values['matmul_kernel_flops_per_second'] / peak:.1%} of "
              f"peak", flush=True)
    print(f"results: {write_results(profile_results_name(args.precision), results)}")


if __name__ == "__main__":
    main()
