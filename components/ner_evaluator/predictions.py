"""Runs an exported model's serve_examples signature over a split of raw examples.

A model trained with document context sees each sentence's neighbours
(serve_examples joins consecutive examples of one document_id), so its
examples go in document order, whole documents per batch. A model that tags
each sentence alone gets its sentences sorted by length, in larger batches:
a document mixes two-word headlines with forty-word sentences, and every row
of a batch is padded to its longest. The predictions come back in document
order either way.
"""

import dataclasses
import os
from typing import Iterator, List, Sequence, Tuple

import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the ops the exported model uses)

from contracts import features
from contracts.signatures import DOCUMENT_CONTEXT, PROBABILITIES, SERVE_EXAMPLES, TAG_IDS
from modules.transform.documents import document_records

_RAW_SPEC = {features.TOKENS: tf.io.VarLenFeature(tf.string),
             features.NER_TAGS: tf.io.VarLenFeature(tf.string)}
DOCUMENT_BATCH_SIZE = 64
SENTENCE_BATCH_SIZE = 128

# (positions of the records in document order, the serialized records)
Batch = Tuple[np.ndarray, List[bytes]]


@dataclasses.dataclass
class SplitPredictions:
    tokens: List[List[str]]
    gold: List[List[str]]
    predicted: List[List[str]]  # as the model decodes them (modules/trainer/decoding.py)
    argmax: List[List[str]]     # each word's most probable tag alone, to compare decodings
    gold_probabilities: List[float]  # the model's probability of each word's gold tag


def _strings(sparse: tf.SparseTensor) -> List[List[str]]:
    return [[value.decode("utf-8") for value in row]
            for row in tf.RaggedTensor.from_sparse(sparse).to_list()]


def _documents(split_dir: str) -> List[List[bytes]]:
    return document_records(sorted(tf.io.gfile.glob(os.path.join(split_dir, "*"))))


def document_batches(split_dir: str, batch_size: int = DOCUMENT_BATCH_SIZE
                     ) -> Iterator[Batch]:
    """Serialized examples sorted by document and sentence, in batches of whole
    documents: up to ``batch_size`` sentences, or one longer document alone."""
    pending: List[bytes] = []
    done = 0
    for records in _documents(split_dir):
        if pending and len(pending) + len(records) > batch_size:
            yield np.arange(done, done + len(pending)), pending
            done += len(pending)
            pending = []
        pending += records
    if pending:
        yield np.arange(done, done + len(pending)), pending


def _word_counts(records: List[bytes]) -> np.ndarray:
    tokens = tf.io.parse_example(tf.constant(records), {features.TOKENS: _RAW_SPEC[
        features.TOKENS]})[features.TOKENS]
    return tf.RaggedTensor.from_sparse(tokens).row_lengths().numpy()


def length_sorted_batches(split_dir: str, batch_size: int = SENTENCE_BATCH_SIZE
                          ) -> Iterator[Batch]:
    """The examples of ``split_dir`` sorted by word count (ties in document order),
    ``batch_size`` a batch, each with its positions in document order."""
    records = [record for document in _documents(split_dir) for record in document]
    if not records:
        return
    order = np.argsort(_word_counts(records), kind="stable")
    for start in range(0, len(order), batch_size):
        positions = order[start:start + batch_size]
        yield positions, [records[position] for position in positions]


def reads_sentences_alone(model) -> bool:
    """Whether a loaded export tags each sentence alone (trained without document
    context), so that the order and grouping of its serve_examples rows change
    nothing. Exports that do not record it keep their documents together."""
    context = getattr(model, DOCUMENT_CONTEXT, None)
    return context is not None and int(context.numpy()) == 0


def predict_split(model, split_dir: str, labels: Sequence[str]) -> SplitPredictions:
    """``model``: an exported model as tf.saved_model.load returns it (loaded once
    for all splits: loading takes seconds); ``labels``: its tags in id order."""
    signature = model.signatures[SERVE_EXAMPLES]
    label_to_id = {label: index for index, label in enumerate(labels)}
    batches = (length_sorted_batches(split_dir) if reads_sentences_alone(model)
               else document_batches(split_dir))
    rows = {}
    for positions, batch in batches:
        batch = tf.constant(batch)
        raw = tf.io.parse_example(batch, _RAW_SPEC)
        outputs = signature(examples=batch)
        tokens, gold = _strings(raw[features.TOKENS]), _strings(raw[features.NER_TAGS])
        tag_ids = outputs[TAG_IDS].numpy()
        probabilities = outputs[PROBABILITIES].numpy()
        for row, (position, row_tokens, row_gold) in enumerate(zip(positions, tokens, gold)):
            count = len(row_tokens)
            gold_ids = np.array([label_to_id[tag] for tag in row_gold], dtype=np.int64)
            rows[int(position)] = (
                row_tokens, row_gold, [labels[i] for i in tag_ids[row, :count]],
                [labels[i] for i in probabilities[row, :count].argmax(-1)],
                probabilities[row, np.arange(count), gold_ids].tolist())
    result = SplitPredictions([], [], [], [], [])
    for position in range(len(rows)):
        row_tokens, row_gold, predicted, argmax, gold_probabilities = rows[position]
        result.tokens.append(row_tokens)
        result.gold.append(row_gold)
        result.predicted.append(predicted)
        result.argmax.append(argmax)
        result.gold_probabilities.extend(gold_probabilities)
    return result
