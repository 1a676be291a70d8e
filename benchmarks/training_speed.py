"""Training speed: the seed's input pipeline against ours, and against the hardware.

All measured side by side in one run, same model (the configured checkpoint),
same sentences (the first --sentences of train.txt), real optimizer steps.
After one warm-up pass that traces every shape, each variant repeats its timed
pass at least --min-passes times and for at least --min-seconds, and reports
min/median/max (one short pass on this shared machine moved by 40%):

  seed style   every sentence padded to the longest of the whole data set,
               batch 8, float32 (what the notebook did);
  ours         the default training configuration: word-boundary windows,
               narrow length buckets, each batch padded to its longest window,
               batch 32 (modules/trainer/dataset.py), in the default's
               precision on this machine (bf16 where the CPU computes it
               natively, else float32);
  ours with Keras' Adam
               the same with the optimizer the Trainer used before (Keras'
               Adam, element-wise kernels; modules/trainer/optimizer.py);
  ours + XLA   the same with jit_compile, which pads to coarse bucket bounds
               (XLA compiles once per shape);
  ours in the other precision
               the default with float32 for bf16 or the other way round;
  plain PyTorch
               a plain Hugging Face PyTorch fine-tuning loop on the same
               encoded sentences, checkpoint and batch size, float32
               (benchmarks/torch_loop.py, in its own environment: ``make
               torch-env``; skipped, and said so, without it). The float32
               variant of ours is compared with it (``float32_speedup_vs_pytorch``).

Speed is real (non-padding) tokens per second. The machine's matmul peak
(fp32 and bf16) is measured with TensorFlow, and the trainer's achieved model
FLOP/s (on the tokens it actually computes, padding included) is reported as
a fraction of it.
"""

import argparse
import pathlib
import tempfile
import time

import numpy as np
import tensorflow as tf
import tf_keras
from transformers import create_optimizer

from benchmarks.common import (
    DEFAULT_DATA_DIR, PROJECT_DIR, in_fresh_process, other_precision, print_result, spread,
    write_results)
from contracts.conll_format import decode_lines, read_sentences
from modules.trainer import dataset
from modules.trainer.losses import MaskedAccuracy, masked_loss
from modules.trainer.model import TokenClassifier, load_token_classifier
from modules.trainer.optimizer import make_optimizer, schedule_arguments
from modules.trainer.precision import keras_policy, training_policy
from modules.transform.tokenization import WordPieceTokenizer, read_special_ids
from contracts.inventory import EntityInventory
from contracts.checkpoint import resolve_checkpoint
from pipeline.config import DEFAULT_CHECKPOINT, TrainingConfig


def encoded_sentences(data_dir: pathlib.Path, checkpoint, limit: int):
    """(input_ids, casing, labels) per sentence of train.txt, as Transform makes them,
    the longest sentence's pieces and the tags in label-id order."""
    path = data_dir / "train.txt"
    sentences = list(read_sentences(decode_lines(path.read_bytes(), str(path)), str(path)))
    tokenizer = WordPieceTokenizer(checkpoint.vocab_file, checkpoint.lower_case,
                                   checkpoint.strip_accents)
    words = tf.ragged.constant([list(s.tokens) for s in sentences])
    label_to_id = EntityInventory.from_types(  # the types of train, as ingestion takes them
        tag[2:] for s in sentences for tag in s.ner_tags if tag != "O").label_to_id
    tags = tf.ragged.constant([[label_to_id[t] for t in s.ner_tags] for s in sentences], tf.int64)
    encoded = tokenizer.encode(words, tags)
    longest = int(encoded["input_ids"].row_lengths().numpy().max())
    return (encoded["input_ids"][:limit], encoded["casing"][:limit], encoded["labels"][:limit],
            longest, tuple(label_to_id))


