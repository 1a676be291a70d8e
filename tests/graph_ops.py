"""Lists the non-core TensorFlow ops a SavedModel needs, to check TF Serving can load it.

TF Serving's images bundle core TF and an older tensorflow_text; anything
outside core TF must be one of the long-standing TF Text ops
(SERVING_SAFE_OPS, reasons in modules/transform/tokenization.py).
"""

from typing import Set

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

SERVING_SAFE_OPS = frozenset({"NormalizeUTF8", "RegexSplitWithOffsets",
                              "WordpieceTokenizeWithOffsets"})


def non_core_ops(saved_model_dir: str) -> Set[str]:
    """Ops used by the SavedModel's graphs that core TensorFlow does not define."""
    saved_model = saved_model_pb2.SavedModel()
    with tf.io.gfile.GFile(f"{saved_model_dir}/saved_model.pb", "rb") as handle:
        saved_model.ParseFromString(handle.read())
    used, functions = set(), set()
    for meta_graph in saved_model.meta_graphs:
        used.update(node.op for node in meta_graph.graph_def.node)
        for function in meta_graph.graph_def.library.function:
            functions.add(function.signature.name)
            used.update(node.op for node in function.node_def)
    return used - functions - set(dir(tf.raw_ops))
