"""Resuming a Trainer that was killed: its state backed up where a rerun finds it.

TFX gives every execution new output URIs, so the backup lives under the
pipeline root, in ``<ResumeConfig.root>/<key>``: the key is a hash of what the
Trainer trains on and how (its input URIs, which a rerun after a crash gets back
from the cache, and its settings without the backup interval), so only a rerun
of the same training finds it.

tf_keras' BackupAndRestore (which, unlike Keras 3's, works with
MultiWorkerMirroredStrategy) saves the model with the optimizer's slots and step,
and where in which epoch fit was; fit then resumes mid-epoch. ResumableBackup
adds what tf_keras leaves out:

* a backup at each epoch end that marks the epoch done (tf_keras saves either
  every N steps or per epoch), so a kill after training, during the export,
  trains no step again;
* the Python state of the validation (history, best epoch and its weights) and of
  the loss record, in files beside the checkpoint. Each state file is written
  before the checkpoint of its step and removed only once a later checkpoint is
  complete, so the state of the newest complete checkpoint always exists.

The caller skips the batches already trained (``Restored.step``), so a resumed
run sees the data in the order an uninterrupted one would have, and ends with
the same optimizer steps, validation history and loss record. One number
differs: Keras' training loss of the epoch a run resumed in averages only the
steps after the backup.
"""

import dataclasses
import hashlib
import io
import json
import os
from typing import Dict, List, Optional

import numpy as np
import tensorflow as tf
import tf_keras

from contracts.training import RESUME_CONFIG_KEY, ResumeConfig
from modules.trainer.callbacks import EpochValidation, StepLossLog, optimizer_steps

# Where tf_keras' WorkerTrainingState keeps the chief's checkpoint, and the
# optimizer's step in it.
_CHECKPOINT_SUBDIR = "chief"
_STEP_KEY = "model/optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE"
# Files of the Python state beside it (names end with the step or the epoch).
_STATE_PREFIX, _WEIGHTS_PREFIX = "state-", "best-epoch-"


def resume_key(fn_args) -> str:
    """A hash of the Trainer's inputs and settings, the backup interval left out."""
    custom_config = dict(fn_args.custom_config)
    resume = ResumeConfig(**custom_config.pop(RESUME_CONFIG_KEY))
    described = {"train_files": fn_args.train_files, "eval_files": fn_args.eval_files,
                 "transform_output": fn_args.transform_output,
                 "base_model": fn_args.base_model, "custom_config": custom_config,
                 "code_fingerprint": resume.code_fingerprint}
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class Restored:
    """What a backup holds; step 0 when there is none."""

    step: int = 0  # optimizer steps trained before the backup
    epochs_done: int = 0
    finished: bool = False  # training had ended (step cap or early stopping)
    validation: Optional[Dict] = None
    best_weights: Optional[List[np.ndarray]] = None
    step_losses: Optional[Dict] = None

    def epochs_to_fit(self, planned: int) -> int:
        """fit's ``epochs``: the plan's, or those done when training had ended (fit
        then trains no step, where it would otherwise go on with the next epoch)."""
        return self.epochs_done if self.finished else planned


def _write_atomically(path: str, data: bytes) -> None:
    partial = path + ".partial"
    with tf.io.gfile.GFile(partial, "wb") as handle:
        handle.write(data)
    tf.io.gfile.rename(partial, path, overwrite=True)


def _state_file(step: int) -> str:
    return f"{_STATE_PREFIX}{step}.json"


def _weights_file(epoch: int) -> str:
    return f"{_WEIGHTS_PREFIX}{epoch}.npz"


def peek(directory: str) -> Restored:
    """The state of the newest complete backup in ``directory``, read before fit restores
    the model from it."""
    checkpoint = tf.train.latest_checkpoint(os.path.join(directory, _CHECKPOINT_SUBDIR))
    if checkpoint is None:
        return Restored()
    step = int(tf.train.load_checkpoint(checkpoint).get_tensor(_STEP_KEY))
    with tf.io.gfile.GFile(os.path.join(directory, _state_file(step))) as handle:
        state = json.load(handle)
    best_weights = None
    if state["best_weights"]:
        with tf.io.gfile.GFile(os.path.join(directory, state["best_weights"]), "rb") as handle:
            arrays = np.load(io.BytesIO(handle.read()))
            best_weights = [arrays[f"arr_{index}"] for index in range(len(arrays.files))]
    return Restored(step=step, epochs_done=state["epochs_done"], finished=state["finished"],
                    validation=state["validation"], best_weights=best_weights,
                    step_losses=state["step_losses"])


