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
# Overlapping windows advance by about half a window, so a word is in two or
# three; the most central is sought among the last four that start before it
# (always including one that holds it).
_MAX_OVERLAPPING = 4


class Windows(NamedTuple):
    input_ids: tf.RaggedTensor      # [windows, pieces]: [CLS] ... [SEP]
    labels: Optional[tf.RaggedTensor]  # [windows, pieces], when labels were given
    casing: Optional[tf.RaggedTensor]  # [windows, pieces], when casing was given
    sentence: tf.Tensor             # [windows]: index of the sequence (sentence or document) in the batch
    word_piece_index: tf.RaggedTensor  # [sequences, words]: index into input_ids.flat_values


def _furthest_fitting(boundaries: tf.RaggedTensor, cursor: tf.Tensor, limit: tf.Tensor) -> tf.Tensor:
    """Per row, the furthest boundary in (cursor, limit]; int64 min if none."""
    fits = (boundaries > cursor[:, None]) & (boundaries <= limit[:, None])
    return tf.reduce_max(tf.ragged.boolean_mask(boundaries, fits), axis=1)


def _furthest_cut(boundaries: tf.RaggedTensor, preferred: Optional[tf.RaggedTensor],
                  cursor: tf.Tensor, limit: tf.Tensor) -> tf.Tensor:
    """The furthest preferred boundary in (cursor, limit], else the furthest
    word boundary there; int64 min if neither."""
    best = _furthest_fitting(boundaries, cursor, limit)
    if preferred is not None:
        best_preferred = _furthest_fitting(preferred, cursor, limit)
        best = tf.where(best_preferred > cursor, best_preferred, best)
    return best


