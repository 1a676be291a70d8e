"""Loss and accuracy over labelled positions only.

Padding, [CLS]/[SEP] and continuation pieces carry IGNORED_LABEL (-100) and
never count: an accuracy over padding would flatter short sentences.
"""

import tensorflow as tf
import tf_keras

from modules.transform.tokenization import IGNORED_LABEL


def _labelled(labels: tf.Tensor) -> tf.Tensor:
    return tf.not_equal(labels, IGNORED_LABEL)


def masked_loss(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Mean cross-entropy over labelled positions of the batch (0 if there are none)."""
    mask = _labelled(labels)
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.boolean_mask(labels, mask), logits=tf.cast(tf.boolean_mask(logits, mask), tf.float32))
    return tf.math.divide_no_nan(tf.reduce_sum(losses), tf.cast(tf.size(losses), tf.float32))


class MaskedAccuracy(tf_keras.metrics.Metric):
    """Share of labelled positions whose arg-max prediction is the label."""

    def __init__(self, name: str = "accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.correct = self.add_weight(name="correct", initializer="zeros")
        self.total = self.add_weight(name="total", initializer="zeros")

    def update_state(self, labels, logits, sample_weight=None):
        mask = _labelled(labels)
        predictions = tf.argmax(logits, axis=-1, output_type=labels.dtype)
        hits = tf.logical_and(mask, tf.equal(predictions, labels))
        self.correct.assign_add(tf.reduce_sum(tf.cast(hits, tf.float32)))
        self.total.assign_add(tf.reduce_sum(tf.cast(mask, tf.float32)))

    def result(self):
        return tf.math.divide_no_nan(self.correct, self.total)

    def reset_state(self):
        self.correct.assign(0.0)
        self.total.assign(0.0)
