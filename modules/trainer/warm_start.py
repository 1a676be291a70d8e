"""Warm start: begin training from the latest blessed model instead of the checkpoint.

With ``--warm-start`` the pipeline feeds the Trainer's ``base_model`` from a
LatestBlessedModelStrategy resolver. Each model the Trainer exports carries a
training record beside its Format-Serving directory (what it was trained from
and on); ``decide`` reads it and says whether the blessed model's weights fit
this run, and if not, why the run starts cold. ``load_weights`` copies the
exported classifier's variables into the model about to train.
"""

import json
import os
from typing import Any, Dict, Optional, Sequence

import tensorflow as tf
import tensorflow_text  # noqa: F401  # the export's signatures call TF Text ops
import tf_keras

from contracts.files import TRAINING_RECORD_FILE
from contracts.weights import COLD, WARM, Initialization

def training_record(checkpoint_fingerprint: str, labels: Sequence[str], casing_embedding: bool,
                    train_files: Sequence[str], initialized: Initialization) -> Dict[str, Any]:
    """What ``decide`` compares when a later run warm-starts from this model."""
    return {"checkpoint_fingerprint": checkpoint_fingerprint, "labels": list(labels),
            "casing_embedding": casing_embedding, "trained_on": sorted(train_files),
            "initialized": initialized.as_record()}


def record_path(serving_model_dir: str) -> str:
    """The record of the model exported to ``serving_model_dir`` (its Format-Serving)."""
    return os.path.join(os.path.dirname(serving_model_dir.rstrip("/")), TRAINING_RECORD_FILE)


def write_record(serving_model_dir: str, record: Dict[str, Any]) -> None:
    with tf.io.gfile.GFile(record_path(serving_model_dir), "w") as handle:
        json.dump(record, handle, indent=2)


def read_record(base_model: str) -> Optional[Dict[str, Any]]:
    path = record_path(base_model)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as handle:
        return json.load(handle)


def _mismatch(record: Dict[str, Any], checkpoint_fingerprint: str, labels: Sequence[str],
              casing_embedding: bool) -> str:
    """Why the recorded model's weights do not fit this run ("" when they do)."""
    if record["checkpoint_fingerprint"] != checkpoint_fingerprint:
        return "it was fine-tuned from another checkpoint"
    if record["labels"] != list(labels):
        return (f"its entity inventory {','.join(record['labels'])} differs from this run's "
                f"{','.join(labels)}")
    if record["casing_embedding"] != casing_embedding:
        return (f"it was trained {'with' if record['casing_embedding'] else 'without'} "
                "the casing embedding")
    return ""


def decide(warm_start: bool, base_model: Optional[str], checkpoint_dir: str,
           checkpoint_fingerprint: str, labels: Sequence[str], casing_embedding: bool,
           train_files: Sequence[str]) -> Initialization:
    """Warm from ``base_model`` (the resolved blessed model's Format-Serving, or None)
    when its record fits this run; else cold from ``checkpoint_dir``, with the reason.

    A rerun on the window the blessed model was trained on starts where that model
    started, so that reruns rebuild the same lineage instead of adding one more warm
    round on the same data.
    """
    if not warm_start:
        return Initialization(COLD, checkpoint_dir)
    if base_model is None:
        return Initialization(COLD, checkpoint_dir, "no blessed model yet")
    record = read_record(base_model)
    if record is None:
        return Initialization(COLD, checkpoint_dir,
                              f"{base_model} has no training record: it predates warm start")
    problem = _mismatch(record, checkpoint_fingerprint, labels, casing_embedding)
    if problem:
        return Initialization(COLD, checkpoint_dir,
                              f"the blessed model does not fit: {problem}")
    if record["trained_on"] == sorted(train_files):
        started = Initialization(**record["initialized"])
        if started.kind == WARM and tf.io.gfile.exists(started.source):
            return started
        return Initialization(COLD, checkpoint_dir, "the blessed model was trained on this "
                                                    "same window: training it again from the "
                                                    "checkpoint")
    return Initialization(WARM, base_model)


def _variable_name(variable: tf.Variable) -> str:
    """A variable's name without the model's own scope (which numbers instances)."""
    name = variable.name.rsplit(":", 1)[0]
    return name.split("/", 1)[1] if "/" in name else name


def _by_name(variables: Sequence[tf.Variable]) -> Dict[str, tf.Variable]:
    named = {_variable_name(variable): variable for variable in variables}
    if len(named) != len(variables):
        raise ValueError("variable names repeat once the model's scope is dropped")
    return named


def load_weights(classifier: tf_keras.Model, base_model: str) -> None:
    """Assigns the exported classifier's weights to ``classifier``'s variables.

    Variables are matched by name without the model's scope, not by order:
    Keras lists trainable weights first, so a model trained with
    --freeze-embeddings orders them differently from one trained without.
    Raises ValueError when the names or shapes differ.
    """
    exported = _by_name(tf.saved_model.load(base_model).classifier.weights)
    targets = _by_name(classifier.variables)
    if exported.keys() != targets.keys():
        raise ValueError(f"{base_model}: variables differ from the model's: only in the "
                         f"export {sorted(exported.keys() - targets.keys())[:5]}, only in the "
                         f"model {sorted(targets.keys() - exported.keys())[:5]}")
    for name, target in targets.items():
        if exported[name].shape != target.shape:
            raise ValueError(f"{base_model}: variable {name} {exported[name].shape} does not "
                             f"match the model's {target.shape}")
    for name, target in targets.items():
        target.assign(tf.cast(exported[name], target.dtype))
