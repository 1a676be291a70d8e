"""run_fn for the standard TFX Trainer: fine-tune, validate per epoch, export.

Hyperparameters arrive typed through custom_config (pipeline.config.TrainingConfig),
never as constants here.
"""

import json
import math
import os

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras
from absl import logging
from transformers import create_optimizer

from components.trainer import dataset, export
from components.trainer.callbacks import EpochValidation, ProgressLog, RaiseOnNaN
from components.trainer.losses import MaskedAccuracy, masked_loss
from components.trainer.model import TokenClassifier, load_token_classifier
from components.trainer.plots import save_curves
from components.transform.tokenization import read_special_ids
from pipeline.checkpoint import Checkpoint
from pipeline.config import TrainingConfig

# Keys of the Trainer's custom_config.
TRAINING = "training"
CHECKPOINT = "checkpoint"


def count_batches(batches: tf.data.Dataset) -> int:
    return int(batches.reduce(tf.constant(0, tf.int64), lambda count, _: count + 1))


def make_optimizer(hp: TrainingConfig, total_steps: int):
    optimizer, _ = create_optimizer(
        init_lr=hp.learning_rate, num_train_steps=total_steps,
        num_warmup_steps=int(hp.warmup_ratio * total_steps),
        min_lr_ratio=1.0 if hp.lr_schedule == "constant" else 0.0,
        adam_global_clipnorm=hp.clip_norm or None, weight_decay_rate=hp.weight_decay)
    return optimizer


def run_fn(fn_args) -> None:
    hp = TrainingConfig(**fn_args.custom_config[TRAINING])
    checkpoint = Checkpoint(**fn_args.custom_config[CHECKPOINT])
    if hp.lr_schedule not in ("linear", "constant"):
        raise ValueError(f"lr_schedule must be 'linear' or 'constant', not {hp.lr_schedule!r}")
    tf_keras.utils.set_random_seed(hp.seed)
    tf_keras.mixed_precision.set_global_policy(hp.mixed_precision)
    max_length = min(hp.max_seq_length or checkpoint.max_positions, checkpoint.max_positions)
    pad_id = read_special_ids(checkpoint.vocab_file).pad

    train = dataset.batched(dataset.windows_dataset(fn_args.train_files, max_length),
                            hp.batch_size, max_length, pad_id, shuffle_seed=hp.seed)
    eval_batches = dataset.batched(dataset.windows_dataset(fn_args.eval_files, max_length),
                                   hp.batch_size, max_length, pad_id)
    steps_per_epoch = count_batches(train)
    total_steps = hp.epochs * steps_per_epoch
    if hp.max_steps:
        total_steps = min(total_steps, hp.max_steps)
    epochs = math.ceil(total_steps / steps_per_epoch)
    logging.info("Training %d steps: %d epoch(s) of %d batches, max length %d",
                 total_steps, epochs, min(steps_per_epoch, total_steps), max_length)

    classifier = TokenClassifier(load_token_classifier(checkpoint.directory))
    classifier.compile(optimizer=make_optimizer(hp, total_steps), loss=masked_loss,
                       metrics=[MaskedAccuracy()], jit_compile=hp.jit_compile)
    validation = EpochValidation(eval_batches, hp.early_stopping_patience)
    classifier.fit(train.repeat(), epochs=epochs, steps_per_epoch=min(steps_per_epoch, total_steps),
                   callbacks=[RaiseOnNaN(), ProgressLog(total_steps), validation,
                              tf_keras.callbacks.TensorBoard(fn_args.model_run_dir)],
                   verbose=0)

    tf.io.gfile.makedirs(fn_args.model_run_dir)
    with tf.io.gfile.GFile(os.path.join(fn_args.model_run_dir, "history.json"), "w") as handle:
        json.dump({"epochs": validation.history, "best_epoch": validation.best_epoch,
                   "total_steps": total_steps, "hyperparameters": fn_args.custom_config[TRAINING]},
                  handle, indent=2)
    save_curves(validation.history, fn_args.model_run_dir)

    transform_output = tft.TFTransformOutput(fn_args.transform_output)
    module = export.NerModule(classifier, transform_output.transform_features_layer(),
                              max_length, pad_id)
    export.export(module, fn_args.serving_model_dir)