def seed_style_batches(input_ids, labels, longest: int, pad_id: int) -> tf.data.Dataset:
    ids = input_ids.to_tensor(pad_id, shape=[None, longest])
    mask = tf.ones_like(input_ids).to_tensor(0, shape=[None, longest])
    gold = labels.to_tensor(-100, shape=[None, longest])
    # Without tf.data's autotuning thread, like ours (modules/trainer/dataset.py).
    return tf.data.Dataset.from_tensor_slices(
        ({"input_ids": ids, "attention_mask": mask}, gold)).batch(8).with_options(
        dataset.WITHOUT_AUTOTUNING)


def our_batches(input_ids, casing, labels, pad_id: int, max_length: int,
                static_shapes: bool) -> tf.data.Dataset:
    windows = tf.data.Dataset.from_tensor_slices((input_ids, casing, labels))
    return dataset.batched(windows, 32, max_length, pad_id, static_shapes=static_shapes)


def compiled_classifier(checkpoint, tags, batches: tf.data.Dataset, as_default: bool,
                        jit_compile: bool, optimizer_factory=make_optimizer):
    """The classifier over ``tags`` (in label-id order) compiled as run_fn compiles it,
    in the caller's precision policy
    (precision.keras_policy), after one warm-up pass over ``batches`` that traces
    every shape. ``as_default``: with the default's casing embedding and frozen
    embeddings; else as the seed trained it, with neither."""
    tf_keras.utils.set_random_seed(0)
    default = TrainingConfig()
    classifier = TokenClassifier(
        load_token_classifier(checkpoint.directory, tags),
        casing=as_default and default.casing_embedding,
        freeze_embeddings=as_default and default.freeze_embeddings)
    steps = sum(1 for _ in batches)
    # A schedule long enough that no timed pass runs at learning rate 0.
    classifier.compile(optimizer=optimizer_factory(TrainingConfig(), 1000 * steps),
                       loss=masked_loss, metrics=[MaskedAccuracy()], jit_compile=jit_compile)
    classifier.fit(batches, epochs=1, verbose=0)
    return classifier


def train_passes(checkpoint, tags, batches: tf.data.Dataset, as_default: bool, jit_compile: bool,
                 precision: str, optimizer_factory, min_passes: int, min_seconds: float):
    """Seconds of each timed pass (after one warm-up pass that traces every shape)."""
    passes = []
    with keras_policy(precision):
        classifier = compiled_classifier(checkpoint, tags, batches, as_default, jit_compile,
                                         optimizer_factory)
        while len(passes) < min_passes or sum(passes) < min_seconds:
            start = time.perf_counter()
            classifier.fit(batches, epochs=1, verbose=0)
            passes.append(time.perf_counter() - start)
    return passes, classifier


def computed_tokens(batches: tf.data.Dataset):
    real = padded = 0
    sequence_flops_terms = 0  # sum over rows of length^2 (attention)
    for inputs, _ in batches:
        mask = inputs["attention_mask"].numpy()
        real += int(mask.sum())
        padded += mask.size
        sequence_flops_terms += mask.shape[0] * mask.shape[1] ** 2
    return real, padded, sequence_flops_terms


def training_flops(classifier, padded_tokens: int, squared_lengths: int) -> float:
    """Forward + backward: 6 FLOPs per weight per computed token (embedding
    lookups excluded), plus attention scores and mixing, 12 * layers * hidden per
    (query, key) pair."""
    config = classifier.bert.config
    embedding = sum(int(np.prod(v.shape)) for v in classifier.bert.bert.embeddings.weights)
    weights = classifier.bert.count_params() - embedding
    attention = 12 * config.num_hidden_layers * config.hidden_size * squared_lengths
    return 6 * weights * padded_tokens + attention


def matmul_peak(dtype, repeats: int = 10) -> float:
    """Best FLOP/s of square matmuls of a few sizes (the machine's practical peak)."""
    best = 0.0
    for size in (1024, 2048, 4096):
        matrix = tf.cast(tf.random.normal([size, size]), dtype)
        step = tf.function(lambda x: tf.matmul(x, x))
        step(matrix).numpy()
        start = time.perf_counter()
        for _ in range(repeats):
            result = step(matrix)
        result.numpy()
        best = max(best, 2 * size ** 3 * repeats / (time.perf_counter() - start))
    return best


