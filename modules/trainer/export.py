"""The exported SavedModel and its two signatures.

``serving_default`` takes raw sentences (a batch of strings), splits them on
whitespace, tokenizes them with the Transform graph, runs the classifier over
word-boundary windows and returns per word: text, tag, score and character
offsets, plus the entity spans decoded from the tags. ``serve_examples``
takes serialized tf.Examples with a ``tokens`` feature (as ConllExampleGen
writes them) and returns per-word tags and class probabilities, for batch
prediction and evaluation.

Every output is dense per instance (padded, with counts), so TF Serving's
row ("instances") and columnar ("inputs") JSON formats both work. Offsets
count Unicode characters (code points), as Python's str indexing does.
"""

from typing import Dict

import tensorflow as tf
import tensorflow_text as text

from modules.trainer.entities import decode_entities
from modules.transform import preprocessing
from modules.transform.windows import split_windows
from contracts import features

SERVE_TEXT = "serving_default"
SERVE_EXAMPLES = "serve_examples"
# Words are separated by any Unicode white space.
_WORD_SEPARATOR = r"[\s\p{Z}]+"


class NerModule(tf.Module):
    """Classifier plus Transform layer, wrapped with the serving functions."""

    def __init__(self, classifier, tft_layer, max_length: int, pad_id: int):
        super().__init__()
        self.classifier = classifier
        self.tft_layer = tft_layer
        self.max_length = max_length
        self.pad_id = pad_id
        self.labels = tf.constant(features.LABELS)
        self.entity_types = tf.constant(features.ENTITY_TYPES)

    def word_probabilities(self, words: tf.RaggedTensor) -> tf.RaggedTensor:
        """Class probabilities of each word's first piece: ragged [batch, words, labels]."""
        transformed = self.tft_layer({features.TOKENS: words.to_sparse()})
        input_ids = tf.RaggedTensor.from_sparse(transformed[preprocessing.INPUT_IDS])
        first_pieces = tf.RaggedTensor.from_sparse(transformed[preprocessing.FIRST_PIECES])
        windows = split_windows(input_ids, first_pieces, self.max_length)
        ids = windows.input_ids.to_tensor(self.pad_id)
        mask = tf.ones_like(windows.input_ids).to_tensor(0)
        # A batch of empty sentences has no window; BERT cannot run on zero rows.
        logits = tf.cond(
            tf.shape(ids)[0] > 0,
            lambda: self.classifier({"input_ids": ids, "attention_mask": mask}, training=False),
            lambda: tf.zeros([0, tf.shape(ids)[1], len(features.LABELS)]))
        per_piece = tf.RaggedTensor.from_tensor(logits, lengths=windows.input_ids.row_lengths())
        per_word = tf.gather(per_piece.flat_values, windows.word_piece_index.flat_values)
        return windows.word_piece_index.with_flat_values(tf.nn.softmax(per_word, axis=-1))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="sentences")])
    def serve_text(self, sentences: tf.Tensor) -> Dict[str, tf.Tensor]:
        words, byte_starts, byte_ends = text.regex_split_with_offsets(
            sentences, _WORD_SEPARATOR, "")
        probabilities = self.word_probabilities(words)
        tag_ids = words.with_flat_values(tf.argmax(probabilities.flat_values, axis=-1))
        scores = words.with_flat_values(tf.reduce_max(probabilities.flat_values, axis=-1))
        row_of_word = words.with_row_splits_dtype(tf.int64).value_rowids()
        sentence_of_word = tf.gather(sentences, row_of_word)

        def characters_before(byte_offsets: tf.Tensor, sentence: tf.Tensor) -> tf.Tensor:
            return tf.cast(tf.strings.length(tf.strings.substr(sentence, tf.zeros_like(byte_offsets), byte_offsets),
                                             unit="UTF8_CHAR"), tf.int64)

        char_starts = characters_before(byte_starts.flat_values, sentence_of_word)
        char_ends = characters_before(byte_ends.flat_values, sentence_of_word)

        chunks = decode_entities(tag_ids)
        first = tf.gather(words.with_row_splits_dtype(tf.int64).row_starts(), chunks["sentence"])
        first_word, last_word = first + chunks["first_word"], first + chunks["last_word"]
        entity_byte_start = tf.gather(byte_starts.flat_values, first_word)
        entity_byte_end = tf.gather(byte_ends.flat_values, last_word)
        entity_words = tf.ragged.range(first_word, last_word + 1)
        entity_scores = tf.math.unsorted_segment_mean(
            tf.gather(scores.flat_values, entity_words.flat_values), entity_words.value_rowids(),
            tf.shape(first_word)[0])
        batch = tf.shape(sentences, out_type=tf.int64)[0]

        def per_sentence(values: tf.Tensor, default) -> tf.Tensor:
            ragged = tf.RaggedTensor.from_value_rowids(values, chunks["sentence"], nrows=batch)
            return ragged.to_tensor(default)

        def per_word(values: tf.Tensor, default) -> tf.Tensor:
            return words.with_flat_values(values).to_tensor(default)

        return {
            "word_count": words.row_lengths(),
            "words": words.to_tensor(""),
            "tags": per_word(tf.gather(self.labels, tag_ids.flat_values), ""),
            "scores": per_word(scores.flat_values, 0.0),
            "word_starts": per_word(char_starts, -1),
            "word_ends": per_word(char_ends, -1),
            "entity_count": tf.math.bincount(tf.cast(chunks["sentence"], tf.int32),
                                             minlength=tf.cast(batch, tf.int32),
                                             maxlength=tf.cast(batch, tf.int32), dtype=tf.int64),
            "entity_types": per_sentence(tf.gather(self.entity_types, chunks["type"]), ""),
            "entity_texts": per_sentence(tf.strings.substr(
                tf.gather(sentences, chunks["sentence"]), entity_byte_start,
                entity_byte_end - entity_byte_start), ""),
            "entity_starts": per_sentence(tf.gather(char_starts, first_word), -1),
            "entity_ends": per_sentence(tf.gather(char_ends, last_word), -1),
            "entity_scores": per_sentence(entity_scores, 0.0),
        }

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve_examples(self, examples: tf.Tensor) -> Dict[str, tf.Tensor]:
        parsed = tf.io.parse_example(examples, {features.TOKENS: tf.io.VarLenFeature(tf.string)})
        words = tf.RaggedTensor.from_sparse(parsed[features.TOKENS])
        probabilities = self.word_probabilities(words)
        tag_ids = tf.argmax(probabilities.flat_values, axis=-1)
        return {
            "word_count": words.row_lengths(),
            "tag_ids": words.with_flat_values(tag_ids).to_tensor(-1),
            "tags": words.with_flat_values(tf.gather(self.labels, tag_ids)).to_tensor(""),
            "probabilities": probabilities.to_tensor(0.0),
        }


def export(module: NerModule, directory: str) -> None:
    tf.saved_model.save(module, directory, signatures={
        SERVE_TEXT: module.serve_text.get_concrete_function(),
        SERVE_EXAMPLES: module.serve_examples.get_concrete_function(),
    })
