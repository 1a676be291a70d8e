"""Training callbacks: per-epoch validation with entity F1, best-epoch selection,
early stopping, the step cap, progress lines, the per-step loss record and a NaN guard.

Steps are counted by the optimizer (``optimizer_steps``), not by the callbacks: a
run resumed from a backup (modules/trainer/resume.py) gets the optimizer's count
back, and so trains the steps that were left, not ``total_steps`` more. What the
validation and the loss record keep in Python goes into the backup (``state``,
``restore``).
"""

import logging
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
import tf_keras
from seqeval.metrics import f1_score

from modules.trainer.losses import masked_loss
from modules.transform.tokenization import IGNORED_LABEL

# Progress lines the CLI shows even without --verbose (see pipeline/local_runner.py).
PROGRESS = logging.getLogger("ner_pipeline.progress")


def optimizer_steps(model: tf_keras.Model) -> int:
    """Optimizer steps the model has trained, those of a backup it resumed from included."""
    return int(model.optimizer.iterations.numpy())  # int() refuses a distributed variable


def window_tags(predictions: np.ndarray, labels: np.ndarray, names: Sequence[str]
                ) -> Tuple[List[List[str]], List[List[str]]]:
    """Gold and predicted tag sequences of each window, over labelled positions;
    ``predictions`` are label ids, ``names`` the tags in label-id order."""
    gold, predicted = [], []
    for row_predictions, row_labels in zip(predictions, labels):
        keep = row_labels != IGNORED_LABEL
        gold.append([names[i] for i in row_labels[keep]])
        predicted.append([names[i] for i in row_predictions[keep]])
    return gold, predicted


class EpochValidation(tf_keras.callbacks.Callback):
    """Scores the eval split after every epoch, keeps the best weights, stops early.

    One pass gives masked loss, masked accuracy and conlleval-style entity F1
    (seqeval, each window a sequence). Results go into the epoch's logs (so
    TensorBoard and the history see them) as eval_loss, eval_accuracy, eval_entity_f1.
    """

    def __init__(self, eval_batches: tf.data.Dataset, patience: int, labels: Sequence[str]):
        """``labels``: the tags in label-id order (the entity inventory's)."""
        super().__init__()
        self.eval_batches = eval_batches
        self.patience = patience
        self.labels = tuple(labels)
        self.best_f1, self.best_epoch, self.best_weights = -1.0, -1, None
        self.history: List[Dict[str, float]] = []
        self._score = None

    def _score_batch(self, inputs, labels):
        """Arg-max label ids and the summed loss of the labelled positions."""
        logits = self.model(inputs, training=False)
        labelled = tf.reduce_sum(tf.cast(labels != IGNORED_LABEL, tf.float32))
        return tf.argmax(logits, -1), masked_loss(labels, logits) * labelled, labelled

    def evaluate(self) -> Dict[str, float]:
        if self._score is None:  # traced once for every epoch; batch shapes vary
            self._score = tf.function(self._score_batch, reduce_retracing=True,
                                      autograph=False)
        loss, labelled, correct, gold, predicted = 0.0, 0.0, 0, [], []
        for inputs, labels in self.eval_batches:
            batch_predictions, batch_loss, batch_labelled = self._score(inputs, labels)
            batch_predictions, labels = batch_predictions.numpy(), labels.numpy()
            loss, labelled = loss + float(batch_loss), labelled + float(batch_labelled)
            correct += int(np.sum((batch_predictions == labels) & (labels != IGNORED_LABEL)))
            batch_gold, batch_predicted = window_tags(batch_predictions, labels, self.labels)
            gold += batch_gold
            predicted += batch_predicted
        total = max(labelled, 1.0)
        return {"eval_loss": loss / total, "eval_accuracy": correct / total,
                "eval_entity_f1": float(f1_score(gold, predicted))}

    def state(self) -> Dict:
        """The history and the best epoch (its weights are ``best_weights``), for a backup."""
        return {"history": self.history, "best_f1": self.best_f1, "best_epoch": self.best_epoch}

    def restore(self, state: Dict, best_weights: Optional[List[np.ndarray]]) -> None:
        self.history = list(state["history"])
        self.best_f1, self.best_epoch = state["best_f1"], state["best_epoch"]
        self.best_weights = best_weights

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs.update(self.evaluate())
        self.history.append({"epoch": epoch + 1, "step": optimizer_steps(self.model),
                             **{k: float(v) for k, v in logs.items()}})
        PROGRESS.info("Epoch %d: %s", epoch + 1, ", ".join(
            f"{key} {value:.4f}" for key, value in self.history[-1].items()
            if key not in ("epoch", "step")))
        if logs["eval_entity_f1"] > self.best_f1:
            self.best_f1, self.best_epoch = logs["eval_entity_f1"], epoch + 1
            self.best_weights = self.model.get_weights()
        elif epoch + 1 - self.best_epoch >= self.patience and not self.model.stop_training:
            PROGRESS.info("Eval entity F1 has not improved for %d epochs: stopping", self.patience)
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            PROGRESS.info("Keeping epoch %d (eval entity F1 %.4f)", self.best_epoch, self.best_f1)
            self.model.set_weights(self.best_weights)


