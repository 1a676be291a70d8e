"""Builds the token classifier: TFBertForTokenClassification from a checkpoint directory.

transformers 4.57's TensorFlow loader cannot read PyTorch-format safetensors
(the only weights the offline MiniLM ships), so those are read with
safetensors into a dict and mapped with transformers' own PyTorch-to-TF
loader. A directory with config.json but no weights gives a randomly
initialized model (the tiny test checkpoint).
"""

import pathlib

import tensorflow as tf
import tf_keras
from absl import logging
from transformers import BertConfig, TFBertForTokenClassification
from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

from contracts import features


def load_token_classifier(checkpoint_dir: str) -> TFBertForTokenClassification:
    directory = pathlib.Path(checkpoint_dir)
    config = BertConfig.from_pretrained(
        directory, num_labels=len(features.LABELS),
        id2label=dict(enumerate(features.LABELS)), label2id=dict(features.LABEL_TO_ID))
    if (directory / "tf_model.h5").exists():
        return TFBertForTokenClassification.from_pretrained(directory, config=config)
    model = TFBertForTokenClassification(config)
    model(model.dummy_inputs)  # create the variables
    safetensors_file = directory / "model.safetensors"
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
    """Maps {input_ids, attention_mask} to per-piece logits (float32)."""

    def __init__(self, bert: TFBertForTokenClassification, **kwargs):
        super().__init__(**kwargs)
        self.bert = bert

    def call(self, inputs, training=False):
        logits = self.bert(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                           training=training).logits
        return tf.cast(logits, tf.float32)


def inference_copy(trained: TokenClassifier) -> TokenClassifier:
    """A float32 copy of the trained classifier for export.

    It holds the weights and nothing else (the trained model also tracks the
    optimizer's slots, twice the weights' size), and it computes in float32
    whatever precision policy training used, so TF Serving on any CPU runs it
    at full precision.
    """
    policy = tf_keras.mixed_precision.global_policy()
    tf_keras.mixed_precision.set_global_policy("float32")
    try:
        bert = TFBertForTokenClassification(trained.bert.config)
        bert(bert.dummy_inputs)
    finally:
        tf_keras.mixed_precision.set_global_policy(policy)
    bert.set_weights(trained.bert.get_weights())
    return TokenClassifier(bert)