def keras_adam(hp: TrainingConfig, total_steps: int):
    """The Trainer's optimizer before modules/trainer/optimizer.py, as transformers'
    create_optimizer builds it (Keras' Adam without weight decay, AdamWeightDecay
    with it)."""
    optimizer, _ = create_optimizer(
        **schedule_arguments(hp, total_steps), adam_global_clipnorm=hp.clip_norm or None,
        weight_decay_rate=hp.weight_decay)
    return optimizer


SEED_STYLE = "seed style (pad to longest in data set, batch 8)"
# The default's precision policy on this machine (--mixed-precision auto: bf16
# where the CPU computes it natively), and the other one.
DEFAULT_POLICY = training_policy(TrainingConfig().mixed_precision)
OTHER_POLICY = other_precision(DEFAULT_POLICY)
# name: (input pipeline, XLA, precision, optimizer)
VARIANTS = {
    SEED_STYLE: ("seed", False, "float32", make_optimizer),
    f"ours, default (buckets, batch 32, {DEFAULT_POLICY})":
        ("ours", False, DEFAULT_POLICY, make_optimizer),
    "ours with Keras' Adam (the update before)": ("ours", False, DEFAULT_POLICY, keras_adam),
    "ours + XLA": ("ours", True, DEFAULT_POLICY, make_optimizer),
    f"ours in {OTHER_POLICY}": ("ours", False, OTHER_POLICY, make_optimizer),
}


PYTORCH = "plain Hugging Face PyTorch loop (batch 32, padded to longest in batch, float32)"
TORCH_PYTHON = PROJECT_DIR / ".venv-torch" / "bin" / "python"


def measure_pytorch(args, work_dir: pathlib.Path) -> dict:
    """The PyTorch loop in its own environment, on the sentences the variants train on."""
    checkpoint = resolve_checkpoint(args.checkpoint)
    input_ids, _, labels, _, tags = encoded_sentences(args.data_dir, checkpoint, args.sentences)
    data = work_dir / "sentences.npz"
    np.savez(data, input_ids=input_ids.flat_values.numpy(), labels=labels.flat_values.numpy(),
             lengths=input_ids.row_lengths().numpy(), label_count=len(tags))
    return in_fresh_process("benchmarks.torch_loop", [
        "--data", str(data), "--checkpoint", checkpoint.directory,
        "--pad-id", str(read_special_ids(checkpoint.vocab_file).pad),
        "--min-passes", str(args.min_passes), "--min-seconds", str(args.min_seconds)],
        python=str(TORCH_PYTHON))


def float32_speedup_vs_pytorch(variants: dict) -> float:
    """Our default configuration in float32 (the default itself where float32 is the
    default, else the other-precision variant) against the PyTorch loop, at the median."""
    ours = next(values for name, values in variants.items()
                if name.startswith("ours") and values.get("precision_used") == "float32"
                and ("default" in name or OTHER_POLICY in name))
    return round(ours["real_tokens_per_second"]["median"]
                 / variants[PYTORCH]["real_tokens_per_second"]["median"], 2)


def measure_variant(name: str, args) -> dict:
    """One variant, in this process."""
    checkpoint = resolve_checkpoint(args.checkpoint)
    pad_id = read_special_ids(checkpoint.vocab_file).pad
    input_ids, casing, labels, longest, tags = encoded_sentences(args.data_dir, checkpoint,
                                                                 args.sentences)
    style, jit, precision, optimizer = VARIANTS[name]
    batches = (seed_style_batches(input_ids, labels, longest, pad_id) if style == "seed" else
               our_batches(input_ids, casing, labels, pad_id, checkpoint.max_positions,
                           static_shapes=jit)).cache()
    real, padded, squared = computed_tokens(batches)
    passes, classifier = train_passes(checkpoint, tags, batches, style == "ours", jit, precision,
                                      optimizer, args.min_passes, args.min_seconds)
    median = float(np.median(passes))
    return {"pass_seconds": [round(p, 2) for p in passes], "real_tokens": real,
            "computed_tokens": padded,
            "real_tokens_per_second": spread([real / p for p in passes]), "precision": precision,
            "model_flops_per_second": training_flops(classifier, padded, squared) / median,
            "longest_in_data_set": longest}


