"""The exported SavedModel and its three signatures.

``serving_default`` takes ordinary text (a batch of strings), splits it into
CoNLL-style words in the graph (modules/trainer/pretokenization.py: white
space, and punctuation off the word edges as the CoNLL files have it),
tokenizes them with the Transform graph, runs the classifier over
word-boundary windows and returns per word: text, tag, score and character
offsets, plus the entity spans decoded from the tags. ``serve_words`` does
the same for clients that bring their own words (offsets then refer to the
words joined by single spaces). ``serve_examples`` takes serialized
tf.Examples with a ``tokens`` feature (as ConllExampleGen writes them) and
returns per-word tags and class probabilities, for batch prediction and
evaluation.

Every output is dense per instance (padded, with counts), so TF Serving's
row ("instances") and columnar ("inputs") JSON formats both work. Offsets
count Unicode characters (code points), as Python's str indexing does.
"""

from typing import Dict

import tensorflow as tf
import tensorflow_text  # noqa: F401  # registers the TF Text ops the signatures call

from contracts import features
from modules.trainer.entities import decode_entities
from modules.trainer.pretokenization import split_words
from modules.transform import preprocessing
from modules.transform.windows import split_windows

SERVE_TEXT = "serving_default"
SERVE_WORDS = "serve_words"
SERVE_EXAMPLES = "serve_examples"


def _characters_before(byte_offsets: tf.Tensor, sentences: tf.Tensor) -> tf.Tensor:
    """Character (code point) offsets of byte offsets into the given sentences."""
    prefixes = tf.strings.substr(sentences, tf.zeros_like(byte_offsets), byte_offsets)
    return tf.cast(tf.strings.length(prefixes, unit="UTF8_CHAR"), tf.int64)


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

    def tag_words(self, sentences: tf.Tensor, words: tf.RaggedTensor, byte_starts: tf.RaggedTensor,
                  byte_ends: tf.RaggedTensor) -> Dict[str, tf.Tensor]:
        """Tags, scores, offsets and entities of ``words`` found at the byte
        offsets ``byte_starts``/``byte_ends`` of ``sentences``."""
        words = words.with_row_splits_dtype(tf.int64)
        probabilities = self.word_probabilities(words)
        tag_ids = words.with_flat_values(tf.argmax(probabilities.flat_values, axis=-1))
        scores = words.with_flat_values(tf.reduce_max(probabilities.flat_values, axis=-1))
        sentence_of_word = tf.gather(sentences, words.value_rowids())
        char_starts = _characters_before(byte_starts.flat_values, sentence_of_word)
        char_ends = _characters_before(byte_ends.flat_values, sentence_of_word)

        chunks = decode_entities(tag_ids)
        first = tf.gather(words.row_starts(), chunks["sentence"])
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

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="sentences")])
    def serve_text(self, sentences: tf.Tensor) -> Dict[str, tf.Tensor]:
        return self.tag_words(sentences, *split_words(sentences))

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.string, name="words"),
                                  tf.TensorSpec([None], tf.int64, name="word_count")])
    def serve_words(self, words: tf.Tensor, word_count: tf.Tensor) -> Dict[str, tf.Tensor]:
        """Words given by the client, right-padded; ``word_count`` says how many are real."""
        width = tf.shape(words, out_type=tf.int64)[1]
        with tf.control_dependencies([
                tf.debugging.assert_non_negative(word_count, message="word_count < 0"),
                tf.debugging.assert_less_equal(word_count, width,
                                               message="word_count exceeds the words given")]):
            ragged = tf.RaggedTensor.from_tensor(words, lengths=word_count)
        byte_lengths = tf.strings.length(ragged)
        byte_ends = tf.cumsum(byte_lengths + 1, axis=1) - 1
        sentences = tf.strings.reduce_join(ragged, axis=1, separator=" ")
        return self.tag_words(sentences, ragged, byte_ends - byte_lengths, byte_ends)

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
        SERVE_WORDS: module.serve_words.get_concrete_function(),
        SERVE_EXAMPLES: module.serve_examples.get_concrete_function(),
    })
