"""preprocessing_fn for the standard TFX Transform component.

Turns each sentence's words and tags into BERT inputs with in-graph WordPiece
(modules.transform.tokenization). Sequences are kept whole: nothing is
truncated here, so no word ever loses its label; the model's position limit
is handled by splitting long sentences into windows at word boundaries
(modules.transform.windows) when batches are built and at serving time.

tensorflow_text ops must be registered in every process that runs the
transform graph. Importing this module registers them in the process that
traces it. Separate Beam worker processes (DirectRunner multi_processing,
``ner-pipeline run --beam-workers N``; Dataflow) load only the SavedModel,
before anything imports tensorflow_text: every Beam component gets
``--beam_plugins=tensorflow_text`` (pipeline/beam_args.py), which Beam's
worker entry point imports before it starts. tests/test_beam_workers.py checks
that a 2-worker run transforms exactly what the in-process run does.

The checkpoint arrives as custom_config (the fields of
contracts.checkpoint.Checkpoint). A compiled pipeline may name it only (a Hub
id, a path in the image): it is resolved here, where Transform runs. The
labels in id order arrive there too (INVENTORY_LABELS_KEY, added by
components/transform/executor.py from the data's entity inventory).

Outputs per sentence (variable length, int64):
  input_ids    [CLS] word pieces [SEP]
  casing       casing id of each piece's word as written (tokenization.CASINGS),
               0 for [CLS]/[SEP]
  first_pieces position in input_ids of each word's first piece
  labels       tag id on each word's first piece, -100 elsewhere
               (only when ner_tags are given, i.e. not at serving time)
and, passed through unchanged, document_id and sentence_index, so that the
Trainer can put sentences back in document order for document context
(modules/transform/documents.py).
"""

from typing import Any, Dict

import tensorflow as tf
import tensorflow_text  # noqa: F401  # registers the TF Text ops of the graph traced here
import tensorflow_transform as tft

from modules.transform.tokenization import WordPieceTokenizer
from contracts import features
from contracts.checkpoint import ensure_resolved, from_mapping
from contracts.inventory import INVENTORY_LABELS_KEY



def _as_ragged(tensor) -> tf.RaggedTensor:
    if isinstance(tensor, tf.SparseTensor):
        return tf.RaggedTensor.from_sparse(tensor)
    return tensor


def tag_ids(tags: tf.RaggedTensor, labels) -> tf.RaggedTensor:
    """Maps IOB2 tags to label ids by their index in ``labels`` (the inventory's).

    Tags outside the list never get here: ingestion checks them against the
    inventory, and the schema's domain and the ValidationGate do again.
    """
    matches = tf.equal(tags.flat_values[:, None], tf.constant(list(labels)))
    return tags.with_flat_values(tf.argmax(tf.cast(matches, tf.int32), axis=1))


def preprocessing_fn(inputs: Dict[str, Any], custom_config: Dict[str, Any]) -> Dict[str, Any]:
    # Created once, outside the traced function, and tracked so its vocabulary
    # table is initialized once per loaded graph (not on every batch or request)
    # and its vocab.txt travels as an asset of the transform graph.
    checkpoint = ensure_resolved(from_mapping(custom_config))
    tokenizer = tft.make_and_track_object(
        lambda: WordPieceTokenizer(checkpoint.vocab_file, checkpoint.lower_case,
                                   checkpoint.strip_accents),
        name="wordpiece_tokenizer")
    words = _as_ragged(inputs[features.TOKENS])
    labels = (tag_ids(_as_ragged(inputs[features.NER_TAGS]), custom_config[INVENTORY_LABELS_KEY])
              if features.NER_TAGS in inputs else None)
    encoded = {key: value.to_sparse() for key, value in tokenizer.encode(words, labels).items()}
    for key in (features.DOCUMENT_ID, features.SENTENCE_INDEX):
        if key in inputs:
            encoded[key] = inputs[key]
    return encoded
