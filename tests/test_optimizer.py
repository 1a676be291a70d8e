"""The fused optimizer computes what transformers' create_optimizer computes."""

import numpy as np
import pytest
import tensorflow as tf
from benchmarks.training_speed import keras_adam
from contracts.training import TrainingConfig
from modules.trainer.optimizer import make_optimizer

STEPS = 6


def initial_values():
    rng = np.random.default_rng(0)
    return [rng.normal(size=(20, 4)).astype(np.float32),
            rng.normal(size=(4, 3)).astype(np.float32), np.zeros(3, np.float32)]


def train_variables(optimizer):
    """A word-piece table looked up with tf.gather (a sparse gradient, with repeated
    rows) and a dense layer, trained a few steps; their values afterwards."""
    table, kernel, bias = (tf.Variable(value, name=name) for value, name in zip(
        initial_values(), ("word_embeddings", "dense/kernel", "dense/bias")))
    rng = np.random.default_rng(1)
    for step in range(STEPS):
        ids = tf.constant(rng.integers(0, 20, size=(3, 5)))
        ids = tf.concat([ids, ids[:, :1]], axis=1)  # a row twice in one batch
        targets = tf.constant(rng.normal(size=(3, 6, 3)).astype(np.float32))
        with tf.GradientTape() as tape:
            outputs = tf.gather(table, ids) @ kernel + bias
            loss = tf.reduce_mean((outputs - targets) ** 2) * (step + 1)
        gradients = tape.gradient(loss, [table, kernel, bias])
        assert isinstance(gradients[0], tf.IndexedSlices)
        optimizer.apply_gradients(zip(gradients, [table, kernel, bias]))
    return [variable.numpy() for variable in (table, kernel, bias)]


@pytest.mark.parametrize("weight_decay, clip_norm, schedule", [
    (0.0, 1.0, "linear"), (0.01, 0.0, "linear"), (0.0, 0.0, "constant")])
def test_same_updates_as_create_optimizer(weight_decay, clip_norm, schedule):
    hp = TrainingConfig(learning_rate=1e-2, weight_decay=weight_decay, clip_norm=clip_norm,
                        lr_schedule=schedule, warmup_ratio=0.34)
    reference = keras_adam(hp, STEPS)  # transformers' create_optimizer

    ours = train_variables(make_optimizer(hp, STEPS))
    expected = train_variables(reference)

    for mine, theirs, initial in zip(ours, expected, initial_values()):
        assert not np.allclose(mine, initial)  # training moved every variable
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
