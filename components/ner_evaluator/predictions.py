"""Runs an exported model's serve_examples signature over a split of raw examples."""

import dataclasses
import os
from typing import List

import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the ops the exported model uses)

from modules.trainer.export import SERVE_EXAMPLES
from contracts import features

_RAW_SPEC = {features.TOKENS: tf.io.VarLenFeature(tf.string),
             features.NER_TAGS: tf.io.VarLenFeature(tf.string)}


@dataclasses.dataclass
class SplitPredictions:
    tokens: List[List[str]]
    gold: List[List[str]]
    predicted: List[List[str]]
    gold_probabilities: List[float]  # the model's probability of each word's gold tag


def _strings(sparse: tf.SparseTensor) -> List[List[str]]:
    return [[value.decode("utf-8") for value in row]
            for row in tf.RaggedTensor.from_sparse(sparse).to_list()]


def predict_split(saved_model_dir: str, split_dir: str, batch_size: int = 64) -> SplitPredictions:
    model = tf.saved_model.load(saved_model_dir)
    signature = model.signatures[SERVE_EXAMPLES]
    files = sorted(tf.io.gfile.glob(os.path.join(split_dir, "*")))
    result = SplitPredictions([], [], [], [])
    for batch in tf.data.TFRecordDataset(files, compression_type="GZIP").batch(batch_size):
        raw = tf.io.parse_example(batch, _RAW_SPEC)
        outputs = signature(examples=batch)
        tokens, gold = _strings(raw[features.TOKENS]), _strings(raw[features.NER_TAGS])
        tag_ids = outputs["tag_ids"].numpy()
        probabilities = outputs["probabilities"].numpy()
        for row, (row_tokens, row_gold) in enumerate(zip(tokens, gold)):
            count = len(row_tokens)
            gold_ids = np.array([features.LABEL_TO_ID[tag] for tag in row_gold], dtype=np.int64)
            result.tokens.append(row_tokens)
            result.gold.append(row_gold)
            result.predicted.append([features.LABELS[i] for i in tag_ids[row, :count]])
            result.gold_probabilities.extend(
                probabilities[row, np.arange(count), gold_ids].tolist())
    return result
