"""Whether requests of very different lengths should share a model call: padding against merging.

The model pads every row of a call to its longest row, so a short sentence
merged with a long one costs as much as the long one; merging saves the
per-call overhead. Measured in process on the SavedModel's serving_default
signature, with sentences from valid.txt:

  cost table   seconds per call for batches of n sentences of about L words;
  mixed groups groups of 16 random sentences (what 16 clients send at once)
               run as one call, as one call per length bucket of the server
               (serving.server_batching.length_bucket), or one call each:
               sentences/s, and how long the short sentences (<= 16 words)
               wait for their answer when their call runs first.

Each number is min/median/max over --passes.
"""

import argparse
import pathlib
import random
import statistics
import time
from typing import Callable, Dict, List

import tensorflow as tf
import tensorflow_text  # noqa: F401  (ops of the exported model)

from benchmarks.common import DEFAULT_DATA_DIR, spread, write_results
from contracts.conll_format import decode_lines, read_sentences
from serving.limits import count_words
from serving.server_batching import length_bucket


def seconds(call: Callable[[], object], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bucket_of(sentence: str) -> int:
    return length_bucket(count_words(sentence))


def cost_table(run, by_length: Dict[int, List[str]]) -> Dict[str, float]:
    table = {}
    for words in sorted(by_length):
        for size in (1, 4, 16):
            batch = (by_length[words] * size)[:size]
            table[f"{size} x {words} words"] = 1000 * seconds(lambda: run(batch))
    return table


def mixed_groups(run, texts: List[str], groups: int) -> Dict[str, Dict[str, float]]:
    generator = random.Random(0)
    totals = {"one call": 0.0, "per bucket": 0.0, "one call each": 0.0}
    short_waits: Dict[str, List[float]] = {"one call": [], "per bucket": []}
    for _ in range(groups):
        group = generator.sample(texts, 16)
        buckets: Dict[int, List[str]] = {}
        for sentence in group:
            buckets.setdefault(bucket_of(sentence), []).append(sentence)
        merged = seconds(lambda: run(group))
        per_bucket = {bucket: seconds(lambda b=rows: run(b)) for bucket, rows in buckets.items()}
        totals["one call"] += merged
        totals["per bucket"] += sum(per_bucket.values())
        totals["one call each"] += sum(seconds(lambda s=s: run([s]), 1) for s in group)
        if bucket_of("short") in per_bucket:
            short_waits["one call"].append(1000 * merged)
            short_waits["per bucket"].append(1000 * per_bucket[bucket_of("short")])
    sentences = 16 * groups
    return {"sentences_per_second": {way: sentences / total for way, total in totals.items()},
            "short_sentences_wait_ms": {way: statistics.median(waits)
                                        for way, waits in short_waits.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", required=True, help="A SavedModel version directory")
    parser.add_argument("--data-dir", type=pathlib.Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    path = args.data_dir / "valid.txt"
    texts = [" ".join(s.tokens) for s in read_sentences(decode_lines(path.read_bytes(), str(path)),
                                                         str(path))]
    by_length: Dict[int, List[str]] = {}
    for words in (5, 10, 20, 40):
        by_length[words] = [t for t in texts if len(t.split()) == words][:16]
    signature = tf.saved_model.load(args.model_dir).signatures["serving_default"]

    def run(sentences: List[str]):
        return signature(sentences=tf.constant(sentences))

    run(texts[:8])  # warm up
    passes = [{"cost_ms": cost_table(run, by_length), **mixed_groups(run, texts, args.groups)}
              for _ in range(args.passes)]
    results = {"model_dir": args.model_dir, "passes": args.passes, "groups": args.groups}
    for part, digits in (("cost_ms", 2), ("sentences_per_second", 1),
                         ("short_sentences_wait_ms", 1)):
        results[part] = {key: spread([p[part][key] for p in passes], digits)
                         for key in passes[0][part]}
    for part in ("cost_ms", "sentences_per_second", "short_sentences_wait_ms"):
        for key, values in results[part].items():
            print(f"{part:<24} {key:<18} {values}")
    print(f"results: {write_results('batch_padding', results)}")


if __name__ == "__main__":
    main()
