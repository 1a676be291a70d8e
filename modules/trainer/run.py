"""run_fn for the standard TFX Trainer: fine-tune, validate per epoch, export.

Hyperparameters arrive typed through custom_config (contracts.training.TrainingConfig),
never as constants here. Training runs under the tf.distribute strategy the
environment calls for (modules/trainer/distribution.py): one device, several
GPUs, or several workers named by TF_CONFIG, where only the chief writes. Its
state is backed up as it trains, and a rerun of a killed Trainer resumes from
the last backup (modules/trainer/resume.py).
"""

import json
import math
import os
import time
from typing import List, Optional, Tuple

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras
from absl import logging

from modules.trainer import dataset, distribution, export, precision, resume, warm_start
from modules.trainer.callbacks import (
    PROGRESS, EpochValidation, ProgressLog, RaiseOnNaN, StepLimit, StepLossLog,
    loss_record_interval, optimizer_steps)
from modules.trainer.losses import MaskedAccuracy, masked_loss
from modules.trainer.model import (
    TokenClassifier, has_weights, inference_copy, load_token_classifier)
from modules.trainer.optimizer import make_optimizer
from modules.trainer.plots import save_curves, save_step_curve
from modules.transform.tokenization import read_special_ids
from contracts.checkpoint import Checkpoint, ensure_resolved
from contracts.files import HISTORY_FILE
from contracts.inventory import read_inventory
from contracts.weights import COLD, WARM, Initialization
from contracts.training import (
    CHECKPOINT_CONFIG_KEY, RESUME_CONFIG_KEY, TRAINING_CONFIG_KEY, ResumeConfig, TrainingConfig)



def count_batches(batches: tf.data.Dataset) -> int:
    return int(batches.reduce(tf.constant(0, tf.int64), lambda count, _: count + 1))


def plan_steps(hp: TrainingConfig, steps_per_epoch: int) -> Tuple[int, int]:
    """(total optimizer steps, epochs fit runs): ``--epochs`` full passes, capped by
    ``--max-steps``; the last epoch is cut short when the cap falls inside it."""
    if steps_per_epoch < 1:
        raise ValueError("The training split gives no batch")
    total_steps = hp.epochs * steps_per_epoch
    if hp.max_steps:
        total_steps = min(total_steps, hp.max_steps)
    return total_steps, math.ceil(total_steps / steps_per_epoch)


def train(classifier: tf_keras.Model, batches: tf.data.Dataset, steps_per_epoch: int,
          total_steps: int, callbacks: List[tf_keras.callbacks.Callback],
          epochs: Optional[int] = None) -> int:
    """Fits until the optimizer has made exactly ``total_steps`` steps (epoch-end
    callbacks run after each epoch, the last, possibly partial, one included), over
    ``epochs`` (default: as many as the steps need; fewer when a resumed run had
    already finished); returns the optimizer's steps, fewer than ``total_steps`` only
    when a callback stopped early. With a backup in ``callbacks`` those steps include
    the ones it restored. ``batches`` is a dataset (repeated here) or a distributed
    dataset that repeats itself (distribution.py)."""
    if isinstance(batches, tf.data.Dataset):
        batches = batches.repeat()
    classifier.fit(batches, epochs=epochs or math.ceil(total_steps / steps_per_epoch),
                   steps_per_epoch=min(steps_per_epoch, total_steps),
                   callbacks=[StepLimit(total_steps), *callbacks], verbose=0)
    return optimizer_steps(classifier)


def initialize(classifier: TokenClassifier, decision: Initialization,
               checkpoint_dir: str) -> Initialization:
    """Loads the weights ``decision`` names, if warm, and logs where they came from.
    A blessed model that does not load into this classifier gives a cold start from
    ``checkpoint_dir`` (whose weights the classifier already holds)."""
    if decision.kind == WARM:
        try:
            warm_start.load_weights(classifier, decision.source)
        except (ValueError, OSError) as error:
            decision = Initialization(COLD, checkpoint_dir,
                                           f"the blessed model does not load: {error}")
    PROGRESS.info("Weights: %s", decision.describe())
    return decision