class StepLimit(tf_keras.callbacks.Callback):
    """Ends training after exactly ``total_steps`` optimizer steps, mid-epoch if need be.

    Keras' fit cannot shorten only the last epoch; stopping from a batch end breaks
    the epoch's step loop and still runs on_epoch_end (so EpochValidation scores the
    partial epoch) before fit returns.
    """

    def __init__(self, total_steps: int):
        super().__init__()
        self.total_steps = total_steps

    def on_train_batch_end(self, batch, logs=None):
        if optimizer_steps(self.model) >= self.total_steps:
            self.model.stop_training = True


class ProgressLog(tf_keras.callbacks.Callback):
    """Logs step, loss and time left every ``every`` steps (fit's own output is per epoch)."""

    def __init__(self, total_steps: int, every: int = 50):
        super().__init__()
        self.total_steps, self.every = total_steps, every
        self.started, self.first_step = None, None

    def on_train_begin(self, logs=None):
        self.started, self.first_step = time.monotonic(), None

    def on_train_batch_end(self, batch, logs=None):
        step = optimizer_steps(self.model)
        if self.first_step is None:  # the step this run started from: 0, or a backup's
            self.first_step = step - 1
        if step % self.every and step != self.total_steps:
            return
        elapsed = time.monotonic() - self.started
        left = elapsed / (step - self.first_step) * (self.total_steps - step)
        PROGRESS.info("Training step %d/%d: loss %.4f, %.0f s elapsed, about %.0f s left",
                      step, self.total_steps, (logs or {}).get("loss", float("nan")),
                      elapsed, left)


def loss_record_interval(total_steps: int, points: int = 150) -> int:
    """Steps per point of the step-loss record: about ``points`` points per run."""
    return max(1, total_steps // points)


class StepLossLog(tf_keras.callbacks.Callback):
    """Records the training loss every ``every`` optimizer steps, for a per-step curve.

    Each point is the mean loss of the examples of the last ``every`` steps (fewer
    for the last point), weighted like Keras' own loss. Keras' batch logs carry only
    the running mean over the epoch so far; the exact sums come from that mean's
    total and count, read after each step (a partial batch weighs what it holds).
    """

    def __init__(self, every: int):
        super().__init__()
        if every < 1:
            raise ValueError(f"every must be >= 1, not {every}")
        self.every = every
        self.steps: List[int] = []
        self.losses: List[float] = []
        self._window_steps, self._window_total, self._window_count = 0, 0.0, 0.0
        self._last_total, self._last_count = 0.0, 0.0
        self._tracker = None

    def record(self) -> Dict:
        """What history.json keeps under ``train_loss_by_step``."""
        return {"every": self.every, "steps": list(self.steps), "losses": list(self.losses)}

    def state(self) -> Dict:
        """The record and the window of steps since its last point, for a backup."""
        return {**self.record(),
                "window": [self._window_steps, self._window_total, self._window_count]}

    def restore(self, state: Dict) -> None:
        self.steps, self.losses = list(state["steps"]), list(state["losses"])
        self._window_steps, self._window_total, self._window_count = state["window"]

    def _loss_tracker(self):
        if self._tracker is None:
            self._tracker = next((metric for metric in self.model.metrics
                                  if metric.name == "loss" and hasattr(metric, "total")
                                  and hasattr(metric, "count")), None)
        return self._tracker

    def on_epoch_begin(self, epoch, logs=None):
        self._last_total, self._last_count = 0.0, 0.0  # fit resets its metrics per epoch

    def on_train_batch_end(self, batch, logs=None):
        tracker = self._loss_tracker()
        if tracker is not None:
            total, count = float(tracker.total.numpy()), float(tracker.count.numpy())
        elif logs and "loss" in logs:  # no tracker: batches assumed of equal weight
            total, count = float(logs["loss"]) * (batch + 1), float(batch + 1)
        else:
            return
        if count < self._last_count:  # reset between two steps without on_epoch_begin
            self._last_total, self._last_count = 0.0, 0.0
        self._window_total += total - self._last_total
        self._window_count += count - self._last_count
        self._last_total, self._last_count = total, count
        self._window_steps += 1
        if self._window_steps >= self.every:
            self._flush()

    def on_train_end(self, logs=None):
        self._flush()

    def _flush(self):
        if self._window_steps and self._window_count > 0:
            self.steps.append(optimizer_steps(self.model))
            self.losses.append(self._window_total / self._window_count)
        self._window_steps, self._window_total, self._window_count = 0, 0.0, 0.0


class RaiseOnNaN(tf_keras.callbacks.Callback):
    """Stops training with an error (not silently, like TerminateOnNaN) on a NaN loss."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            raise FloatingPointError(f"Training loss became {loss} at batch {batch}; lower the "
                                     "learning rate or check the data")