def _window_bounds(body_ends: tf.Tensor, boundaries: tf.RaggedTensor, budget: int,
                   preferred: Optional[tf.RaggedTensor] = None, overlap: bool = False):
    """Greedy cuts: returns (sentence, start, end) of every window, sentence-major.

    A window ends at the furthest ``preferred`` boundary that fits, else at the
    furthest word boundary, else (a word longer than the budget) mid-word. The
    next window starts where this one ends, or, with ``overlap``, at the
    furthest cut in the first half of this one (a preferred one if it lies
    past the first quarter), so that windows overlap by about half.
    """
    batch = tf.shape(body_ends, out_type=tf.int64)[0]
    sentences = tf.range(batch)
    starts = tf.ones([batch], tf.int64)
    found = [tf.TensorArray(tf.int64, size=0, dynamic_size=True, infer_shape=False,
                            element_shape=[None]) for _ in range(3)]

    def step(iteration, cursor, found):
        active = cursor < body_ends
        best = _furthest_cut(boundaries, preferred, cursor, cursor + budget)
        end = tf.where(best > cursor, best, tf.minimum(cursor + budget, body_ends))
        found = [array.write(iteration, tf.boolean_mask(value, active))
                 for array, value in zip(found, (sentences, cursor, end))]
        following = end
        if overlap:
            half = _furthest_fitting(boundaries, cursor, cursor + (end - cursor) // 2)
            half_preferred = (half if preferred is None else _furthest_fitting(
                preferred, cursor + (end - cursor) // 4, cursor + (end - cursor) // 2))
            half = tf.where(half_preferred > cursor, half_preferred, half)
            following = tf.where((end < body_ends) & (half > cursor), half, end)
        return iteration + 1, tf.where(active, following, cursor), found

    _, _, found = tf.while_loop(
        lambda iteration, cursor, found: tf.reduce_any(cursor < body_ends), step,
        (tf.constant(0), starts, found))
    sentence, start, end = (array.concat() for array in found)
    order = tf.argsort(sentence * _KEY_STRIDE + start)
    return tf.gather(sentence, order), tf.gather(start, order), tf.gather(end, order)


def _most_central_window(word_keys: tf.Tensor, window_keys: tf.Tensor, window_ends: tf.Tensor,
                         positions: tf.Tensor, overlap: bool) -> tf.Tensor:
    """The window each word is read from: the last one starting at or before it,
    or, with overlap, of those that hold it, the one where it sits most centrally."""
    last = tf.searchsorted(window_keys, word_keys, side="right") - 1
    if not overlap:
        return last
    candidates = tf.maximum(last[:, None] - tf.range(_MAX_OVERLAPPING, dtype=last.dtype), 0)
    starts = tf.gather(window_keys, candidates) - (word_keys - positions)[:, None]
    ends = tf.gather(window_ends, candidates)
    holds = (starts >= 0) & (starts <= positions[:, None]) & (positions[:, None] < ends)
    margin = tf.minimum(positions[:, None] - starts, ends - 1 - positions[:, None])
    margin = tf.where(holds, margin, tf.constant(-1, margin.dtype))
    return tf.gather(candidates, tf.argmax(margin, axis=1), batch_dims=1)


def split_windows(input_ids: tf.RaggedTensor, first_pieces: tf.RaggedTensor, max_length: int,
                  labels: Optional[tf.RaggedTensor] = None,
                  preferred_cuts: Optional[tf.RaggedTensor] = None,
                  overlap: bool = False, casing: Optional[tf.RaggedTensor] = None) -> Windows:
    """Windows of at most ``max_length`` pieces for a batch of encoded sequences.

    ``input_ids``/``labels``/``casing`` are ragged [batch, pieces] with [CLS] and [SEP];
    ``first_pieces`` ragged [batch, words] (see tokenization.encode). ``max_length``
    must leave room for [CLS], [SEP] and one piece (at least 3), or no window
    could make progress. ``preferred_cuts`` (ragged [batch, cuts], piece
    positions) are where windows end when one fits: sentence starts of a
    joined document (modules.transform.documents). With ``overlap``
    (inference only: labels would be counted twice), windows overlap by
    about half and each word is read from the window where it sits most
    centrally, so that it sees context on both sides.
    """
    if max_length < 3:
        raise ValueError(f"max_length must be at least 3 ([CLS], one piece, [SEP]), not {max_length}")
    input_ids = input_ids.with_row_splits_dtype(tf.int64)
    first_pieces = first_pieces.with_row_splits_dtype(tf.int64)
    lengths = input_ids.row_lengths()
    body_ends = lengths - 1  # position of [SEP]
    boundaries = tf.concat([first_pieces, body_ends[:, None]], axis=1)
    if preferred_cuts is not None:
        preferred_cuts = tf.concat([preferred_cuts.with_row_splits_dtype(tf.int64),
                                    body_ends[:, None]], axis=1)
    sentence, start, end = _window_bounds(body_ends, boundaries, max_length - 2, preferred_cuts,
                                          overlap)

    def cut(values: tf.RaggedTensor) -> tf.RaggedTensor:
        """Each window's own first (CLS) and last (SEP) entries around its slice."""
        first = tf.gather(values.row_starts(), sentence)
        last = first + tf.gather(body_ends, sentence)
        body = tf.gather(values.flat_values, tf.ragged.range(first + start, first + end))
        return tf.concat([tf.gather(values.flat_values, first)[:, None], body,
                          tf.gather(values.flat_values, last)[:, None]], axis=1)

    window_ids = cut(input_ids)
    window_labels, window_casing = (None if values is None else cut(
        values.with_row_splits_dtype(tf.int64)) for values in (labels, casing))

    word_sentence = first_pieces.value_rowids()
    word_keys = word_sentence * _KEY_STRIDE + first_pieces.flat_values
    window_of_word = _most_central_window(word_keys, sentence * _KEY_STRIDE + start, end,
                                          first_pieces.flat_values, overlap)
    piece_index = (tf.gather(window_ids.row_starts(), window_of_word)
                   + first_pieces.flat_values - tf.gather(start, window_of_word) + 1)
    return Windows(window_ids, window_labels, window_casing, sentence,
                   first_pieces.with_flat_values(piece_index))
