"""The Evaluator's prediction time: whole-document batches against length-sorted ones.

For a model trained without document context, the Evaluator sorts the sentences
by length, 128 a call (components/ner_evaluator/predictions.py); before, it sent
whole documents in order, 64 sentences a call, each call padded to its longest
sentence. Both ways run here on the same exported model and the same splits of a
finished pipeline run, alternated pass by pass, and must give the same tags:

    python -m benchmarks.evaluator_batches --pipeline-root bench_runs/main-seed42/root

Seconds per pass (eval and test splits, as the Evaluator scores them) as
min/median/max over --passes.
"""

import argparse
import os
import time
from unittest import mock

import tensorflow as tf

from benchmarks.common import spread, write_results
from benchmarks.context_inference import trained_run
from components.ner_evaluator import predictions
from contracts import features
from contracts.inventory import served_inventory

WAYS = {"whole documents, 64 a call": False, "sorted by length, 128 a call": True}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pipeline-root", required=True)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    model_dir, examples, training, _ = trained_run(args.pipeline_root)
    if training.document_context:
        parser.error("the run's model reads documents: only whole-document batches apply")
    model = tf.saved_model.load(model_dir)
    labels = served_inventory(model).labels
    splits = [f"{examples.uri}/Split-{split}"
              for split in (features.EVAL_SPLIT, features.TEST_SPLIT)]
    seconds = {way: [] for way in WAYS}
    tags = {}
    for _ in range(args.passes):
        for way, sorted_batches in WAYS.items():
            with mock.patch.object(predictions, "reads_sentences_alone",
                                   lambda model, answer=sorted_batches: answer):
                start = time.perf_counter()
                tags[way] = [predictions.predict_split(model, split, labels).predicted
                             for split in splits]
                seconds[way].append(time.perf_counter() - start)
            print(f"{way}: {seconds[way][-1]:.1f} s", flush=True)
    sentences = sum(len(split_tags) for split_tags in tags[next(iter(WAYS))])
    # The model within its pipeline root: no machine's paths in results.
    model_path = os.path.relpath(model_dir, args.pipeline_root)
    results = {"model": f"<pipeline-root>/{model_path}", "sentences": sentences,
               "passes": args.passes,
               "seconds": {way: spread(values) for way, values in seconds.items()},
               "same_tags": len({repr(value) for value in tags.values()}) == 1}
    old, new = (results["seconds"][way]["median"] for way in WAYS)
    results["speedup_median"] = round(old / new, 2)
    print(write_results("evaluator_batches", results))


if __name__ == "__main__":
    main()
