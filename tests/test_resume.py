"""Resuming a killed Trainer (modules/trainer/resume.py): the backup's key, and a fit
interrupted mid-epoch that, resumed in a new model, ends where an uninterrupted one
does: the same optimizer steps, weights, validation history and loss record."""

import dataclasses
import os
from typing import NamedTuple

import numpy as np
import pytest
import tensorflow as tf
import tf_keras
from tfx.components.trainer.fn_args_utils import FnArgs

from contracts.training import RESUME_CONFIG_KEY, ResumeConfig, TrainingConfig
from modules.trainer import resume
from modules.trainer.callbacks import EpochValidation, StepLossLog, optimizer_steps
from modules.trainer.losses import masked_loss
from modules.trainer.optimizer import make_optimizer
from modules.trainer.run import plan_steps, train
from tests.conftest import CONLL
from tests.test_trainer_run import TinyTagger, batches

STEPS_PER_EPOCH, EVERY = 5, 3
# Three epochs capped inside the third: backups at steps 3, 5 (epoch end), 6, 9, 10, 12, 13.
HP = TrainingConfig(epochs=3, max_steps=13, learning_rate=1e-2, early_stopping_patience=3)
TOTAL_STEPS, EPOCHS = plan_steps(HP, STEPS_PER_EPOCH)


def fn_args(**changes) -> FnArgs:
    values = {"train_files": ["root/Transform/transformed_examples/7/Split-train/*"],
              "eval_files": ["root/Transform/transformed_examples/7/Split-eval/*"],
              "transform_output": "root/Transform/transform_graph/7", "base_model": None,
              "custom_config": {"training": dataclasses.asdict(TrainingConfig()),
                                "checkpoint": {"fingerprint": "abc"},
                                RESUME_CONFIG_KEY: dataclasses.asdict(ResumeConfig(
                                    root="root/checkpoints/Trainer", every=200,
                                    code_fingerprint="c0de"))}}
    values.update(changes)
    return FnArgs(**values)


def with_config(key: str, **changes) -> dict:
    custom_config = fn_args().custom_config
    return {**custom_config, key: {**custom_config[key], **changes}}


@pytest.mark.parametrize("changes", [
    {"train_files": ["root/Transform/transformed_examples/8/Split-train/*"]},
    {"eval_files": ["root/Transform/transformed_examples/8/Split-eval/*"]},
    {"transform_output": "root/Transform/transform_graph/8"},
    {"base_model": "root/Trainer/model/5/Format-Serving"},
    {"custom_config": with_config("training", seed=7)},
    {"custom_config": with_config("checkpoint", fingerprint="def")},
    {"custom_config": with_config(RESUME_CONFIG_KEY, code_fingerprint="c0de2")},
])
def test_the_key_changes_with_every_input_and_setting(changes):
    assert resume.resume_key(fn_args(**changes)) != resume.resume_key(fn_args())


def test_the_key_ignores_the_backup_interval():
    assert resume.resume_key(fn_args(custom_config=with_config(RESUME_CONFIG_KEY, every=25))
                             ) == resume.resume_key(fn_args())


class Killed(Exception):
    """Stands for a SIGKILL: fit ends at once, and the objects of the run are dropped."""


class KillAt(tf_keras.callbacks.Callback):
    def __init__(self, step: int):
        super().__init__()
        self.step = step

    def on_train_batch_end(self, batch, logs=None):
        if optimizer_steps(self.model) == self.step:
            raise Killed()


def shuffled_batches() -> tf.data.Dataset:
    """Batches in a new order in each epoch, as the Trainer's are."""
    return batches(STEPS_PER_EPOCH, seed=0).unbatch().shuffle(
        64, seed=3, reshuffle_each_iteration=True).batch(4)


class Run(NamedTuple):
    model: TinyTagger
    trained: int
    restored: resume.Restored
    validation: EpochValidation
    step_losses: StepLossLog