def run_fn(fn_args) -> None:
    # Before any TensorFlow op (see distribution.py).
    strategy = distribution.create_strategy()
    outputs = distribution.WorkerOutputs(distribution.is_chief(distribution.tf_config()))
    hp = TrainingConfig(**fn_args.custom_config[TRAINING_CONFIG_KEY])
    hp.validate()
    checkpoint = ensure_resolved(Checkpoint(**fn_args.custom_config[CHECKPOINT_CONFIG_KEY]))
    tf_keras.utils.set_random_seed(hp.seed)
    policy = precision.training_policy(hp.mixed_precision)
    if hp.max_seq_length > checkpoint.max_positions:
        logging.warning("--max-seq-length %d exceeds the checkpoint's position limit: using %d",
                        hp.max_seq_length, checkpoint.max_positions)
    max_length, context_length = hp.window_lengths(checkpoint.max_positions)
    pad_id = read_special_ids(checkpoint.vocab_file).pad
    inventory = read_inventory(fn_args.transform_output)

    def batches(files, batch_size=hp.batch_size, shard=None, shuffle_seed=hp.seed,
                pieces_per_batch=0):
        return dataset.batched(dataset.windows_dataset(files, max_length, shard, context_length),
                               batch_size, max_length, pad_id, shuffle_seed,
                               static_shapes=hp.jit_compile, pieces_per_batch=pieces_per_batch)

    resume_config = ResumeConfig(**fn_args.custom_config[RESUME_CONFIG_KEY])
    backup_dir = os.path.join(resume_config.root, resume.resume_key(fn_args))
    restored = resume.peek(backup_dir)
    model_run_dir = outputs.dir(fn_args.model_run_dir)
    eval_batches = batches(fn_args.eval_files, shuffle_seed=None,
                           pieces_per_batch=dataset.EVALUATION_PIECES_PER_BATCH)
    steps_per_epoch = count_batches(batches(fn_args.train_files))
    # train() cannot repeat it; a resumed run skips the batches the backup trained.
    train_input = distribution.distributed_input(
        strategy, hp.batch_size, lambda batch_size, shard: batches(
            fn_args.train_files, batch_size, shard).repeat().skip(restored.step))
    # Random embeddings (a checkpoint without weights) are not worth keeping.
    freeze_embeddings = hp.freeze_embeddings and has_weights(checkpoint.directory)
    with precision.keras_policy(policy):
        with strategy.scope():
            classifier = TokenClassifier(
                load_token_classifier(checkpoint.directory, inventory.labels),
                casing=hp.casing_embedding, freeze_embeddings=freeze_embeddings)
            initialized = initialize(classifier, warm_start.decide(
                hp.warm_start, fn_args.base_model, checkpoint.directory, checkpoint.fingerprint,
                inventory.labels, hp.casing_embedding, fn_args.train_files),
                checkpoint.directory)
            schedule = hp.warm_schedule() if initialized.kind == WARM else hp
            total_steps, epochs = plan_steps(schedule, steps_per_epoch)
            classifier.compile(optimizer=make_optimizer(schedule, total_steps), loss=masked_loss,
                               metrics=[MaskedAccuracy()], jit_compile=hp.jit_compile)
        PROGRESS.info("Training %d steps in %s: %d epoch(s) of up to %d batches, max length "
                      "%d, %d entity types, %s, embedding layer %s", total_steps, policy, epochs,
                      steps_per_epoch, max_length, len(inventory.types),
                      f"document context of {context_length} pieces" if context_length
                      else "sentences alone", "frozen" if freeze_embeddings else "trained")
        if restored.step:
            PROGRESS.info("Resuming from the backup at step %d in %s", restored.step,
                          backup_dir)
        validation = EpochValidation(eval_batches, hp.early_stopping_patience, inventory.labels)
        step_losses = StepLossLog(loss_record_interval(total_steps))
        backup = resume.ResumableBackup(backup_dir, resume_config.every, validation,
                                        step_losses, restored, outputs.chief)
        fit_started = time.monotonic()
        trained_steps = train(classifier, train_input, steps_per_epoch, total_steps,
                              [RaiseOnNaN(), ProgressLog(total_steps), step_losses, validation,
                               tf_keras.callbacks.TensorBoard(model_run_dir), backup],
                              restored.epochs_to_fit(epochs))

    fit_seconds = time.monotonic() - fit_started
    tf.io.gfile.makedirs(model_run_dir)
    save_curves(validation.history, model_run_dir)
    save_step_curve(step_losses.record(), validation.history, model_run_dir,
                    validation.best_epoch)

    started = time.monotonic()
    transform_output = tft.TFTransformOutput(fn_args.transform_output)
    module = export.NerModule(export.ServedClassifier(inference_copy(classifier)),
                              transform_output.transform_features_layer(), max_length, pad_id,
                              inventory, context_length, decoding=hp.decoding)
    export.export(module, outputs.dir(fn_args.serving_model_dir))
    export_seconds = time.monotonic() - started
    PROGRESS.info("Exported the model in %.0f s", export_seconds)
    with tf.io.gfile.GFile(os.path.join(model_run_dir, HISTORY_FILE), "w") as handle:
        json.dump({"epochs": validation.history, "best_epoch": validation.best_epoch,
                   "steps_per_epoch": steps_per_epoch, "total_steps": total_steps,
                   "trained_steps": trained_steps, "resumed_from_step": restored.step,
                   "initialized": initialized.as_record(),
                   "precision_policy": policy,
                   # This run's share: a resumed run's fit excludes the killed run's.
                   "seconds": {"fit": round(fit_seconds, 1), "export": round(export_seconds, 1)},
                   "train_loss_by_step": step_losses.record(),
                   "hyperparameters": fn_args.custom_config[TRAINING_CONFIG_KEY]},
                  handle, indent=2)
    if outputs.chief:
        warm_start.write_record(fn_args.serving_model_dir, warm_start.training_record(
            checkpoint.fingerprint, inventory.labels, hp.casing_embedding, fn_args.train_files,
            initialized))
    # Non-chief workers return only once the chief's model exists.
    distribution.barrier(strategy)
    outputs.remove()
    if outputs.chief:  # the model is exported: nothing left to resume
        tf.io.gfile.rmtree(backup_dir)
