"""Tag decoding of per-word class probabilities, inside the TF graph.

The per-word argmax can serve ill-formed IOB2 such as ``O I-PER`` or
``B-PER I-LOC``. Viterbi decoding picks the most probable sequence that
obeys IOB2's transition rules instead. Only core TensorFlow ops are used,
so TF Serving can run it inside the SavedModel.

Label ids follow the layout of contracts/inventory.py: 0 is O, then for
entity type k, 2k+1 is B-<k> and 2k+2 is I-<k>; any number of types works.
"""

import numpy as np
import tensorflow as tf

# Scores of forbidden tags: finite, so no inf - inf = NaN, and far below any
# allowed path (at worst log(1e-12) ~ -28 per word).
_FORBIDDEN = -1e9
_MIN_PROBABILITY = 1e-12


def _is_inside(labels):
    """Whether each label id (numpy array or tf tensor) is an I- tag."""
    return (labels > 0) & (labels % 2 == 0)


def allowed_transitions(num_labels: int) -> np.ndarray:
    """Bool [from, to]: True unless ``to`` is I-X and ``from`` is not B-X or I-X."""
    labels = np.arange(num_labels)
    kind = (labels - 1) // 2  # O gets -1, which no entity type matches
    return ~_is_inside(labels)[None, :] | (kind[:, None] == kind[None, :])


def allowed_starts(num_labels: int) -> np.ndarray:
    """Bool [label]: a sentence starts as if after an O, so never with I-X."""
    return allowed_transitions(num_labels)[0]


def _forward(log_probs: tf.Tensor) -> tf.Tensor:
    """Backpointers [words, sentences, labels]: each label's best previous label.

    Time-major input. The scores start one-hot on O, so the first step applies
    allowed_starts. Each step applies allowed_transitions specialised: O and
    B-X may follow any label, I-X only B-X (its id - 1) or I-X (itself), which
    costs O(labels) per word instead of O(labels^2).
    """
    shape = tf.shape(log_probs)[1:]
    labels = tf.range(shape[1], dtype=tf.int64)
    inside = _is_inside(labels)
    begin = tf.where(inside, labels - 1, labels)
    start = tf.broadcast_to(tf.where(labels == 0, 0.0, _FORBIDDEN), shape)

    def step(state, word_log_probs):
        scores, _ = state
        begin_scores = tf.gather(scores, begin, axis=1)
        continued = tf.maximum(begin_scores, scores)
        continued_from = tf.where(begin_scores >= scores, begin, labels)
        best = tf.reduce_max(scores, axis=1, keepdims=True)
        best_from = tf.argmax(scores, axis=1)[:, None]
        return (tf.where(inside, continued, best) + word_log_probs,
                tf.where(inside, continued_from, best_from))

    _, pointers = tf.scan(step, log_probs, initializer=(start, tf.zeros(shape, tf.int64)))
    return pointers


def _backtrack(pointers: tf.Tensor) -> tf.Tensor:
    """Tags [words - 1, sentences], following the backpointers back from the last word's O.

    Output t of the reversed scan is the tag of word t - 1, hence the shift.
    """
    final = tf.zeros(tf.shape(pointers)[1:2], tf.int64)
    tags = tf.scan(lambda tag, word_pointers: tf.gather(word_pointers, tag, batch_dims=1),
                   pointers, initializer=final, reverse=True)
    return tags[1:]


def viterbi_decode(probabilities: tf.RaggedTensor) -> tf.RaggedTensor:
    """Most probable well-formed IOB2 tag ids (int64) of ragged [sentences, words, labels]
    float32 probabilities.

    Vectorised over sentences, scanned over word positions. Past a sentence's
    end only O is possible: it may follow any tag and costs nothing, so padding
    leaves the result alone. One such position is always added, so the best
    path ends in O and tf.scan never runs zero steps (it cannot stack those).
    """
    dense = tf.pad(probabilities.to_tensor(), [[0, 0], [0, 1], [0, 0]])
    shape = tf.shape(dense)
    valid = tf.sequence_mask(probabilities.row_lengths(), shape[1])
    padding = tf.where(tf.range(shape[2]) == 0, 0.0, _FORBIDDEN)
    log_probs = tf.where(
        valid[:, :, None], tf.math.log(tf.maximum(dense, _MIN_PROBABILITY)), padding)
    tags = tf.transpose(_backtrack(_forward(tf.transpose(log_probs, [1, 0, 2]))))
    return probabilities.with_flat_values(tf.boolean_mask(tags, valid[:, :-1]))


def argmax_decode(probabilities: tf.RaggedTensor) -> tf.RaggedTensor:
    """Most probable tag id of each word on its own; may be ill-formed IOB2."""
    return probabilities.with_flat_values(tf.argmax(probabilities.flat_values, axis=-1))


DECODERS = {"viterbi": viterbi_decode, "argmax": argmax_decode}
