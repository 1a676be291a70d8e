"""The Transform executor hands preprocessing_fn the data's labels, passes the
inventory on to the Trainer and records the payload format of transformed_examples."""

import json

import pytest
from tfx.components.transform import executor as standard_executor
from tfx.components.util import examples_utils
from tfx.proto import example_gen_pb2
from tfx.types import standard_artifacts, standard_component_specs

from components.transform import executor
from contracts.inventory import (
    INVENTORY_LABELS_KEY, EntityInventory, InventoryError, read_inventory, write_inventory)

OWN = EntityInventory(("person", "creative-work"), "IOBES")


def artifacts(tmp_path, with_inventory=True, with_transformed=True):
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "examples")
    (tmp_path / "examples").mkdir()
    if with_inventory:
        write_inventory(OWN, examples.uri)
    graph = standard_artifacts.TransformGraph()
    graph.uri = str(tmp_path / "graph")
    (tmp_path / "graph").mkdir()
    outputs = {standard_component_specs.TRANSFORM_GRAPH_KEY: [graph]}
    if with_transformed:
        outputs[standard_component_specs.TRANSFORMED_EXAMPLES_KEY] = [
            standard_artifacts.Examples()]
    return {standard_component_specs.EXAMPLES_KEY: [examples]}, outputs


@pytest.fixture
def standard_calls(monkeypatch):
    calls = []
    monkeypatch.setattr(standard_executor.Executor, "Do",
                        lambda self, *args: calls.append(args))
    return calls


def test_labels_reach_preprocessing_fn_and_the_inventory_the_trainer(tmp_path, standard_calls):
    inputs, outputs = artifacts(tmp_path)
    executor.Executor().Do(inputs, outputs, {
        standard_component_specs.CUSTOM_CONFIG_KEY: json.dumps({"vocab_file": "v.txt"})})
    (_, _, exec_properties), = standard_calls  # the standard executor did the work
    custom_config = json.loads(exec_properties[standard_component_specs.CUSTOM_CONFIG_KEY])
    assert custom_config == {"vocab_file": "v.txt", INVENTORY_LABELS_KEY: list(OWN.labels)}
    graph = outputs[standard_component_specs.TRANSFORM_GRAPH_KEY][0]
    assert read_inventory(graph.uri) == OWN
    (transformed,) = outputs[standard_component_specs.TRANSFORMED_EXAMPLES_KEY]
    assert transformed.get_string_custom_property("payload_format") == "FORMAT_TF_EXAMPLE"
    assert examples_utils.get_payload_format(transformed) == example_gen_pb2.FORMAT_TF_EXAMPLE


def test_examples_without_an_inventory_are_refused_naming_the_file(tmp_path, standard_calls):
    inputs, outputs = artifacts(tmp_path, with_inventory=False)
    with pytest.raises(InventoryError, match=r"examples/entity_inventory.json is missing"):
        executor.Executor().Do(inputs, outputs, {})
    assert not standard_calls


def test_without_transformed_examples_only_the_graph_is_written(tmp_path, standard_calls):
    inputs, outputs = artifacts(tmp_path, with_transformed=False)
    executor.Executor().Do(inputs, outputs, {})
    assert read_inventory(outputs[standard_component_specs.TRANSFORM_GRAPH_KEY][0].uri) == OWN
    assert set(outputs) == {standard_component_specs.TRANSFORM_GRAPH_KEY}
