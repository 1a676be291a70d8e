"""The Transform executor records the payload format of transformed_examples."""

from tfx.components.transform import executor as standard_executor
from tfx.components.util import examples_utils
from tfx.proto import example_gen_pb2
from tfx.types import standard_artifacts, standard_component_specs

from components.transform import executor


def test_transformed_examples_record_their_payload_format(monkeypatch):
    calls = []
    monkeypatch.setattr(standard_executor.Executor, "Do",
                        lambda self, *args: calls.append(args))
    transformed = standard_artifacts.Examples()
    graph = standard_artifacts.TransformGraph()
    output_dict = {standard_component_specs.TRANSFORMED_EXAMPLES_KEY: [transformed],
                   standard_component_specs.TRANSFORM_GRAPH_KEY: [graph]}
    executor.Executor().Do({}, output_dict, {})
    assert len(calls) == 1  # the standard executor did the work
    assert transformed.get_string_custom_property("payload_format") == "FORMAT_TF_EXAMPLE"
    assert examples_utils.get_payload_format(transformed) == example_gen_pb2.FORMAT_TF_EXAMPLE


def test_without_transformed_examples_nothing_is_recorded():
    executor.record_payload_format({standard_component_specs.TRANSFORM_GRAPH_KEY: [
        standard_artifacts.TransformGraph()]})
