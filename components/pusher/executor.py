"""Pusher executor that pushes each model once.

The standard Pusher copies the model into a new <timestamp> version on every
execution. When a rerun re-blesses a model that is already being served (its
Evaluator re-runs because that model has become its own baseline), that
would add a duplicate version and make TF Serving reload the same model. This
executor records such a push against the existing version instead; all other
behaviour (blessing check, copy order, artifact properties) is the standard one.
"""

import os
from typing import Any, Dict, List, Optional

import tensorflow as tf
from absl import logging
from tfx.components.pusher import executor as pusher_executor
from tfx.proto import pusher_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import io_utils, proto_utils

_IDENTITY_FILES = ("fingerprint.pb", "saved_model.pb")


def _read(path: str) -> Optional[bytes]:
    return tf.io.gfile.GFile(path, "rb").read() if tf.io.gfile.exists(path) else None


def existing_version(model_path: str, base_directory: str) -> Optional[str]:
    """The version directory under ``base_directory`` holding this very SavedModel."""
    if not tf.io.gfile.isdir(base_directory):
        return None
    identity = [_read(os.path.join(model_path, name)) for name in _IDENTITY_FILES]
    for version in sorted(tf.io.gfile.listdir(base_directory), reverse=True):
        version = version.rstrip("/")
        candidate = os.path.join(base_directory, version)
        if [_read(os.path.join(candidate, name)) for name in _IDENTITY_FILES] == identity:
            return version
    return None


class Executor(pusher_executor.Executor):
    """The standard Pusher, idempotent per model."""

    def Do(self, input_dict: Dict[str, List[Any]], output_dict: Dict[str, List[Any]],
           exec_properties: Dict[str, Any]) -> None:
        destination = pusher_pb2.PushDestination()
        proto_utils.json_to_proto(
            exec_properties[standard_component_specs.PUSH_DESTINATION_KEY], destination)
        if self.CheckBlessing(input_dict) and destination.HasField("filesystem"):
            base_directory = destination.filesystem.base_directory
            model_path = self.GetModelPath(input_dict)
            version = existing_version(model_path, base_directory)
            if version is not None:
                logging.info("Model %s is already served as version %s; not copying it again",
                             model_path, version)
                model_push = artifact_utils.get_single_instance(
                    output_dict[standard_component_specs.PUSHED_MODEL_KEY])
                io_utils.copy_dir(model_path, model_push.uri)
                self._MarkPushed(model_push, pushed_destination=os.path.join(
                    base_directory, version), pushed_version=version)
                return
        super().Do(input_dict, output_dict, exec_properties)