def run(directory, kill_at=None, strategy=None) -> Run:
    """One Trainer process: a new model from the same seed, restored from ``directory``."""
    tf_keras.utils.set_random_seed(0)
    with (strategy or tf.distribute.get_strategy()).scope():
        model = TinyTagger()
        model(next(iter(batches(1, seed=0)))[0])  # built, as the Trainer's classifier is
        model.compile(optimizer=make_optimizer(HP, TOTAL_STEPS), loss=masked_loss)
    restored = resume.peek(str(directory))
    validation = EpochValidation(batches(2, seed=1), HP.early_stopping_patience, CONLL.labels)
    step_losses = StepLossLog(every=2)
    backup = resume.ResumableBackup(str(directory), EVERY, validation, step_losses, restored)
    callbacks = [validation, step_losses, backup] + ([KillAt(kill_at)] if kill_at else [])
    trained = train(model, shuffled_batches().repeat().skip(restored.step), STEPS_PER_EPOCH,
                    TOTAL_STEPS, callbacks, restored.epochs_to_fit(EPOCHS))
    return Run(model, trained, restored, validation, step_losses)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """(its backup directory, the run)."""
    directory = tmp_path_factory.mktemp("uninterrupted")
    return directory, run(directory)


def without_loss(entry: dict) -> dict:
    return {key: value for key, value in entry.items() if key != "loss"}


def assert_same_training(resumed: Run, reference: Run):
    assert resumed.trained == optimizer_steps(resumed.model) == TOTAL_STEPS
    for ours, theirs in zip(resumed.model.get_weights(), reference.model.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    # Keras' training loss of the epoch a run resumed in averages the steps after the backup.
    assert [pytest.approx(without_loss(entry)) for entry in resumed.validation.history] == [
        without_loss(entry) for entry in reference.validation.history]
    assert resumed.validation.best_epoch == reference.validation.best_epoch
    record, expected = resumed.step_losses.record(), reference.step_losses.record()
    assert record["steps"] == expected["steps"]
    assert record["losses"] == pytest.approx(expected["losses"])


@pytest.mark.parametrize("kill_at, resumed_from", [
    (8, 6),    # mid-epoch: the backup of step 6 (a step-count backup), second epoch
    (11, 10),  # the backup at the end of the second epoch
])
def test_a_killed_fit_resumes_from_its_last_backup_and_ends_like_an_uninterrupted_one(
        kill_at, resumed_from, uninterrupted, tmp_path):
    with pytest.raises(Killed):
        run(tmp_path, kill_at=kill_at)
    # Beside the checkpoint, only the state of its step and the best epoch's weights.
    best_epoch = resume.peek(str(tmp_path)).validation["best_epoch"]
    assert sorted(name for name in os.listdir(tmp_path) if name != "chief") == [
        f"best-epoch-{best_epoch}.npz", f"state-{resumed_from}.json"]

    resumed = run(tmp_path)
    assert resumed.restored.step == resumed_from
    assert_same_training(resumed, uninterrupted[1])
    assert [entry["epoch"] for entry in resumed.validation.history] == [1, 2, 3]


def test_resuming_under_a_distribution_strategy(uninterrupted, tmp_path):
    """The Trainer's variables are distributed ones under MirroredStrategy (as under
    MultiWorkerMirroredStrategy), here with one replica: the same steps and weights."""
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with pytest.raises(Killed):
        run(tmp_path, kill_at=8, strategy=strategy)
    resumed = run(tmp_path, strategy=strategy)
    assert resumed.restored.step == 6
    assert_same_training(resumed, uninterrupted[1])


def test_a_kill_after_training_trains_no_step_again(uninterrupted):
    """Killed during the export: the rerun finds training finished and keeps the best epoch."""
    directory, reference = uninterrupted
    again = run(directory)
    assert again.restored.finished and again.restored.step == TOTAL_STEPS
    assert_same_training(again, reference)