class ResumableBackup(tf_keras.callbacks.BackupAndRestore):
    """Backs training up every ``every`` optimizer steps and at each epoch end, with
    the state of ``validation`` and ``step_losses`` (see the module docstring).
    ``restored`` (``peek``'s) goes back into those two at once, the model and the
    optimizer at the start of fit. Goes after those two in fit's callbacks, so that
    a backup holds what they did at its step. Only the ``chief`` writes the state
    files; every worker takes part in the checkpoint, as tf_keras needs.

    Built on tf_keras 2.16's BackupAndRestore internals (``_training_state``,
    ``_backup``, ``_current_epoch``), which constraints.txt pins.
    """

    def __init__(self, directory: str, every: int, validation: EpochValidation,
                 step_losses: StepLossLog, restored: Restored, chief: bool = True):
        super().__init__(directory, save_freq=every, delete_checkpoint=False)
        self.validation, self.step_losses, self.chief = validation, step_losses, chief
        if restored.step:
            validation.restore(restored.validation, restored.best_weights)
            step_losses.restore(restored.step_losses)
        self._saved_best_epoch = validation.best_epoch

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)  # restores the checkpoint, if any
        if self.chief:
            tf.io.gfile.makedirs(self.backup_dir)

    def on_train_batch_end(self, batch, logs=None):
        # The epoch's last step, or the step cap, is backed up at the epoch end.
        if (optimizer_steps(self.model) % self.save_freq == 0
                and batch + 1 < self.params["steps"] and not self.model.stop_training):
            self._backup_with_state(self._current_epoch, epochs_done=self._current_epoch,
                                    finished=False)

    def on_epoch_end(self, epoch, logs=None):
        # Marked as the epoch's last batch, so that fit resumes with the next epoch.
        self._training_state._ckpt_saved_batch.assign(self.params["steps"] - 1)
        self._backup_with_state(epoch, epochs_done=epoch + 1, finished=(
            self.model.stop_training or epoch + 1 == self.params["epochs"]))

    def _backup_with_state(self, epoch: int, epochs_done: int, finished: bool) -> None:
        step = optimizer_steps(self.model)
        if self.chief:
            self._write_state(step, epochs_done, finished)
        self._backup(epoch)
        if self.chief:
            self._remove_other_states(step)

    def _write_state(self, step: int, epochs_done: int, finished: bool) -> None:
        best_epoch = self.validation.best_epoch
        if self.validation.best_weights is not None and best_epoch != self._saved_best_epoch:
            buffer = io.BytesIO()
            np.savez(buffer, *self.validation.best_weights)
            _write_atomically(os.path.join(self.backup_dir, _weights_file(best_epoch)),
                              buffer.getvalue())
            self._saved_best_epoch = best_epoch
        state = {"epochs_done": epochs_done, "finished": finished,
                 "validation": self.validation.state(), "step_losses": self.step_losses.state(),
                 "best_weights": (_weights_file(best_epoch)
                                  if self.validation.best_weights is not None else None)}
        _write_atomically(os.path.join(self.backup_dir, _state_file(step)),
                          json.dumps(state).encode())

    def _remove_other_states(self, step: int) -> None:
        """Once the checkpoint of ``step`` is complete, the state files of other steps
        and the best weights it does not name are of no more use."""
        kept = {_state_file(step), _weights_file(self.validation.best_epoch)}
        for name in tf.io.gfile.listdir(self.backup_dir):
            if name.startswith((_STATE_PREFIX, _WEIGHTS_PREFIX)) and name not in kept:
                tf.io.gfile.remove(os.path.join(self.backup_dir, name))
