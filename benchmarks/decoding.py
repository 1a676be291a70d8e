"""Constrained Viterbi decoding against per-word argmax, on the same trained models.

For each pipeline root, the Trainer's model (found in its ML Metadata) is
wrapped again in the real NerModule once per decoding
(modules/trainer/decoding.py) and scored two ways:

* test entity F1 through the evaluator's own path (serve_examples over whole
  documents, seqeval), the figure that blesses models;
* the CoNLL-2003 test sentences as ordinary text through serving_default
  (benchmarks/natural_text.py: detokenized text, entities mapped back onto
  the gold tokens).

    python -m benchmarks.decoding --pipeline-roots ROOT [ROOT ...]

The better decoding on average over the roots (2 seeds of the main profile)
is the default of ``--decoding``.
"""

import argparse
import statistics
import types

import tensorflow as tf
import tensorflow_text  # noqa: F401  (ops of the exported model)

from benchmarks import natural_text
from benchmarks.common import DEFAULT_DATA_DIR, write_results
from benchmarks.context_inference import trained_run
from contracts.conll_format import decode_lines, read_sentences
from components.ner_evaluator.metrics import MICRO, entity_scores
from components.ner_evaluator.predictions import predict_split
from contracts import features
from contracts.inventory import served_inventory
from contracts.signatures import SERVE_EXAMPLES
from modules.trainer import export
from modules.trainer.decoding import DECODERS
from modules.transform.tokenization import read_special_ids


def wrapped(trained, training, checkpoint, decoding: str) -> export.NerModule:
    """The trained model's weights and Transform layer with another decoding."""
    max_length, context_length = training.window_lengths(checkpoint.max_positions)
    return export.NerModule(trained.classifier, trained.tft_layer, max_length,
                            read_special_ids(checkpoint.vocab_file).pad,
                            served_inventory(trained), context_length,
                            decoding=decoding)


def score_run(pipeline_root: str, sentences) -> dict:
    model_dir, examples, training, checkpoint = trained_run(pipeline_root)
    trained = tf.saved_model.load(model_dir)
    result = {"pipeline_root": pipeline_root, "seed": training.seed,
              "exported_decoding": training.decoding}
    for decoding in DECODERS:
        module = wrapped(trained, training, checkpoint, decoding)
        as_loaded = types.SimpleNamespace(signatures={SERVE_EXAMPLES: module.serve_examples})
        predictions = predict_split(as_loaded, f"{examples.uri}/Split-{features.TEST_SPLIT}",
                                    module.inventory.labels)
        test = entity_scores(predictions.gold, predictions.predicted, module.inventory.types)
        natural = natural_text.score(module.serve_text, sentences, natural_text.detokenize)
        result[decoding] = {"test_entity_f1": round(test[MICRO]["f1"], 4),
                            "natural_text_entity_f1": natural["entity_f1"]}
        print(f"{pipeline_root} ({decoding}): test F1 {test[MICRO]['f1']:.4f}, natural text "
              f"F1 {natural['entity_f1']:.4f}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pipeline-roots", required=True, nargs="+", metavar="ROOT")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    args = parser.parse_args()
    test_file = f"{args.data_dir}/test.txt"
    with open(test_file, "rb") as handle:
        sentences = [(s.tokens, s.ner_tags)
                     for s in read_sentences(decode_lines(handle.read(), test_file), test_file)]
    runs = [score_run(root, sentences) for root in args.pipeline_roots]
    means = {decoding: {key: round(statistics.mean(run[decoding][key] for run in runs), 4)
                        for key in ("test_entity_f1", "natural_text_entity_f1")}
             for decoding in DECODERS}
    better = max(DECODERS, key=lambda name: (means[name]["test_entity_f1"]
                                             + means[name]["natural_text_entity_f1"]))
    print(write_results("decoding", {"runs": runs, "mean": means, "better": better}))


if __name__ == "__main__":
    main()
