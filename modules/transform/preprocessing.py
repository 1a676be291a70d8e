"""preprocessing_fn for the standard TFX Transform component.

Turns each sentence's words and tags into BERT inputs with in-graph WordPiece
(modules.transform.tokenization). Sequences are kept whole: nothing is
truncated here, so no word ever loses its label; the model's position limit
is handled by splitting long sentences into windows at word boundaries
(modules.transform.windows) when batches are built and at serving time.

tensorflow_text ops must be registered in every process that runs the
transform graph. Importing this module (through tokenization) registers them
in the process that traces it, and the local runner keeps Beam's DirectRunner
in_memory (pipeline/config.py), so the graph also runs in that process.
Separate Beam worker processes (DirectRunner multi_processing, Dataflow) load
only the SavedModel and would need tensorflow_text imported first; that is
not arranged (nor tested) here, which is why the workers stay in process.

Outputs per sentence (variable length, int64):
  input_ids    [CLS] word pieces [SEP]
  first_pieces position in input_ids of each word's first piece
  labels       tag id on each word's first piece, -100 elsewhere
               (only when ner_tags are given, i.e. not at serving time)
"""

from typing import Any, Dict

import tensorflow as tf
import tensorflow_transform as tft

from modules.transform.tokenization import WordPieceTokenizer
from contracts import features

INPUT_IDS = "input_ids"
FIRST_PIECES = "first_pieces"
LABELS = "labels"

# Keys of the Transform component's custom_config (fields of contracts.checkpoint.Checkpoint).
VOCAB_FILE = "vocab_file"
LOWER_CASE = "lower_case"
STRIP_ACCENTS = "strip_accents"


def _as_ragged(tensor) -> tf.RaggedTensor:
    if isinstance(tensor, tf.SparseTensor):
        return tf.RaggedTensor.from_sparse(tensor)
    return tensor


def tag_ids(tags: tf.RaggedTensor) -> tf.RaggedTensor:
    """Maps IOB2 tags to label ids by their index in features.LABELS.

    Tags outside the list never get here: the schema pins the domain and the
    ValidationGate stops the run before Transform.
    """
    matches = tf.equal(tags.flat_values[:, None], tf.constant(features.LABELS))
    return tags.with_flat_values(tf.argmax(tf.cast(matches, tf.int32), axis=1))


def preprocessing_fn(inputs: Dict[str, Any], custom_config: Dict[str, Any]) -> Dict[str, Any]:
    # Created once, outside the traced function, and tracked so its vocabulary
    # table is initialized once per loaded graph (not on every batch or request)
    # and its vocab.txt travels as an asset of the transform graph.
    tokenizer = tft.make_and_track_object(
        lambda: WordPieceTokenizer(custom_config[VOCAB_FILE], custom_config[LOWER_CASE],
                                   custom_config[STRIP_ACCENTS]),
        name="wordpiece_tokenizer")
    words = _as_ragged(inputs[features.TOKENS])
    labels = tag_ids(_as_ragged(inputs[features.NER_TAGS])) if features.NER_TAGS in inputs else None
    encoded = tokenizer.encode(words, labels)
    return {key: value.to_sparse() for key, value in encoded.items()}
