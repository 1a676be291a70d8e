"""Distributed training as Vertex AI Training runs it, on this machine.

Two worker processes on 127.0.0.1, each told its place by TF_CONFIG, run the
Trainer's executor through ``python -m tfx.scripts.run_executor`` (the command
every replica of a Vertex custom job runs) on a small transformed slice of
CoNLL-2003, so run_fn trains the tiny BERT with MultiWorkerMirroredStrategy.
"""

import dataclasses
import functools
import json
import os
import pathlib
import socket
import subprocess
import sys

import pytest
import tensorflow as tf

from contracts.conll_format import decode_lines, read_sentences
from contracts import features
from contracts.checkpoint import resolve_checkpoint
from contracts.training import (
    CHECKPOINT_CONFIG_KEY, RESUME_CONFIG_KEY, TRAINING_CONFIG_KEY, ResumeConfig, TrainingConfig)
from modules.trainer import distribution
from contracts.inventory import INVENTORY_LABELS_KEY, write_inventory
from tests.conftest import CONLL, PROJECT_ROOT

TRAIN_SENTENCES, EVAL_SENTENCES = 192, 48
GLOBAL_BATCH = 8


def _sentences(path: pathlib.Path, count: int):
    sentences = read_sentences(decode_lines(path.read_bytes(), str(path)), str(path))
    return [{features.TOKENS: list(s.tokens), features.NER_TAGS: list(s.ner_tags)}
            for _, s in zip(range(count), sentences)]


def _write_split(instances, directory: pathlib.Path) -> None:
    directory.mkdir(parents=True)
    with tf.io.TFRecordWriter(str(directory / "data.gz"), options="GZIP") as writer:
        for instance in instances:
            example = tf.train.Example(features=tf.train.Features(feature={
                key: tf.train.Feature(int64_list=tf.train.Int64List(value=list(values)))
                for key, values in instance.items()}))
            writer.write(example.SerializeToString())


@pytest.fixture(scope="module")
def transformed(shared_conll_dir, tiny_checkpoint, tmp_path_factory):
    """(transformed examples dir, transform graph dir): the real preprocessing_fn on
    the first sentences of train.txt and valid.txt, as the Transform component writes them."""
    import tensorflow_transform.beam as tft_beam
    from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils
    from modules.transform.preprocessing import preprocessing_fn
    root = tmp_path_factory.mktemp("transformed")
    spec = {features.TOKENS: tf.io.VarLenFeature(tf.string),
            features.NER_TAGS: tf.io.VarLenFeature(tf.string)}
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec(spec))
    checkpoint = resolve_checkpoint(str(tiny_checkpoint))
    with tft_beam.Context(temp_dir=str(root / "tmp")):
        (train, _), transform_fn = (
            (_sentences(shared_conll_dir / "train.txt", TRAIN_SENTENCES), metadata)
            | tft_beam.AnalyzeAndTransformDataset(functools.partial(
                preprocessing_fn, custom_config={**dataclasses.asdict(checkpoint),
                                                 INVENTORY_LABELS_KEY: list(CONLL.labels)})))
        evaluation, _ = (((_sentences(shared_conll_dir / "valid.txt", EVAL_SENTENCES), metadata),
                          transform_fn) | tft_beam.TransformDataset())
        _ = transform_fn | tft_beam.WriteTransformFn(str(root / "transform_graph"))
    write_inventory(CONLL, str(root / "transform_graph"))
    _write_split(train, root / "examples" / "Split-train")
    _write_split(evaluation, root / "examples" / "Split-eval")
    return root / "examples", root / "transform_graph", checkpoint


def _free_ports(count: int):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _executor_command(examples_dir, transform_graph_dir, model_dir, model_run_dir,
                      custom_config):
    """``python -m tfx.scripts.run_executor`` for the Trainer, as a Vertex replica runs it."""
    from tfx.proto import trainer_pb2
    from tfx.types import artifact_utils, standard_artifacts
    from tfx.utils import proto_utils

    def artifact(artifact_class, uri, **properties):
        instance = artifact_class()
        instance.uri = str(uri)
        for key, value in properties.items():
            setattr(instance, key, value)
        return [instance]

    inputs = {"examples": artifact(standard_artifacts.Examples, examples_dir,
                                   split_names=artifact_utils.encode_split_names(["train", "eval"])),
              "transform_graph": artifact(standard_artifacts.TransformGraph, transform_graph_dir)}
    outputs = {"model": artifact(standard_artifacts.Model, model_dir),
               "model_run": artifact(standard_artifacts.ModelRun, model_run_dir)}
    exec_properties = {"run_fn": "modules.trainer.run.run_fn",
                       "custom_config": json.dumps(custom_config),
                       "train_args": proto_utils.proto_to_json(trainer_pb2.TrainArgs()),
                       "eval_args": proto_utils.proto_to_json(trainer_pb2.EvalArgs())}
    return [sys.executable, "-m", "tfx.scripts.run_executor",
            "--executor_class_path", "tfx.components.trainer.executor.GenericExecutor",
            "--inputs", artifact_utils.jsonify_artifact_dict(inputs),
            "--outputs", artifact_utils.jsonify_artifact_dict(outputs),
            "--exec-properties", json.dumps(exec_properties)]


