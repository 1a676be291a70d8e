"""The standard Transform's executor, fed the entity inventory and recording payload_format.

* The label ids Transform writes depend on the entity inventory, which
  ConllExampleGen decides when it runs: this executor reads it from the
  examples, hands its labels to preprocessing_fn in custom_config
  (INVENTORY_LABELS_KEY), and copies the inventory file into the transform
  graph, where the Trainer finds it (contracts/inventory.py).
* TFX 1.16's Transform writes ``transformed_examples`` as tf.Examples but
  does not set their ``payload_format`` custom property, so the Trainer warns
  three times per run and every reader has to guess. This executor records
  FORMAT_TF_EXAMPLE, as ExampleGen does for its output.

components/transform/component.py is the standard Transform run by it.
"""

import json
from typing import Any, Dict, List

from tfx import types
from tfx.components.transform import executor as transform_executor
from tfx.components.util import examples_utils
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_component_specs

from contracts.inventory import INVENTORY_LABELS_KEY, read_inventory, write_inventory


def record_payload_format(output_dict: Dict[str, List[types.Artifact]]) -> None:
    """Marks Transform's transformed_examples (if it wrote any) as tf.Examples."""
    for examples in output_dict.get(standard_component_specs.TRANSFORMED_EXAMPLES_KEY, []):
        examples_utils.set_payload_format(examples, example_gen_pb2.FORMAT_TF_EXAMPLE)


class Executor(transform_executor.Executor):
    """Transform's executor with the inventory's labels; transformed_examples carry payload_format."""

    def Do(self, input_dict: Dict[str, List[types.Artifact]],
           output_dict: Dict[str, List[types.Artifact]],
           exec_properties: Dict[str, Any]) -> None:
        inventory = read_inventory(artifact_utils.get_single_uri(
            input_dict[standard_component_specs.EXAMPLES_KEY]))
        custom_config = json.loads(
            exec_properties.get(standard_component_specs.CUSTOM_CONFIG_KEY) or "{}")
        custom_config[INVENTORY_LABELS_KEY] = list(inventory.labels)
        super().Do(input_dict, output_dict, {
            **exec_properties, standard_component_specs.CUSTOM_CONFIG_KEY: json.dumps(custom_config)})
        write_inventory(inventory, artifact_utils.get_single_uri(
            output_dict[standard_component_specs.TRANSFORM_GRAPH_KEY]))
        record_payload_format(output_dict)
