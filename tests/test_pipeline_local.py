"""The local pipeline end to end (LocalDagRunner, DirectRunner, SQLite MLMD)."""

import os

import pytest
import tensorflow as tf
import tensorflow_transform as tft
from transformers import BertTokenizerFast

from components.transform.graph_ops import SERVING_SAFE_OPS, non_core_ops
from components.validation_gate.component import DataAnomaliesError
from pipeline import features, local_runner, run_summary
from pipeline.config import PipelineConfig
from tests.conftest import TINY_EVAL, TINY_TEST, write_conll_dir

EXPECTED_COUNTS = {"train": ["14041", "203621", "23499", "0"],
                   "eval": ["3250", "51362", "5942", "0"],
                   "test": ["3453", "46435", "5648", "0"]}


def latest_executions(config):
    store = run_summary.open_store(config.resolved_metadata_path)
    return store, run_summary.latest_run_executions(store, config.pipeline_name)


def split_records(artifact, split):
    files = tf.io.gfile.glob(os.path.join(artifact.uri, f"Split-{split}", "*"))
    return tf.data.TFRecordDataset(files, compression_type="GZIP")


@pytest.fixture(scope="module")
def full_run(shared_conll_dir, minilm_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("full")
    config = PipelineConfig(data_dir=str(shared_conll_dir), pipeline_root=str(root / "root"),
                            checkpoint=str(minilm_dir))
    local_runner.run(config)
    return config


def test_every_component_ran_and_counts_match(full_run):
    store, executions = latest_executions(full_run)
    assert {node: run_summary._STATES[e.last_known_state] for node, e in executions.items()} == {
        node: "ran" for node in ("ConllExampleGen", "ImportSchemaGen", "StatisticsGen",
                                 "ExampleValidator", "ValidationGate", "Transform")}
    summary = run_summary.summarize(full_run.resolved_metadata_path, full_run.pipeline_name)
    rows = {line.split()[0]: line.split()[1:] for line in summary.splitlines()[-3:]}
    assert rows == EXPECTED_COUNTS

    transformed = run_summary.output_artifacts(store, executions["Transform"])["transformed_examples"]
    for split, counts in EXPECTED_COUNTS.items():
        assert sum(1 for _ in split_records(transformed, split)) == int(counts[0])


def test_transform_graph_matches_hf_on_valid_and_is_serving_safe(full_run, minilm_dir):
    store, executions = latest_executions(full_run)
    outputs = run_summary.output_artifacts(store, executions["Transform"])
    transform_fn_dir = os.path.join(outputs["transform_graph"].uri, "transform_fn")
    assert non_core_ops(transform_fn_dir) <= SERVING_SAFE_OPS
    assert tf.io.gfile.exists(os.path.join(transform_fn_dir, "assets", "vocab.txt"))

    examples = run_summary.output_artifacts(store, executions["ConllExampleGen"])["examples"]
    transform_output = tft.TFTransformOutput(outputs["transform_graph"].uri)
    layer = transform_output.transform_features_layer()
    raw_spec = {features.TOKENS: tf.io.VarLenFeature(tf.string)}
    hf = BertTokenizerFast(str(minilm_dir / "vocab.txt"), do_lower_case=True)
    compared = 0
    for batch in split_records(examples, "eval").batch(512):
        transformed = layer(tf.io.parse_example(batch, raw_spec))
        ours = tf.RaggedTensor.from_sparse(transformed["input_ids"]).to_list()
        words = tf.RaggedTensor.from_sparse(tf.io.parse_example(batch, raw_spec)[features.TOKENS])
        words = [[w.decode("utf-8") for w in row] for row in words.to_list()]
        assert ours == hf(words, is_split_into_words=True)["input_ids"]
        compared += len(words)
    assert compared == 3250


def test_second_run_is_served_from_cache(full_run):
    local_runner.run(full_run)
    _, executions = latest_executions(full_run)
    states = {node: run_summary._STATES[e.last_known_state] for node, e in executions.items()}
    assert states.pop("ValidationGate") in ("cached", "ran")
    assert set(states.values()) == {"cached"}


def test_unknown_tag_stops_the_run_naming_tag_and_file(tmp_path, minilm_dir):
    data_dir = write_conll_dir(tmp_path / "conll", {
        "train.txt": "Monday B-DATE\nEU B-ORG\n", "valid.txt": TINY_EVAL, "test.txt": TINY_TEST})
    config = PipelineConfig(data_dir=str(data_dir), pipeline_root=str(tmp_path / "root"),
                            checkpoint=str(minilm_dir))
    with pytest.raises(DataAnomaliesError) as caught:
        local_runner.run(config)
    message = str(caught.value)
    assert "B-DATE" in message
    assert str(data_dir / "train.txt") in message
    assert "ner_tags" in message
    _, executions = latest_executions(config)
    assert "Transform" not in executions
