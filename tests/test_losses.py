"""Masked loss and accuracy: padding and -100 positions never count."""

import numpy as np
import pytest
import tensorflow as tf

from modules.trainer.callbacks import RaiseOnNaN
from modules.trainer.losses import MaskedAccuracy, masked_loss
from modules.transform.tokenization import IGNORED_LABEL


def test_loss_is_mean_cross_entropy_over_labelled_positions():
    logits = tf.constant([[[2.0, 0.0], [0.0, 3.0], [5.0, -5.0]]])
    labels = tf.constant([[0, 1, IGNORED_LABEL]], tf.int64)
    expected = np.mean([np.log1p(np.exp(-2.0)), np.log1p(np.exp(-3.0))])
    assert np.isclose(float(masked_loss(labels, logits)), expected)


def test_ignored_positions_do_not_move_loss_or_accuracy():
    labels = tf.constant([[1, IGNORED_LABEL, 0, IGNORED_LABEL]], tf.int64)
    base = tf.constant([[[0.0, 1.0], [0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]])
    noisy = tf.tensor_scatter_nd_update(base, [[0, 1], [0, 3]], [[-50.0, 80.0], [9.0, -9.0]])
    assert float(masked_loss(labels, base)) == float(masked_loss(labels, noisy))
    for logits in (base, noisy):
        metric = MaskedAccuracy()
        metric.update_state(labels, logits)
        assert float(metric.result()) == 1.0


def test_accuracy_counts_only_labelled_positions():
    metric = MaskedAccuracy()
    labels = tf.constant([[0, 1, IGNORED_LABEL, IGNORED_LABEL, IGNORED_LABEL]], tf.int64)
    logits = tf.constant([[[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]])
    metric.update_state(labels, logits)
    assert float(metric.result()) == 0.5


def test_batch_without_labels_gives_zero_loss_not_nan():
    labels = tf.fill([1, 3], tf.constant(IGNORED_LABEL, tf.int64))
    assert float(masked_loss(labels, tf.zeros([1, 3, 9]))) == 0.0


def test_nan_loss_stops_training_with_an_error():
    with pytest.raises(FloatingPointError, match="nan at batch 3"):
        RaiseOnNaN().on_train_batch_end(3, {"loss": float("nan")})
    RaiseOnNaN().on_train_batch_end(4, {"loss": 0.5})
