"""Builds the token classifier: TFBertForTokenClassification from a checkpoint directory.

transformers 4.57's TensorFlow loader cannot read PyTorch-format safetensors
(the only weights the offline MiniLM ships), so those are read with
safetensors into a dict and mapped with transformers' own PyTorch-to-TF
loader. A directory with config.json but no weights gives a randomly
initialized model (the tiny test checkpoint).
"""

import pathlib
from typing import Sequence

import tensorflow as tf
import tf_keras
from absl import logging
from transformers import BertConfig, TFBertForTokenClassification
from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

from contracts import features
from modules.trainer.precision import keras_policy
from modules.transform.tokenization import CASINGS


# The weight files load_token_classifier reads: TensorFlow's own, or PyTorch-format
# safetensors.
_TF_WEIGHTS, _SAFETENSORS = "tf_model.h5", "model.safetensors"


def has_weights(checkpoint_dir: str) -> bool:
    """Whether the checkpoint directory holds weights the TensorFlow model can load
    (else the model starts from random values)."""
    directory = pathlib.Path(checkpoint_dir)
    return (directory / _TF_WEIGHTS).exists() or (directory / _SAFETENSORS).exists()


def load_token_classifier(checkpoint_dir: str, labels: Sequence[str]
                          ) -> TFBertForTokenClassification:
    """The checkpoint's encoder with a new classifier head over ``labels`` (in id order)."""
    directory = pathlib.Path(checkpoint_dir)
    config = BertConfig.from_pretrained(
        directory, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={label: index for index, label in enumerate(labels)})
    if (directory / _TF_WEIGHTS).exists():
        return TFBertForTokenClassification.from_pretrained(directory, config=config)
    model = TFBertForTokenClassification(config)
    model(model.dummy_inputs)  # create the variables
    safetensors_file = directory / _SAFETENSORS
    if safetensors_file.exists():
        from safetensors.numpy import load_file
        _, info = load_pytorch_state_dict_in_tf2_model(
            model, load_file(str(safetensors_file)), allow_missing_keys=True,
            output_loading_info=True)
        new = [key for key in info["missing_keys"] if not key.startswith("classifier.")]
        if new:
            raise ValueError(f"{safetensors_file} lacks encoder weights: {new[:5]} ...")
        logging.info("Loaded %s; new classifier head %s", safetensors_file, info["missing_keys"])
    elif (directory / "pytorch_model.bin").exists():
        raise ValueError(f"{directory} holds only pytorch_model.bin, which needs PyTorch; "
                         "convert it to model.safetensors or tf_model.h5")
    else:
        logging.warning("No weights in %s: the model starts from random values", directory)
    return model


class TokenClassifier(tf_keras.Model):
    """Maps {input_ids, attention_mask, casing} to per-piece logits (float32).

    With ``casing``, a learned embedding of each piece's casing id
    (modules.transform.tokenization.CASINGS) is added to its word-piece
    embedding, so that an uncased checkpoint sees the capitals it lower-cases
    away. It starts at zero: the first step computes what the checkpoint does.
    Without it, ``casing`` inputs are ignored.

    With ``freeze_embeddings``, the checkpoint's embedding layer is not trained
    (the casing embedding still is). Keras lists trainable weights first, so
    this also orders ``get_weights``: a copy must be made the same way.
    """

    def __init__(self, bert: TFBertForTokenClassification, casing: bool = False,
                 freeze_embeddings: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.bert = bert
        bert.get_input_embeddings().trainable = not freeze_embeddings
        self.casing_embedding = None
        if casing:
            self.casing_embedding = tf_keras.layers.Embedding(
                len(CASINGS), bert.config.hidden_size, embeddings_initializer="zeros",
                name="casing_embedding")
            self.casing_embedding.build((None,))

    def call(self, inputs, training=False):
        if self.casing_embedding is None:
            pieces = {"input_ids": inputs[features.INPUT_IDS]}
        else:
            word_pieces = tf.gather(self.bert.get_input_embeddings().weight,
                                    inputs[features.INPUT_IDS])
            # Keras wants the first argument passed, if only as None.
            pieces = {"input_ids": None,
                      "inputs_embeds": word_pieces + self.casing_embedding(inputs[features.CASING])}
        logits = self.bert(**pieces, attention_mask=inputs[features.ATTENTION_MASK],
                           training=training).logits
        return tf.cast(logits, tf.float32)


def inference_copy(trained: TokenClassifier) -> TokenClassifier:
    """A float32 copy of the trained classifier for export.

    It holds the weights and nothing else (the trained model also tracks the
    optimizer's slots, twice the weights' size), and it computes in float32
    whatever precision policy training used, so TF Serving on any CPU runs it
    at full precision.
    """
    with keras_policy("float32"):
        bert = TFBertForTokenClassification(trained.bert.config)
        bert(bert.dummy_inputs)
        copy = TokenClassifier(bert, casing=trained.casing_embedding is not None,
                               freeze_embeddings=not trained.bert.get_input_embeddings().trainable)
    bert.set_weights(trained.bert.get_weights())
    if copy.casing_embedding is not None:
        copy.casing_embedding.set_weights(trained.casing_embedding.get_weights())
    return copy
