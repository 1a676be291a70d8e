"""Entity spans from per-word IOB2 tag ids, inside the TF graph (used by the serving signature).

Chunking follows conlleval, which is seqeval's default scoring: a chunk
starts at B-X, or at I-X when the previous word is O or of another type
(an I- without its B- still counts); it continues over I-X of the same type.
tests/test_entities.py checks it against seqeval.metrics.sequence_labeling.get_entities.
"""

from typing import Dict

import tensorflow as tf


def decode_entities(tag_ids: tf.RaggedTensor) -> Dict[str, tf.Tensor]:
    """Chunks of ragged [sentences, words] tag ids.

    Returns flat tensors over all chunks, in order: ``sentence`` (row in the
    batch), ``first_word``/``last_word`` (word indices in the sentence, last
    inclusive) and ``type`` (index into the inventory's types: label ids follow
    the layout of contracts/inventory.py, O then B-/I- of each type).
    """
    tag_ids = tag_ids.with_row_splits_dtype(tf.int64)
    ids = tag_ids.flat_values
    kinds = tf.where(ids > 0, (ids - 1) // 2, tf.constant(-1, tf.int64))
    begins = tf.equal(ids % 2, 1)
    position = tf.ragged.range(tag_ids.row_lengths()).flat_values
    previous = tf.where(position > 0, tf.roll(kinds, shift=1, axis=0), -1)
    inside = kinds >= 0
    starts = inside & (begins | tf.not_equal(previous, kinds))
    chunk = tf.cumsum(tf.cast(starts, tf.int64)) - 1
    count = tf.reduce_sum(tf.cast(starts, tf.int64))
    chunk_of_word = tf.boolean_mask(chunk, inside)
    return {
        "sentence": tf.boolean_mask(tag_ids.value_rowids(), starts),
        "first_word": tf.boolean_mask(position, starts),
        "last_word": tf.math.unsorted_segment_max(
            tf.boolean_mask(position, inside), chunk_of_word, count),
        "type": tf.boolean_mask(kinds, starts),
    }
