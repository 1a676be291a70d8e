"""The whole pipeline end to end on the quick profile (LocalDagRunner, DirectRunner,
SQLite MLMD): full CoNLL-2003 through ingestion, validation and Transform, a
tiny random BERT trained for a few steps, evaluation, blessing and push."""

import dataclasses
import os
import pathlib

import pytest
import tensorflow as tf
import tensorflow_transform as tft
from transformers import BertTokenizerFast

from components.conll_example_gen.executor import COUNTS
from modules.transform import preprocessing
from tests.graph_ops import SERVING_SAFE_OPS, non_core_ops
from contracts import features
from pipeline import local_runner, run_summary
from pipeline.errors import data_error_message
from pipeline.config import config_for_profile
from tests.conftest import TINY_EVAL, TINY_TEST, write_conll_dir

# sentences, tokens, entities, IOB1 rewrites, repairs, misaligned spans, empty records
EXPECTED_COUNTS = {"train": ["14041", "203621", "23499", "0", "0", "0", "0"],
                   "eval": ["3250", "51362", "5942", "0", "0", "0", "0"],
                   "test": ["3453", "46435", "5648", "0", "0", "0", "0"]}


def latest_executions(config):
    store = run_summary.open_store(config.resolved_metadata_path)
    return store, run_summary.latest_run_executions(store, config.pipeline_name)


def split_records(artifact, split):
    files = tf.io.gfile.glob(os.path.join(artifact.uri, f"Split-{split}", "*"))
    return tf.data.TFRecordDataset(files, compression_type="GZIP")


ALL_NODES = ("ConllExampleGen", "InventorySchemaGen", "StatisticsGen", "ExampleValidator",
             "ValidationGate", "SpanDrift", "Transform", "Trainer", "baseline_model_resolver",
             "NerEvaluator", "Pusher")


def graph_dtypes(saved_model_dir: pathlib.Path) -> set:
    """Every dtype named by a node attribute in the SavedModel's graphs and functions."""
    from tensorflow.core.framework import types_pb2
    from tensorflow.core.protobuf import saved_model_pb2
    saved_model = saved_model_pb2.SavedModel()
    saved_model.ParseFromString((saved_model_dir / "saved_model.pb").read_bytes())
    found = set()
    for graph in saved_model.meta_graphs:
        nodes = list(graph.graph_def.node)
        for function in graph.graph_def.library.function:
            nodes.extend(function.node_def)
        for node in nodes:
            for value in node.attr.values():
                found.update(types_pb2.DataType.Name(dtype) for dtype in
                             ([value.type] if value.HasField("type") else list(value.list.type)))
    return found


def states(executions, include_resolver=True):
    """Node -> ran/cached. The resolver node only looks artifacts up and is never cached."""
    return {node: run_summary.execution_state(e) for node, e in executions.items()
            if include_resolver or node != "baseline_model_resolver"}


def serving_versions(config):
    root = pathlib.Path(config.serving_dir)
    return {path.name: path.stat().st_mtime_ns for path in root.iterdir()} if root.exists() else {}


@pytest.fixture(scope="module")
def full_run(quick_pipeline):
    return quick_pipeline


def test_every_component_ran_once_and_counts_match(full_run):
    store, executions = latest_executions(full_run)
    assert states(executions) == {node: "ran" for node in ALL_NODES}
    for node in ALL_NODES:
        context = store.get_context_by_type_and_name("node", f"{full_run.pipeline_name}.{node}")
        assert len(store.get_executions_by_context(context.id)) == 1, node
    examples = run_summary.output_artifacts(store, executions["ConllExampleGen"])["examples"]
    for split, counts in EXPECTED_COUNTS.items():
        recorded = [examples.custom_properties[f"{split}_{key}"].int_value
                    for key in COUNTS]
        assert recorded == [int(count) for count in counts], split
    summary = run_summary.summarize(full_run.resolved_metadata_path, full_run.pipeline_name)
    for split, counts in EXPECTED_COUNTS.items():
        assert any(line.split() == [split] + counts for line in summary.splitlines()), split

    transformed = run_summary.output_artifacts(store, executions["Transform"])["transformed_examples"]
    for split, counts in EXPECTED_COUNTS.items():
        assert sum(1 for _ in split_records(transformed, split)) == int(counts[0])


