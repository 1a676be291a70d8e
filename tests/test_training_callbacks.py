"""The Trainer's callbacks: the per-step loss record and the per-epoch validation."""

import json

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from modules.trainer.callbacks import EpochValidation, StepLossLog, loss_record_interval
from modules.transform.tokenization import IGNORED_LABEL
from tests.conftest import CONLL


def test_step_loss_log_records_exact_window_means():
    """With a zero learning rate every batch's loss is known in advance: the record
    must be the example-weighted mean of each window, partial last batch included."""
    tf_keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(22, 3)).astype("float32")
    y = np.random.default_rng(1).normal(size=(22, 1)).astype("float32")
    model = tf_keras.Sequential([tf_keras.layers.Dense(1, input_shape=(3,))])
    model.compile(tf_keras.optimizers.SGD(0.0), "mse", run_eagerly=True)  # no tracing: fast
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)  # 5 of 4, one of 2
    kernel, bias = model.get_weights()
    per_example = ((x @ kernel + bias - y) ** 2)[:, 0]
    batch_losses = [per_example[i:i + 4] for i in range(0, 22, 4)]
    log = StepLossLog(every=4)
    model.fit(batches, epochs=2, callbacks=[log], verbose=0)
    every_step = batch_losses * 2
    expected = [np.concatenate(every_step[i:i + 4]).mean() for i in range(0, 12, 4)]
    assert log.record() == {"every": 4, "steps": [4, 8, 12], "losses": pytest.approx(
        [float(value) for value in expected], rel=1e-5)}
    json.dumps(log.record())  # history.json takes it as it is


def test_step_loss_interval_and_validation():
    assert loss_record_interval(150) == 1
    assert loss_record_interval(2634) == 17
    with pytest.raises(ValueError):
        StepLossLog(every=0)


def test_epoch_validation_records_the_optimizers_step():
    """The optimizer's, which counts the steps of a run resumed from a backup too."""
    validation = EpochValidation(eval_batches=None, patience=2, labels=CONLL.labels)
    validation.evaluate = lambda: {"eval_loss": 0.5, "eval_accuracy": 0.9,
                                   "eval_entity_f1": 0.7}
    model = tf_keras.Sequential([tf_keras.layers.Dense(1, input_shape=(1,))])
    model.compile(tf_keras.optimizers.SGD(), "mse")
    model.optimizer.iterations.assign(3)
    validation.set_model(model)
    validation.on_epoch_end(0, {"loss": 1.0})
    assert validation.history == [{"epoch": 1, "step": 3, "loss": 1.0, "eval_loss": 0.5,
                                   "eval_accuracy": 0.9, "eval_entity_f1": 0.7}]


class _Predicts(tf_keras.Model):
    """Logits that back the label id in inputs["predicted"] by a margin of 20."""

    def call(self, inputs, training=False):
        return tf.one_hot(inputs["predicted"], len(CONLL.labels)) * 20.0


def test_epoch_validation_scores_loss_accuracy_and_entity_f1_over_batches_of_any_width():
    ids = CONLL.label_to_id
    ignored = IGNORED_LABEL

    def batch(gold, predicted):
        return ({"predicted": tf.constant([[ids.get(t, 0) for t in row] for row in predicted])},
                tf.constant([[ids.get(t, ignored) for t in row] for row in gold], tf.int64))

    batches = [
        batch([["B-PER", "I-PER", "O", "-"], ["O", "B-LOC", "-", "-"]],
              [["B-PER", "I-PER", "O", "O"], ["O", "B-ORG", "O", "O"]]),
        batch([["B-MISC", "O", "O"]], [["B-MISC", "O", "B-LOC"]]),
    ]
    validation = EpochValidation(batches, patience=2, labels=CONLL.labels)
    validation.set_model(_Predicts())
    scores = validation.evaluate()
    # 8 labelled positions, 2 of them wrong at a loss of about 20 each; entities: PER and
    # MISC found, LOC missed, ORG and LOC made up (precision 2/4, recall 2/3).
    assert scores["eval_accuracy"] == 6 / 8
    assert scores["eval_loss"] == pytest.approx(2 * 20 / 8, rel=1e-3)
    assert scores["eval_entity_f1"] == pytest.approx(2 * (1 / 2) * (2 / 3) / (1 / 2 + 2 / 3))
    assert validation.evaluate() == scores  # a second epoch, with the function traced once
