"""Runs an exported model's serve_examples signature over a split of raw examples.

The examples go in document order, whole documents per batch, so that a
model trained with document context sees each sentence's neighbours
(serve_examples joins consecutive examples of one document_id).
"""

import dataclasses
import os
from typing import Iterator, List, Sequence

import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the ops the exported model uses)

from contracts import features
from contracts.signatures import PROBABILITIES, SERVE_EXAMPLES, TAG_IDS
from modules.transform.documents import document_records

_RAW_SPEC = {features.TOKENS: tf.io.VarLenFeature(tf.string),
             features.NER_TAGS: tf.io.VarLenFeature(tf.string)}


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


def document_batches(split_dir: str, batch_size: int) -> Iterator[tf.Tensor]:
    """Serialized examples sorted by document and sentence, in batches of whole
    documents: up to ``batch_size`` sentences, or one longer document alone."""
    files = sorted(tf.io.gfile.glob(os.path.join(split_dir, "*")))
    pending: List[bytes] = []
    for records in document_records(files):
        if pending and len(pending) + len(records) > batch_size:
            yield tf.constant(pending)
            pending = []
        pending += records
    if pending:
        yield tf.constant(pending)


def predict_split(model, split_dir: str, labels: Sequence[str], batch_size: int = 64
                  ) -> SplitPredictions:
    """``model``: an exported model as tf.saved_model.load returns it (loaded once
    for all splits: loading takes seconds); ``labels``: its tags in id order."""
    signature = model.signatures[SERVE_EXAMPLES]
    label_to_id = {label: index for index, label in enumerate(labels)}
    result = SplitPredictions([], [], [], [], [])
    for batch in document_batches(split_dir, batch_size):
        raw = tf.io.parse_example(batch, _RAW_SPEC)
        outputs = signature(examples=batch)
        tokens, gold = _strings(raw[features.TOKENS]), _strings(raw[features.NER_TAGS])
        tag_ids = outputs[TAG_IDS].numpy()
        probabilities = outputs[PROBABILITIES].numpy()
        for row, (row_tokens, row_gold) in enumerate(zip(tokens, gold)):
            count = len(row_tokens)
            gold_ids = np.array([label_to_id[tag] for tag in row_gold], dtype=np.int64)
            result.tokens.append(row_tokens)
            result.gold.append(row_gold)
            result.predicted.append([labels[i] for i in tag_ids[row, :count]])
            result.argmax.append([labels[i] for i in probabilities[row, :count].argmax(-1)])
            result.gold_probabilities.extend(
                probabilities[row, np.arange(count), gold_ids].tolist())
    return result