def test_transform_graph_matches_hf_on_valid_and_is_serving_safe(full_run, tiny_checkpoint):
    store, executions = latest_executions(full_run)
    outputs = run_summary.output_artifacts(store, executions["Transform"])
    transform_fn_dir = os.path.join(outputs["transform_graph"].uri, "transform_fn")
    assert non_core_ops(transform_fn_dir) <= SERVING_SAFE_OPS
    assert tf.io.gfile.exists(os.path.join(transform_fn_dir, "assets", "vocab.txt"))

    examples = run_summary.output_artifacts(store, executions["ConllExampleGen"])["examples"]
    transform_output = tft.TFTransformOutput(outputs["transform_graph"].uri)
    layer = transform_output.transform_features_layer()
    raw_spec = {features.TOKENS: tf.io.VarLenFeature(tf.string)}
    hf = BertTokenizerFast(str(tiny_checkpoint / "vocab.txt"), do_lower_case=True)
    compared = 0
    for batch in split_records(examples, "eval").batch(512):
        transformed = layer(tf.io.parse_example(batch, raw_spec))
        ours = tf.RaggedTensor.from_sparse(transformed["input_ids"]).to_list()
        words = tf.RaggedTensor.from_sparse(tf.io.parse_example(batch, raw_spec)[features.TOKENS])
        words = [[w.decode("utf-8") for w in row] for row in words.to_list()]
        assert ours == hf(words, is_split_into_words=True)["input_ids"]
        compared += len(words)
    assert compared == 3250


def test_blessed_model_is_pushed_and_serves_raw_sentences(full_run):
    (version,) = serving_versions(full_run)
    model = tf.saved_model.load(str(pathlib.Path(full_run.serving_dir) / version))
    outputs = model.signatures["serving_default"](sentences=tf.constant(
        ["EU rejects German call to boycott British lamb .", "Peter Blackburn"]))
    assert outputs["word_count"].numpy().tolist() == [9, 2]
    for key in ("words", "tags", "scores", "word_starts", "word_ends"):
        assert outputs[key].shape == (2, 9), key
    assert outputs["words"].numpy()[1].tolist() == [b"Peter", b"Blackburn"] + [b""] * 7
    assert outputs["word_starts"].numpy()[0, :3].tolist() == [0, 3, 11]
    assert outputs["entity_count"].shape == (2,)
    entities = int(outputs["entity_count"].numpy().max())
    for key in ("entity_types", "entity_texts", "entity_starts", "entity_ends", "entity_scores"):
        assert outputs[key].shape == (2, entities), key
    assert set(model.signatures) == {"serving_default", "serve_words", "serve_document",
                                    "serve_examples", "serve_inventory"}


def test_pushed_model_is_lean_and_computes_in_float32(full_run):
    """No optimizer slots among the saved variables, no reduced-precision tensor in the graph."""
    (version,) = serving_versions(full_run)
    model_dir = pathlib.Path(full_run.serving_dir) / version
    names = [name for name, _ in tf.train.list_variables(str(model_dir / "variables" / "variables"))]
    assert names and not [name for name in names if "optimizer" in name.lower()]
    assert graph_dtypes(model_dir) & {"DT_BFLOAT16", "DT_HALF"} == set()


def test_reruns_come_from_cache_and_push_once(full_run):
    before = serving_versions(full_run)
    local_runner.run(full_run)
    _, executions = latest_executions(full_run)
    second = states(executions, include_resolver=False)
    # The first run blessed the model, which is now the Evaluator's baseline: a new
    # input, so the Evaluator (and the Pusher after it) run once more.
    assert {second.pop("NerEvaluator"), second.pop("Pusher")} == {"ran"}
    assert set(second.values()) == {"cached"}
    assert serving_versions(full_run) == before

    local_runner.run(full_run)
    _, executions = latest_executions(full_run)
    assert set(states(executions, include_resolver=False).values()) == {"cached"}


