"""Training and evaluation batches from Transform's output.

Sentences are cut into windows of at most ``max_length`` pieces (word
boundaries, see modules.transform.windows), grouped into narrow buckets of
similar length and padded only to the longest window of their batch, so a
batch of short sentences costs what short sentences cost, not what the data
set's longest sentence costs. XLA compiles the step
once per shape, so with it (``static_shapes``) the buckets are coarse and each
batch is padded to its bucket's bound: a few shapes, more padding.

With document context (``context_length`` > 0) the sentences are first put
back in document order (Transform passes document_id and sentence_index
through; Beam writes records in no particular order) and each document's
sentences are joined, then cut into windows of ``context_length`` pieces at
sentence starts (modules.transform.documents).
"""

from typing import List, Optional, Tuple

import tensorflow as tf

from contracts import features
from modules.transform.documents import document_records, join_sentences
from modules.transform.tokenization import IGNORED_LABEL
from modules.transform.windows import split_windows

_FEATURE_SPEC = {key: tf.io.VarLenFeature(tf.int64) for key in
                 (features.INPUT_IDS, features.CASING, features.FIRST_PIECES,
                  features.LABELS)}
# Documents per tokenization-free windowing call (about 15 sentences each).
_DOCUMENTS_PER_CALL = 32


# tf.data's autotuning thread sleeps between rounds, 10 ms at first and twice as long
# each time, up to a minute, and an iterator Keras' fit made is freed only once that
# sleep ends: each fit stalled up to a minute at its end, and a benchmark pass over a
# finite dataset ended at 10.23 s, 20.47 s or 40.95 s, whatever its work (README,
# "Benchmarks"). Without the thread, AUTOTUNE parallelism means every core and the
# prefetch buffer still grows as needed.
WITHOUT_AUTOTUNING = tf.data.Options()
WITHOUT_AUTOTUNING.autotune.enabled = False

# Pieces per evaluation batch: without gradients to keep, a batch of short windows
# can be much larger than a training batch, and fewer, larger calls score faster.
EVALUATION_PIECES_PER_BATCH = 4096

# Bucket bounds: narrow where CoNLL's windows are (a sentence is about 22 pieces),
# and few for XLA, which compiles once per padded length.
_NARROW_BOUNDS = (*range(8, 64, 4), *range(64, 128, 8), *range(128, 256, 16), 256, 320, 384, 448)
_STATIC_BOUNDS = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384)


def bucket_boundaries(max_length: int, static_shapes: bool = False) -> List[int]:
    """Upper bounds (exclusive) of the length buckets, ending past max_length."""
    bounds = _STATIC_BOUNDS if static_shapes else _NARROW_BOUNDS
    return [b for b in bounds if b < max_length] + [max_length + 1]


def _windows(serialized: tf.Tensor, max_length: int,
             document_rows: Optional[tf.Tensor] = None
             ) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """(input_ids, casing, labels) of the windows of a batch of sentence records;
    with ``document_rows``, of the documents those rows group the (ordered)
    records into."""
    parsed = tf.io.parse_example(serialized, _FEATURE_SPEC)
    ragged = {key: tf.RaggedTensor.from_sparse(value) for key, value in parsed.items()}
    input_ids, casing, first_pieces, labels = (ragged[key] for key in (
        features.INPUT_IDS, features.CASING, features.FIRST_PIECES,
        features.LABELS))
    preferred_cuts = None
    if document_rows is not None:
        joined = join_sentences(input_ids, first_pieces, document_rows, labels, casing)
        input_ids, first_pieces, labels, casing = (
            joined.input_ids, joined.first_pieces, joined.labels, joined.casing)
        preferred_cuts = joined.sentence_starts
    windows = split_windows(input_ids, first_pieces, max_length, labels, preferred_cuts,
                            casing=casing)
    return windows.input_ids, windows.casing, windows.labels


def _files(file_pattern) -> List[str]:
    files = tf.io.gfile.glob(file_pattern) if isinstance(file_pattern, str) else [
        name for pattern in file_pattern for name in tf.io.gfile.glob(pattern)]
    return sorted(files)


def windows_dataset(file_pattern, max_length: int, shard: Optional[Tuple[int, int]] = None,
                    context_length: int = 0) -> tf.data.Dataset:
    """One element per window: (input_ids, casing, labels), 1-D int64 each. With
    ``context_length``, windows of that many pieces packed from whole
    documents, else one sentence (or ``max_length`` pieces of it) each. With
    ``shard`` (count, index), only every count-th sentence (document) from the
    index-th on (one worker's share in distributed training)."""
    if context_length:
        records = document_records(_files(file_pattern))
        grouped = tf.data.Dataset.from_tensor_slices(tf.RaggedTensor.from_row_lengths(
            [record for document in records for record in document] or tf.zeros([0], tf.string),
            [len(document) for document in records]))
        if shard is not None:
            grouped = grouped.shard(*shard)
        batches = grouped.ragged_batch(_DOCUMENTS_PER_CALL).map(
            lambda batch: _windows(batch.flat_values, context_length, batch.value_rowids()),
            num_parallel_calls=tf.data.AUTOTUNE)
    else:
        records = tf.data.TFRecordDataset(_files(file_pattern), compression_type="GZIP")
        if shard is not None:
            records = records.shard(*shard)
        batches = records.batch(512).map(lambda batch: _windows(batch, max_length),
                                         num_parallel_calls=tf.data.AUTOTUNE)
    return batches.unbatch()


def bucket_batch_sizes(boundaries: List[int], batch_size: int, pieces_per_batch: int = 0
                       ) -> List[int]:
    """Windows per batch of each bucket (and of the one past the last bound): at
    least ``batch_size``, more where that many of the bucket's longest windows
    stay within ``pieces_per_batch``."""
    return [max(batch_size, pieces_per_batch // (bound - 1)) for bound in boundaries] + [
        batch_size]


def batched(windows: tf.data.Dataset, batch_size: int, max_length: int, pad_id: int,
            shuffle_seed=None, static_shapes: bool = False,
            pieces_per_batch: int = 0) -> tf.data.Dataset:
    """(features, labels) batches; features hold input_ids, attention_mask and casing.
    ``static_shapes``: pad to coarse bucket bounds, for XLA (see the module docstring).
    ``pieces_per_batch``: batch short windows in larger numbers (bucket_batch_sizes)."""
    if shuffle_seed is not None:
        windows = windows.shuffle(20_000, seed=shuffle_seed, reshuffle_each_iteration=True)
    boundaries = bucket_boundaries(max_length, static_shapes)
    with_mask = windows.map(lambda ids, casing, labels: (ids, tf.ones_like(ids), casing, labels))
    return (with_mask
            .bucket_by_sequence_length(
                lambda ids, mask, casing, labels: tf.shape(ids)[0], boundaries,
                bucket_batch_sizes(boundaries, batch_size, pieces_per_batch),
                padding_values=(tf.constant(pad_id, tf.int64), tf.constant(0, tf.int64),
                                tf.constant(0, tf.int64), tf.constant(IGNORED_LABEL, tf.int64)),
                pad_to_bucket_boundary=static_shapes)
            .map(lambda ids, mask, casing, labels: (
                {features.INPUT_IDS: ids, features.ATTENTION_MASK: mask,
                 features.CASING: casing}, labels))
            .prefetch(tf.data.AUTOTUNE)
            .with_options(WITHOUT_AUTOTUNING))
