"""One loaded version of a SavedModel: its callable signatures and its SignatureDefs.

``load`` runs the version's warm-up requests (warmup.py) before returning it.
The SignatureDefs are read from saved_model.pb, the same protos TF Serving
prints in its metadata API, so tensor names, dtypes and shapes match TF
Serving's exactly.
"""

import dataclasses
import os
from typing import Any, Dict, Mapping

import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401  # registers the TF Text ops the exported graph calls
from google.protobuf import json_format
from tensorflow.core.protobuf import saved_model_pb2

from serving import warmup
from serving.errors import HTTP_STATUS, ServingError
from serving.model_store import SAVED_MODEL_FILE

SERVE_TAG = "serve"  # the MetaGraph TF Serving loads


@dataclasses.dataclass(frozen=True)
class Servable:
    version: int
    path: str
    signature_defs: Mapping[str, Dict[str, Any]]  # as the metadata API prints them
    functions: Mapping[str, Any]
    model: Any  # the loaded object; it owns the variables the functions capture

    def run(self, signature_name: str, inputs: Mapping[str, np.ndarray]) -> Dict[str, np.ndarray]:
        """Runs a signature; TensorFlow's errors become the HTTP status TF Serving gives them."""
        try:
            outputs = self.functions[signature_name](
                **{name: tf.constant(value) for name, value in inputs.items()})
        except tf.errors.OpError as error:
            raise ServingError(HTTP_STATUS.get(error.error_code, 500), error.message) from None
        return {name: tensor.numpy() for name, tensor in outputs.items()}


def load(path: str, version: int) -> Servable:
    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(path, SAVED_MODEL_FILE), "rb") as handle:
        saved_model.ParseFromString(handle.read())
    graphs = [graph for graph in saved_model.meta_graphs if SERVE_TAG in graph.meta_info_def.tags]
    if len(graphs) != 1:
        raise ValueError(f"{path} has {len(graphs)} MetaGraphs tagged '{SERVE_TAG}'; expected one")
    signature_defs = {
        name: json_format.MessageToDict(signature, preserving_proto_field_name=True,
                                        including_default_value_fields=True)
        for name, signature in graphs[0].signature_def.items()}
    model = tf.saved_model.load(path, tags=[SERVE_TAG])
    loaded = Servable(version=version, path=path, signature_defs=signature_defs,
                      functions=dict(model.signatures), model=model)
    warmup.warm_up(loaded.run, path)  # before the version serves, as TF Serving does
    return loaded
