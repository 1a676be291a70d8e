"""Entity F1 of the served model on ordinary text, next to CoNLL-tokenized text.

The CoNLL-2003 test sentences are written the way such text appears in the
wild (benchmarks/detokenize.py: "Paris." rather than "Paris .") and sent
through the exported model's ``serving_default``. Its predicted entities
(character spans) are mapped back onto the gold tokens by character
offsets: a token overlapping an entity gets B-/I- of its type, in order;
seqeval then scores the gold tags against those. The same path on the
tokens joined by single spaces must reproduce the evaluator's test F1.

Reports, per form of the text: the share of sentences whose served words
equal the gold tokens exactly (the round trip) and entity P/R/F1.

    python -m benchmarks.natural_text --model-dir SERVING_DIR_OR_VERSION
"""

import argparse
import pathlib
from typing import Dict, List, Sequence, Tuple

import tensorflow as tf
import tensorflow_text  # noqa: F401  (ops of the exported model)
from seqeval.metrics import f1_score, precision_score, recall_score

from benchmarks.common import DEFAULT_DATA_DIR, write_results
from benchmarks.detokenize import detokenize
from contracts.conll_format import decode_lines, read_sentences
from contracts.padded_outputs import rows, unpad
from serving.batch_model import resolve_model_dir

Span = Tuple[int, int]


def space_joined(tokens: Sequence[str]) -> Tuple[str, List[Span]]:
    spans, start = [], 0
    for token in tokens:
        spans.append((start, start + len(token)))
        start += len(token) + 1
    return " ".join(tokens), spans


def tags_on_tokens(token_spans: Sequence[Span], entities: Sequence[Tuple[str, int, int]]
                   ) -> List[str]:
    """IOB2 tags of the gold tokens from predicted (type, start, end) character spans."""
    tags = ["O"] * len(token_spans)
    for kind, start, end in entities:
        inside = [index for index, (token_start, token_end) in enumerate(token_spans)
                  if token_start < end and start < token_end]
        for position, index in enumerate(inside):
            if tags[index] == "O":
                tags[index] = ("B-" if position == 0 else "I-") + kind
    return tags


def serve(signature, texts: List[str], batch: int = 64) -> List[Dict[str, list]]:
    results = []
    for first in range(0, len(texts), batch):
        outputs = {key: value.numpy() for key, value in
                   signature(sentences=tf.constant(texts[first:first + batch])).items()}
        for row in rows(outputs):
            words, entities = unpad(row)
            results.append({
                "words": [word["text"] for word in words],
                "entities": [(entity["type"], entity["start"], entity["end"])
                             for entity in entities]})
    return results


def score(signature, sentences, write) -> Dict[str, float]:
    texts, spans = zip(*(write(tokens) for tokens, _ in sentences))
    served = serve(signature, list(texts))
    gold = [list(tags) for _, tags in sentences]
    predicted = [tags_on_tokens(token_spans, result["entities"])
                 for token_spans, result in zip(spans, served)]
    round_trips = sum(result["words"] == list(tokens)
                      for result, (tokens, _) in zip(served, sentences))
    return {"sentences": len(sentences), "round_trip_sentences": round_trips,
            "round_trip_rate": round(round_trips / len(sentences), 4),
            "entity_precision": round(precision_score(gold, predicted), 4),
            "entity_recall": round(recall_score(gold, predicted), 4),
            "entity_f1": round(f1_score(gold, predicted), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=pathlib.Path, required=True,
                        help="A Pusher serving directory (newest version used) or a version dir")
    parser.add_argument("--data-dir", type=pathlib.Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    test_file = args.data_dir / "test.txt"
    sentences = [(sentence.tokens, sentence.ner_tags) for sentence in
                 read_sentences(decode_lines(test_file.read_bytes(), str(test_file)),
                                str(test_file))]
    version = resolve_model_dir(str(args.model_dir))
    signature = tf.saved_model.load(version).signatures["serving_default"]
    results = {"model_version": pathlib.PurePath(version).name,
               "tokenized": score(signature, sentences, space_joined),
               "natural_text": score(signature, sentences, detokenize)}
    results["f1_gap"] = round(results["tokenized"]["entity_f1"]
                              - results["natural_text"]["entity_f1"], 4)
    print(write_results("natural_text", results).read_text())


if __name__ == "__main__":
    main()
