"""ValidationGate: stops the run when ExampleValidator found anomalies.

The standard ExampleValidator only records anomalies; nothing downstream
refuses to run on them. Transform and training are made to depend on this
gate, so bad data (say, a tag outside the schema's domain) ends the run with
a message that names the split, its files and the offending values.
"""

import json
import os
from typing import Dict, List

import tensorflow as tf
from tensorflow_data_validation.utils import anomalies_util
from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx.dsl.component.experimental.annotations import InputArtifact
from tfx.dsl.component.experimental.decorators import component
from tfx.types import artifact_utils
from tfx.types.standard_artifacts import ExampleAnomalies, Examples

from contracts.files import CONLL_STATS_FILE

ANOMALIES_FILE_NAME = "SchemaDiff.pb"


class DataAnomaliesError(ValueError):
    """The data does not match the schema."""


def describe_anomalies(anomalies_by_split: Dict[str, anomalies_pb2.Anomalies],
                       files_by_split: Dict[str, List[str]]) -> List[str]:
    """One readable line per anomaly: split, files, feature, what is wrong."""
    lines = []
    for split, anomalies in sorted(anomalies_by_split.items()):
        files = ", ".join(files_by_split.get(split, [])) or "unknown files"
        for feature, info in sorted(anomalies.anomaly_info.items()):
            lines.append(f"split '{split}' ({files}): feature '{feature}': "
                         f"{info.short_description}: {info.description}")
        if anomalies.HasField("dataset_anomaly_info"):
            info = anomalies.dataset_anomaly_info
            lines.append(f"split '{split}' ({files}): {info.short_description}: {info.description}")
    return lines


def _files_by_split(examples: Examples) -> Dict[str, List[str]]:
    path = os.path.join(examples.uri, CONLL_STATS_FILE)
    if not tf.io.gfile.exists(path):
        return {}
    with tf.io.gfile.GFile(path) as handle:
        return {split: report["files"] for split, report in json.load(handle).items()}


@component
def ValidationGate(anomalies: InputArtifact[ExampleAnomalies],
                   examples: InputArtifact[Examples]) -> None:
    """Raises DataAnomaliesError if any split has an anomaly."""
    anomalies_by_split = {
        split: anomalies_util.load_anomalies_binary(
            os.path.join(artifact_utils.get_split_uri([anomalies], split), ANOMALIES_FILE_NAME))
        for split in artifact_utils.decode_split_names(anomalies.split_names)
    }
    problems = describe_anomalies(anomalies_by_split, _files_by_split(examples))
    if problems:
        raise DataAnomaliesError("Data validation failed; fix the data or the schema:\n  "
                                 + "\n  ".join(problems))
