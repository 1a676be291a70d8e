"""The standard Transform's executor, recording the payload format of what it writes.

TFX 1.16's Transform writes ``transformed_examples`` as tf.Examples but does
not set their ``payload_format`` custom property, so the Trainer warns three
times per run ("Examples artifact does not have payload_format custom
property. Falling back to FORMAT_TF_EXAMPLE") and every reader of the
artifact has to guess. This executor runs the standard one and then records
FORMAT_TF_EXAMPLE, as ExampleGen does for its output.

components/transform/component.py is the standard Transform run by it.
"""

from typing import Any, Dict, List

from tfx import types
from tfx.components.transform import executor as transform_executor
from tfx.components.util import examples_utils
from tfx.proto import example_gen_pb2
from tfx.types import standard_component_specs


def record_payload_format(output_dict: Dict[str, List[types.Artifact]]) -> None:
    """Marks Transform's transformed_examples (if it wrote any) as tf.Examples."""
    for examples in output_dict.get(standard_component_specs.TRANSFORMED_EXAMPLES_KEY, []):
        examples_utils.set_payload_format(examples, example_gen_pb2.FORMAT_TF_EXAMPLE)


class Executor(transform_executor.Executor):
    """Transform's executor; its transformed_examples carry payload_format."""

    def Do(self, input_dict: Dict[str, List[types.Artifact]],
           output_dict: Dict[str, List[types.Artifact]],
           exec_properties: Dict[str, Any]) -> None:
        super().Do(input_dict, output_dict, exec_properties)
        record_payload_format(output_dict)