def sample_parser(description: str) -> argparse.ArgumentParser:
    """Options of a benchmark that trains on the first --sentences of train.txt."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=pathlib.Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    # Enough that most batches of the narrow length buckets are full, as on the
    # whole train split (512 left most of them part-full).
    parser.add_argument("--sentences", type=int, default=2048)
    return parser


def main() -> None:
    parser = sample_parser(__doc__)
    parser.add_argument("--min-passes", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=30.0)
    parser.add_argument("--variant", choices=sorted(VARIANTS),
                        help="Measure only this variant and print its result as JSON (used "
                             "internally: each variant runs in a fresh process so that one "
                             "cannot slow the next through TensorFlow's process state).")
    args = parser.parse_args()
    if args.variant:
        print_result(measure_variant(args.variant, args))
        return
    peaks = {"float32": matmul_peak(tf.float32), "mixed_bfloat16": matmul_peak(tf.bfloat16)}
    print(f"matmul peak: fp32 {peaks['float32'] / 1e9:.1f} GFLOP/s, "
          f"bf16 {peaks['mixed_bfloat16'] / 1e9:.1f} GFLOP/s")
    results = {"sentences": args.sentences, "matmul_peak_flops": peaks, "variants": {}}
    for name in VARIANTS:
        values = in_fresh_process("benchmarks.training_speed", [
            "--variant", name, "--data-dir", str(args.data_dir), "--checkpoint", args.checkpoint,
            "--sentences", str(args.sentences), "--min-passes", str(args.min_passes),
            "--min-seconds", str(args.min_seconds)])
        values["precision_used"] = values.pop("precision")
        values["fraction_of_matmul_peak"] = round(
            values["model_flops_per_second"] / peaks[values["precision_used"]], 4)
        results["longest_in_data_set"] = values.pop("longest_in_data_set")
        results["variants"][name] = values
        speed = values["real_tokens_per_second"]
        print(f"{name:<50} {speed['median']:>9,.0f} real tokens/s median (min {speed['min']:,.0f}, "
              f"max {speed['max']:,.0f}, {len(values['pass_seconds'])} passes)  "
              f"({values['computed_tokens'] / values['real_tokens']:.2f} computed per real, "
              f"{values['model_flops_per_second'] / 1e9:.1f} GFLOP/s = "
              f"{values['fraction_of_matmul_peak']:.1%} of peak)", flush=True)
    if TORCH_PYTHON.exists():
        with tempfile.TemporaryDirectory() as work_dir:
            values = measure_pytorch(args, pathlib.Path(work_dir))
        values["precision_used"] = values.pop("precision")
        results["variants"][PYTORCH] = values
        results["float32_speedup_vs_pytorch"] = float32_speedup_vs_pytorch(results["variants"])
        speed = values["real_tokens_per_second"]
        print(f"{PYTORCH:<50} {speed['median']:>9,.0f} real tokens/s median (min "
              f"{speed['min']:,.0f}, max {speed['max']:,.0f}); ours in float32: "
              f"{results['float32_speedup_vs_pytorch']}x", flush=True)
    else:
        print(f"{PYTORCH}: skipped, no {TORCH_PYTHON.relative_to(PROJECT_DIR)} (make torch-env)")
    base = results["variants"][SEED_STYLE]["real_tokens_per_second"]["median"]
    for values in results["variants"].values():
        values["speedup_vs_seed_style"] = round(
            values["real_tokens_per_second"]["median"] / base, 2)
    print("speed-up vs seed style: " + ", ".join(
        f"{name}: {values['speedup_vs_seed_style']}x" for name, values in results["variants"].items()))
    print(f"results: {write_results('training_speed', results)}")


if __name__ == "__main__":
    main()