def test_editing_preprocessing_code_reruns_transform_and_everything_after(full_run):
    module = pathlib.Path(preprocessing.__file__)
    original = module.read_bytes()
    try:
        module.write_bytes(original + b"# an edit that changes no behaviour\n")
        local_runner.run(full_run)
    finally:
        module.write_bytes(original)
    _, executions = latest_executions(full_run)
    after = states(executions, include_resolver=False)
    downstream = ("Transform", "Trainer", "NerEvaluator", "Pusher")
    assert {node: after.pop(node) for node in downstream} == {node: "ran" for node in downstream}
    assert set(after.values()) == {"cached"}


def test_a_clearly_worse_model_is_refused_and_not_pushed(full_run):
    store, executions = latest_executions(full_run)
    blessing = run_summary.output_artifacts(store, executions["NerEvaluator"])["blessing"]
    best = blessing.custom_properties["best_blessed_test_entity_f1"].double_value
    assert best > 0.05, "the quick model must find some entities for this test to mean anything"
    before = serving_versions(full_run)
    worse = dataclasses.replace(full_run, training=dataclasses.replace(
        full_run.training, max_steps=3))
    local_runner.run(worse)
    store, executions = latest_executions(worse)
    blessing = run_summary.output_artifacts(store, executions["NerEvaluator"])["blessing"]
    assert blessing.custom_properties["blessed"].int_value == 0
    assert serving_versions(full_run) == before
    summary = run_summary.summarize(worse.resolved_metadata_path, worse.pipeline_name)
    assert f"below the blessed baseline's {best:.4f}" in summary
    assert "Not pushed" in summary


def test_unreachable_threshold_leaves_serving_dir_untouched(full_run):
    before = serving_versions(full_run)
    strict = dataclasses.replace(full_run, f1_threshold=1.01)
    local_runner.run(strict)
    store, executions = latest_executions(strict)
    assert states(executions)["NerEvaluator"] == "ran"
    blessing = run_summary.output_artifacts(store, executions["NerEvaluator"])["blessing"]
    assert blessing.custom_properties["blessed"].int_value == 0
    assert serving_versions(full_run) == before
    summary = run_summary.summarize(strict.resolved_metadata_path, strict.pipeline_name)
    assert "NOT BLESSED: test entity F1" in summary and "Not pushed" in summary


def test_a_test_tag_outside_the_train_inventory_stops_the_run_before_training(
        tmp_path, tiny_checkpoint):
    data_dir = write_conll_dir(tmp_path / "conll", {
        "train.txt": "Japan B-LOC\nEU B-ORG\n", "valid.txt": TINY_EVAL,
        "test.txt": TINY_TEST + "\nMonday NNP B-NP B-DATE\n"})
    config = config_for_profile("quick", data_dir=str(data_dir),
                                pipeline_root=str(tmp_path / "root"),
                                serving_dir=str(tmp_path / "serving"),
                                checkpoint=str(tiny_checkpoint))
    with pytest.raises(Exception) as caught:
        local_runner.run(config)
    message = data_error_message(caught.value)
    assert message.startswith(f"{data_dir / 'test.txt'}:6: entity types outside the inventory "
                              f"(LOC, ORG: the types of the train split): B-DATE")
    _, executions = latest_executions(config)
    assert "Transform" not in executions and "Trainer" not in executions
    assert not (tmp_path / "serving").exists()


def test_history_records_the_steps_trained(full_run):
    """The quick profile caps one epoch of ~440 batches at --max-steps 150."""
    import json
    # The first Trainer execution is full_run's own; later tests in this file retrain.
    history_file = min(pathlib.Path(full_run.pipeline_root).glob("Trainer/model_run/*/history.json"),
                       key=lambda path: int(path.parent.name))
    history = json.loads(history_file.read_text())
    assert history["trained_steps"] == history["total_steps"] == full_run.training.max_steps
    assert history["steps_per_epoch"] > full_run.training.max_steps
    assert [epoch["epoch"] for epoch in history["epochs"]] == [1]


def test_a_run_leaves_no_temporary_files(full_run):
    """Temporary files of Beam, TFX and tf.Transform go to a tmp folder under the pipeline root,
    removed when the run ends."""
    assert not (pathlib.Path(full_run.pipeline_root) / "tmp").exists()
