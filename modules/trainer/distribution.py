"""The tf.distribute strategy run_fn trains under, chosen from the environment.

* ``TF_CONFIG`` naming more than one chief/worker task (Vertex AI Training
  with several replicas sets it; so does any multi-worker launcher):
  MultiWorkerMirroredStrategy, synchronous data-parallel over all workers.
* Otherwise, several visible GPUs: MirroredStrategy over them.
* Otherwise the default strategy (one device), as before.

``--batch-size`` is the global batch: each of the N replicas gets batch/N
windows per step (the batch must divide evenly). Each worker reads its own
shard of the training windows. Only the chief writes the model and the run's
files; the other workers write to a temporary directory, delete it and wait
for the chief at a barrier, so they return only once the chief's model exists
(TFX's Trainer executor checks for it on every replica).

MultiWorkerMirroredStrategy must be created before TensorFlow's eager context
starts (its first op): run_fn creates the strategy first, and modules it
imports keep TensorFlow constants out of module level.
"""

import json
import os
import shutil
import tempfile
from typing import Callable, Mapping, Optional, Tuple

import tensorflow as tf
from absl import logging

DEFAULT = "default"
MIRRORED = "mirrored"
MULTI_WORKER = "multi_worker"
_STRATEGY_NAMES = {DEFAULT: "default strategy", MIRRORED: "MirroredStrategy",
                   MULTI_WORKER: "MultiWorkerMirroredStrategy"}
# TF_CONFIG task types that train (an "evaluator" or "ps" task does not).
_TRAINING_TASKS = ("chief", "master", "worker")

# (number of shards, index of this one), for tf.data.Dataset.shard.
Shard = Tuple[int, int]


def tf_config(environ: Mapping[str, str] = os.environ) -> dict:
    return json.loads(environ.get("TF_CONFIG") or "{}")


def training_workers(config: dict) -> int:
    cluster = config.get("cluster", {})
    return sum(len(cluster.get(task, [])) for task in _TRAINING_TASKS)


def strategy_kind(config: dict, gpu_count: int) -> str:
    """Which strategy fits: MULTI_WORKER, MIRRORED or DEFAULT (see the module doc)."""
    if training_workers(config) > 1:
        return MULTI_WORKER
    if gpu_count > 1:
        return MIRRORED
    return DEFAULT


def is_chief(config: dict) -> bool:
    """The chief writes the outputs: the 'chief' task, or worker 0 when there is no chief
    (TFX's own rule is the same, tfx.components.trainer.executor._is_chief)."""
    task = config.get("task", {})
    cluster = config.get("cluster", {})
    if not task or training_workers(config) <= 1:
        return True
    if task.get("type") in ("chief", "master"):
        return task.get("index", 0) == 0
    return task.get("type") == "worker" and task.get("index", 0) == 0 and not (
        cluster.get("chief") or cluster.get("master"))


def create_strategy(environ: Mapping[str, str] = os.environ) -> tf.distribute.Strategy:
    kind = strategy_kind(tf_config(environ), len(tf.config.list_physical_devices("GPU")))
    if kind == MULTI_WORKER:
        try:
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
        except RuntimeError as error:
            raise RuntimeError(
                f"{error}: TensorFlow ran an op before run_fn created the strategy; a module "
                "imported on the way must not create tensors at import time") from error
    elif kind == MIRRORED:
        strategy = tf.distribute.MirroredStrategy()
    else:
        strategy = tf.distribute.get_strategy()
    logging.info("tf.distribute: %s, %d replica(s) in sync", _STRATEGY_NAMES[kind],
                 strategy.num_replicas_in_sync)
    return strategy


def is_distributed(strategy: tf.distribute.Strategy) -> bool:
    return strategy.num_replicas_in_sync > 1 or isinstance(
        strategy, tf.distribute.MultiWorkerMirroredStrategy)


def per_replica_batch_size(global_batch_size: int, replicas: int) -> int:
    if global_batch_size % replicas:
        raise ValueError(f"--batch-size {global_batch_size} is the global batch and must be a "
                         f"multiple of the {replicas} replicas training it")
    return global_batch_size // replicas


def distributed_input(strategy: tf.distribute.Strategy, global_batch_size: int,
                      make_batches: Callable[[int, Optional[Shard]], tf.data.Dataset]):
    """What Keras' fit takes: ``make_batches(batch_size, shard)`` itself on one
    replica; otherwise a distributed dataset whose input pipelines each read
    their shard in per-replica batches."""
    if not is_distributed(strategy):
        return make_batches(global_batch_size, None)
    batch_size = per_replica_batch_size(global_batch_size, strategy.num_replicas_in_sync)

    def dataset_fn(context: tf.distribute.InputContext) -> tf.data.Dataset:
        shard = ((context.num_input_pipelines, context.input_pipeline_id)
                 if context.num_input_pipelines > 1 else None)
        return make_batches(batch_size, shard)
    return strategy.distribute_datasets_from_function(dataset_fn)


@tf.function(autograph=False)
def _all_reduce_one() -> tf.Tensor:
    return tf.distribute.get_replica_context().all_reduce(
        tf.distribute.ReduceOp.SUM, tf.constant(1.0))


def barrier(strategy: tf.distribute.Strategy) -> None:
    """Returns on every worker only once all workers have reached it (an all-reduce)."""
    if is_distributed(strategy):
        strategy.run(_all_reduce_one)


class WorkerOutputs:
    """Where this worker writes a run's outputs: the real directories on the chief;
    on the other workers, directories in one scratch directory that ``remove``
    deletes (they write what the chief writes, so every worker runs the same ops)."""

    def __init__(self, chief: bool):
        self.chief = chief
        self._scratch = None if chief else tempfile.mkdtemp(prefix="non-chief-worker-")

    def dir(self, directory: str) -> str:
        if self.chief:
            return directory
        return os.path.join(self._scratch, os.path.basename(directory.rstrip("/")) or "output")

    def remove(self) -> None:
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