@pytest.mark.slow
def test_multi_worker_training_over_two_local_processes(transformed, tmp_path):
    examples_dir, transform_graph_dir, checkpoint = transformed
    hp = TrainingConfig(epochs=2, batch_size=GLOBAL_BATCH, learning_rate=1e-3, warmup_ratio=0.0,
                        max_seq_length=64, early_stopping_patience=2)
    command = _executor_command(
        examples_dir, transform_graph_dir, tmp_path / "model", tmp_path / "model_run",
        {TRAINING_CONFIG_KEY: dataclasses.asdict(hp),
         CHECKPOINT_CONFIG_KEY: dataclasses.asdict(checkpoint),
         # Backups mid-epoch too: every worker takes part in each checkpoint.
         RESUME_CONFIG_KEY: dataclasses.asdict(ResumeConfig(
             root=str(tmp_path / "backups"), every=10, code_fingerprint="test"))})
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    scratch = tmp_path / "worker-tmp"
    scratch.mkdir()
    workers = []
    for index in range(2):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "1", "TMPDIR": str(scratch),
               "TF_CONFIG": json.dumps({"cluster": cluster,
                                        "task": {"type": "worker", "index": index}})}
        log = open(tmp_path / f"worker-{index}.log", "w")  # noqa: SIM115 (closed below)
        workers.append((subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=log,
                                         stderr=subprocess.STDOUT), log))
    try:
        codes = [process.wait(timeout=1200) for process, _ in workers]
    finally:
        for process, log in workers:
            if process.poll() is None:
                process.kill()
            log.close()
    logs = [(tmp_path / f"worker-{index}.log").read_text() for index in range(2)]
    assert codes == [0, 0], "\n\n".join(log[-4000:] for log in logs)
    for log in logs:
        assert "MultiWorkerMirroredStrategy, 2 replica(s) in sync" in log

    # The chief (worker 0) wrote the run's files; the loss went down over the epochs.
    history = json.loads((tmp_path / "model_run" / "history.json").read_text())
    losses = [epoch["loss"] for epoch in history["epochs"]]
    assert len(losses) == 2 and losses[1] < losses[0], losses
    # Exactly one servable model: the chief's. The other worker's copy is gone.
    saved_models = sorted(path.parent for path in tmp_path.rglob("saved_model.pb"))
    assert saved_models == [tmp_path / "model" / "Format-Serving"]
    assert not any(scratch.iterdir())
    # The backup, of no more use once the model is exported, is gone.
    assert not any((tmp_path / "backups").iterdir())
    served = tf.saved_model.load(str(saved_models[0]))
    outputs = served.signatures["serving_default"](sentences=tf.constant(["EU rejects it ."]))
    assert outputs["word_count"].numpy().tolist() == [4]


@pytest.mark.parametrize("config, gpus, kind", [
    ({}, 0, distribution.DEFAULT),
    ({}, 1, distribution.DEFAULT),
    ({}, 4, distribution.MIRRORED),
    ({"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}, 0,
     distribution.DEFAULT),
    ({"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 1}}, 0,
     distribution.MULTI_WORKER),
    ({"cluster": {"chief": ["a:1"], "worker": ["b:1"]}, "task": {"type": "chief", "index": 0}},
     2, distribution.MULTI_WORKER),
])
def test_strategy_follows_the_environment(config, gpus, kind):
    assert distribution.strategy_kind(config, gpus) == kind


@pytest.mark.parametrize("config, chief", [
    ({}, True),
    ({"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 0}}, True),
    ({"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 1}}, False),
    ({"cluster": {"chief": ["a:1"], "worker": ["b:1"]}, "task": {"type": "chief", "index": 0}},
     True),
    ({"cluster": {"chief": ["a:1"], "worker": ["b:1"]}, "task": {"type": "worker", "index": 0}},
     False),
])
def test_only_the_chief_writes(config, chief):
    assert distribution.is_chief(config) is chief


def test_importing_run_fn_starts_no_tensorflow_context():
    """MultiWorkerMirroredStrategy can only be created before TensorFlow's first op."""
    probe = ("import modules.trainer.run\n"
             "from tensorflow.python.eager import context\n"
             "print(context.context()._initialized)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, check=True,
                            capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_batch_size_is_the_global_batch():
    assert distribution.per_replica_batch_size(32, 4) == 8
    with pytest.raises(ValueError, match="--batch-size 30 is the global batch"):
        distribution.per_replica_batch_size(30, 4)
