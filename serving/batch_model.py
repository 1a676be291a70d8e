"""The exported SavedModel in batch prediction: which version runs, and a
RunInference ModelHandler that calls one of its signatures.

Beam's TFModelHandlerTensor stacks one numeric tensor per element and calls
the loaded object itself; this model is called through a named signature with
keyword string inputs (two of them for serve_words), hence a handler of its own.
"""

import atexit
import gc
import weakref
from typing import Any, Dict, List, Sequence

import tensorflow as tf
import tensorflow_text  # noqa: F401  # registers the TF Text ops the model's graph calls
from apache_beam.ml.inference.base import ModelHandler
from tensorflow.core.protobuf import saved_model_pb2

from contracts.padded_outputs import rows
from contracts.signatures import INPUT_OF, SERVE_WORDS, WORD_COUNT
from serving.model_store import SAVED_MODEL_FILE


class BatchPredictError(RuntimeError):
    """A model directory, input or output that cannot be used; the CLI prints it on one line."""


def resolve_model_dir(model_dir: str) -> str:
    """A SavedModel directory itself, or the newest numbered version under a serving base dir.

    tf.io.gfile, not Beam's FileSystems: Beam's local listing walks the whole
    tree and skips symlinked version directories.
    """
    model_dir = model_dir.rstrip("/")
    if tf.io.gfile.exists(f"{model_dir}/{SAVED_MODEL_FILE}"):
        return model_dir
    names = ([name.rstrip("/") for name in tf.io.gfile.listdir(model_dir)]  # gs:// dirs end in /
             if tf.io.gfile.isdir(model_dir) else [])
    versions = [int(name) for name in names if name.isascii() and name.isdigit()
                and tf.io.gfile.exists(f"{model_dir}/{name}/{SAVED_MODEL_FILE}")]
    if not versions:
        raise BatchPredictError(f"--model-dir {model_dir} holds neither {SAVED_MODEL_FILE} "
                                "nor numbered version directories with one")
    return f"{model_dir}/{max(versions)}"


def version_with(model_dir: str, signature: str) -> str:
    """The version directory to run, checked for ``signature`` before anything is tagged."""
    version_dir = resolve_model_dir(model_dir)
    saved_model = saved_model_pb2.SavedModel()
    with tf.io.gfile.GFile(f"{version_dir}/{SAVED_MODEL_FILE}", "rb") as handle:
        saved_model.ParseFromString(handle.read())
    names = sorted(name for graph in saved_model.meta_graphs for name in graph.signature_def)
    if signature not in names:
        raise BatchPredictError(f"{version_dir} has no {signature} signature "
                                f"(it has: {', '.join(names) or 'none'})")
    return version_dir


def signature_inputs(signature: str, batch: Sequence[Any]) -> Dict[str, tf.Tensor]:
    """The keyword inputs of ``signature`` for a batch of texts, or of word lists
    (serve_words: right-padded with "", and their WORD_COUNT)."""
    if signature != SERVE_WORDS:
        return {INPUT_OF[signature]: tf.constant(list(batch), tf.string)}
    width = max(len(words) for words in batch)
    return {INPUT_OF[SERVE_WORDS]: tf.constant([list(words) + [""] * (width - len(words))
                                                for words in batch], tf.string),
            WORD_COUNT: tf.constant([len(words) for words in batch], tf.int64)}


class _LoadedModel:
    """The loaded SavedModel, dropped at exit while the interpreter is still whole:
    Beam's shared-model cache keeps the last model until the modules are torn
    down, where TensorFlow's function destructors fail noisily."""

    def __init__(self, saved_model):
        self.saved_model = saved_model
        atexit.register(_drop_at_exit, weakref.ref(self))


def _drop_at_exit(reference: "weakref.ref[_LoadedModel]") -> None:
    loaded = reference()
    if loaded is not None:
        loaded.saved_model = None
        gc.collect()


class SignatureModelHandler(ModelHandler[Any, Dict[str, Any], _LoadedModel]):
    """Runs one signature of the SavedModel on a batch; one row of outputs per element."""

    def __init__(self, version_dir: str, signature: str, batch_size: int,
                 metrics_namespace: str):
        super().__init__()
        self.version_dir = version_dir
        self.signature = signature
        self._batch_size = batch_size
        self._metrics_namespace = metrics_namespace

    def load_model(self) -> _LoadedModel:
        return _LoadedModel(tf.saved_model.load(self.version_dir))

    def run_inference(self, batch: Sequence[Any], model: _LoadedModel,
                      inference_args=None) -> List[Dict[str, Any]]:
        outputs = model.saved_model.signatures[self.signature](
            **signature_inputs(self.signature, batch))
        return rows({name: tensor.numpy() for name, tensor in outputs.items()})

    def get_num_bytes(self, batch: Sequence[Any]) -> int:
        return sum(len(word.encode()) for item in batch
                   for word in ([item] if isinstance(item, str) else item))

    def get_metrics_namespace(self) -> str:
        return self._metrics_namespace

    def batch_elements_kwargs(self) -> Dict[str, int]:
        # Fixed-size batches: the model's cost per sentence is known, nothing to adapt.
        return {"min_batch_size": self._batch_size, "max_batch_size": self._batch_size}
