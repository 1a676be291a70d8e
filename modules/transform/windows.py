"""Splits sentences longer than the model's position limit into windows at word boundaries.

Transform keeps sequences whole. Wherever a model sees them (training
batches, evaluation, the serving signature) a sentence of more than
``max_length`` pieces becomes several windows, each ``[CLS] pieces [SEP]``,
cut only between words (a single word longer than a window, impossible with
WordPiece's 100-character limit and a 512 limit, would be cut inside). Each
word's first piece lands in exactly one window, so every word keeps its label
in training and gets a prediction at serving time.
"""

from typing import NamedTuple, Optional

import tensorflow as tf

# A Python int (converted to int64 where used): a tf.constant here would start
# TensorFlow's eager context on import, and MultiWorkerMirroredStrategy must be
# created before that (modules/trainer/distribution.py).
_KEY_STRIDE = 2 ** 32


class Windows(NamedTuple):
    input_ids: tf.RaggedTensor      # [windows, pieces]: [CLS] ... [SEP]
    labels: Optional[tf.RaggedTensor]  # [windows, pieces], when labels were given
    sentence: tf.Tensor             # [windows]: index of the sentence in the batch
    word_piece_index: tf.RaggedTensor  # [sentences, words]: index into input_ids.flat_values


def _window_bounds(body_ends: tf.Tensor, boundaries: tf.RaggedTensor, budget: int):
    """Greedy cuts: returns (sentence, start, end) of every window, sentence-major."""
    batch = tf.shape(body_ends, out_type=tf.int64)[0]
    sentences = tf.range(batch)
    starts = tf.ones([batch], tf.int64)
    found = [tf.TensorArray(tf.int64, size=0, dynamic_size=True, infer_shape=False,
                            element_shape=[None]) for _ in range(3)]

    def step(iteration, cursor, found):
        active = cursor < body_ends
        fits = (boundaries > cursor[:, None]) & (boundaries - cursor[:, None] <= budget)
        best = tf.reduce_max(tf.ragged.boolean_mask(boundaries, fits), axis=1)
        end = tf.where(best > cursor, best, tf.minimum(cursor + budget, body_ends))
        found = [array.write(iteration, tf.boolean_mask(value, active))
                 for array, value in zip(found, (sentences, cursor, end))]
        return iteration + 1, tf.where(active, end, cursor), found

    _, _, found = tf.while_loop(
        lambda iteration, cursor, found: tf.reduce_any(cursor < body_ends), step,
        (tf.constant(0), starts, found))
    sentence, start, end = (array.concat() for array in found)
    order = tf.argsort(sentence * _KEY_STRIDE + start)
    return tf.gather(sentence, order), tf.gather(start, order), tf.gather(end, order)


def split_windows(input_ids: tf.RaggedTensor, first_pieces: tf.RaggedTensor, max_length: int,
                  labels: Optional[tf.RaggedTensor] = None) -> Windows:
    """Windows of at most ``max_length`` pieces for a batch of encoded sentences.

    ``input_ids``/``labels`` are ragged [batch, pieces] with [CLS] and [SEP];
    ``first_pieces`` ragged [batch, words] (see tokenization.encode). ``max_length``
    must leave room for [CLS], [SEP] and one piece (at least 3), or no window
    could make progress.
    """
    if max_length < 3:
        raise ValueError(f"max_length must be at least 3 ([CLS], one piece, [SEP]), not {max_length}")
    input_ids = input_ids.with_row_splits_dtype(tf.int64)
    first_pieces = first_pieces.with_row_splits_dtype(tf.int64)
    lengths = input_ids.row_lengths()
    body_ends = lengths - 1  # position of [SEP]
    boundaries = tf.concat([first_pieces, body_ends[:, None]], axis=1)
    sentence, start, end = _window_bounds(body_ends, boundaries, max_length - 2)

    def cut(values: tf.RaggedTensor) -> tf.RaggedTensor:
        """Each window's own first (CLS) and last (SEP) entries around its slice."""
        first = tf.gather(values.row_starts(), sentence)
        last = first + tf.gather(body_ends, sentence)
        body = tf.gather(values.flat_values, tf.ragged.range(first + start, first + end))
        return tf.concat([tf.gather(values.flat_values, first)[:, None], body,
                          tf.gather(values.flat_values, last)[:, None]], axis=1)

    window_ids = cut(input_ids)
    window_labels = None if labels is None else cut(labels.with_row_splits_dtype(tf.int64))

    word_sentence = first_pieces.value_rowids()
    word_keys = word_sentence * _KEY_STRIDE + first_pieces.flat_values
    window_of_word = tf.searchsorted(sentence * _KEY_STRIDE + start, word_keys, side="right") - 1
    piece_index = (tf.gather(window_ids.row_starts(), window_of_word)
                   + first_pieces.flat_values - tf.gather(start, window_of_word) + 1)
    return Windows(window_ids, window_labels, sentence, first_pieces.with_flat_values(piece_index))
