"""The Trainer's step plan: --max-steps caps the total, the last epoch is cut short,
and the epoch-end validation and the learning-rate schedule follow the steps trained."""

import logging

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from contracts.training import TrainingConfig
from modules.trainer.callbacks import EpochValidation, ProgressLog
from modules.trainer.losses import masked_loss
from modules.trainer.optimizer import make_optimizer
from modules.trainer.run import plan_steps, train
from modules.transform.tokenization import IGNORED_LABEL
from tests.conftest import CONLL

BATCHES_PER_EPOCH = 5


class TinyTagger(tf_keras.Model):
    """Embedding and a dense layer: per-piece logits like TokenClassifier's."""

    def __init__(self):
        super().__init__()
        self.embed = tf_keras.layers.Embedding(50, 8)
        self.logits = tf_keras.layers.Dense(len(CONLL.labels))

    def call(self, inputs, training=False):
        return self.logits(self.embed(inputs["input_ids"]))


def batches(count: int, seed: int) -> tf.data.Dataset:
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, 50, size=(count * 4, 6))
    labels = rng.integers(0, len(CONLL.labels), size=ids.shape)
    labels[:, 0] = labels[:, -1] = IGNORED_LABEL
    return tf.data.Dataset.from_tensor_slices(
        ({"input_ids": ids, "attention_mask": np.ones_like(ids)}, labels)).batch(4)


@pytest.mark.parametrize("epochs, max_steps, expected", [
    (3, 0, (15, 3)),    # no cap: whole epochs
    (3, 12, (12, 3)),   # the cap falls inside the third epoch
    (3, 10, (10, 2)),   # the cap is an epoch boundary
    (3, 99, (15, 3)),   # the cap is above what the epochs give
    (1, 3, (3, 1)),     # the cap falls inside the only epoch
])
def test_plan_steps(epochs, max_steps, expected):
    hp = TrainingConfig(epochs=epochs, max_steps=max_steps)
    assert plan_steps(hp, BATCHES_PER_EPOCH) == expected


def test_plan_steps_refuses_an_empty_training_split():
    with pytest.raises(ValueError, match="no batch"):
        plan_steps(TrainingConfig(), 0)


@pytest.mark.parametrize("epochs, max_steps, epochs_validated", [(3, 12, 3), (1, 3, 1)])
def test_training_stops_at_the_cap_and_validates_the_partial_epoch(epochs, max_steps,
                                                                   epochs_validated, caplog):
    tf_keras.utils.set_random_seed(0)
    hp = TrainingConfig(epochs=epochs, max_steps=max_steps, learning_rate=1e-2,
                        early_stopping_patience=epochs)
    total_steps, _ = plan_steps(hp, BATCHES_PER_EPOCH)
    model = TinyTagger()
    model.compile(optimizer=make_optimizer(hp, total_steps), loss=masked_loss)
    validation = EpochValidation(batches(2, seed=1), hp.early_stopping_patience, CONLL.labels)
    with caplog.at_level(logging.INFO, logger="ner_pipeline.progress"):
        trained = train(model, batches(BATCHES_PER_EPOCH, seed=0), BATCHES_PER_EPOCH,
                        total_steps, [ProgressLog(total_steps, every=1), validation])

    assert trained == total_steps == int(model.optimizer.iterations)
    assert [entry["epoch"] for entry in validation.history] == list(range(1, epochs_validated + 1))
    steps = [line for line in caplog.messages if line.startswith("Training step")]
    assert len(steps) == total_steps
    assert steps[-1].startswith(f"Training step {total_steps}/{total_steps}:")
    # The linear schedule ends exactly at the last step trained.
    schedule = model.optimizer.learning_rate
    assert float(schedule(total_steps - 1)) > 0 and float(schedule(total_steps)) == 0
