"""Training and evaluation batches from Transform's output.

Sentences are cut into windows of at most ``max_length`` pieces (word
boundaries, see modules.transform.windows), grouped into buckets of
similar length and padded only to the bucket's boundary, so a batch of short
sentences costs what short sentences cost (the seed padded everything to the
longest sentence of the data set).
"""

from typing import List, Optional, Tuple

import tensorflow as tf

from modules.transform import preprocessing
from modules.transform.tokenization import IGNORED_LABEL
from modules.transform.windows import split_windows

_FEATURE_SPEC = {key: tf.io.VarLenFeature(tf.int64) for key in
                 (preprocessing.INPUT_IDS, preprocessing.FIRST_PIECES, preprocessing.LABELS)}


def bucket_boundaries(max_length: int) -> List[int]:
    """Upper bounds (exclusive) of the length buckets, ending past max_length."""
    bounds = [b for b in (16, 24, 32, 48, 64, 96, 128, 192, 256, 384) if b < max_length]
    return bounds + [max_length + 1]


def _windows(serialized: tf.Tensor, max_length: int) -> Tuple[tf.Tensor, tf.Tensor]:
    parsed = tf.io.parse_example(serialized, _FEATURE_SPEC)
    ragged = {key: tf.RaggedTensor.from_sparse(value) for key, value in parsed.items()}
    windows = split_windows(ragged[preprocessing.INPUT_IDS], ragged[preprocessing.FIRST_PIECES],
                            max_length, ragged[preprocessing.LABELS])
    return windows.input_ids, windows.labels


def windows_dataset(file_pattern, max_length: int,
                    shard: Optional[Tuple[int, int]] = None) -> tf.data.Dataset:
    """One element per window: (input_ids, labels), 1-D int64 each. With ``shard``
    (count, index), only every count-th sentence from the index-th on (one
    worker's share in distributed training)."""
    files = tf.io.gfile.glob(file_pattern) if isinstance(file_pattern, str) else [
        name for pattern in file_pattern for name in tf.io.gfile.glob(pattern)]
    records = tf.data.TFRecordDataset(sorted(files), compression_type="GZIP")
    if shard is not None:
        records = records.shard(*shard)
    return (records
            .batch(512)
            .map(lambda batch: _windows(batch, max_length), num_parallel_calls=tf.data.AUTOTUNE)
            .unbatch())


def batched(windows: tf.data.Dataset, batch_size: int, max_length: int, pad_id: int,
            shuffle_seed=None) -> tf.data.Dataset:
    """(features, labels) batches; features hold input_ids and attention_mask."""
    if shuffle_seed is not None:
        windows = windows.shuffle(20_000, seed=shuffle_seed, reshuffle_each_iteration=True)
    boundaries = bucket_boundaries(max_length)
    with_mask = windows.map(lambda ids, labels: (ids, tf.ones_like(ids), labels))
    return (with_mask
            .bucket_by_sequence_length(
                lambda ids, mask, labels: tf.shape(ids)[0], boundaries,
                [batch_size] * (len(boundaries) + 1),
                padding_values=(tf.constant(pad_id, tf.int64), tf.constant(0, tf.int64),
                                tf.constant(IGNORED_LABEL, tf.int64)),
                pad_to_bucket_boundary=True)
            .map(lambda ids, mask, labels: ({"input_ids": ids, "attention_mask": mask}, labels))
            .prefetch(tf.data.AUTOTUNE))
