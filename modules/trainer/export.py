"""The exported SavedModel and its four signatures.

``serving_default`` takes ordinary text (a batch of strings), splits it into
CoNLL-style words in the graph (modules/transform/pretokenization.py: white
space, and punctuation off the word edges as the CoNLL files have it),
tokenizes them with the Transform graph, runs the classifier over
word-boundary windows and returns per word: text, tag, score and character
offsets, plus the entity spans decoded from the tags. ``serve_words`` does
the same for clients that bring their own words (offsets then refer to the
words joined by single spaces). ``serve_document`` takes whole documents,
one sentence per line: a model trained with document context
(``--document-context``) tags each sentence with its neighbours in view,
and offsets refer to the document. ``serve_examples`` takes serialized
tf.Examples with a ``tokens`` feature (as ConllExampleGen writes them) and
returns per-word tags and class probabilities, for batch prediction and
evaluation; consecutive examples of one document_id are one document.

Every output is dense per instance (padded, with counts), so TF Serving's
row ("instances") and columnar ("inputs") JSON formats both work. Offsets
count Unicode characters (code points), as Python's str indexing does.

The SavedModel keeps the classifier's weights and one traced forward pass
(``ServedClassifier``), not the Keras model: saving the Keras model would also
save a trace of every layer's call, which nobody serves and which took most
of the export's time.
"""

from typing import Dict, Optional

import tensorflow as tf
import tensorflow_text  # noqa: F401  # registers the TF Text ops the signatures call

from contracts import features
from contracts.inventory import INTERNAL_SCHEME, EntityInventory
from contracts.signatures import (
    DOCUMENT_CONTEXT, ENTITY_COUNT, ENTITY_ENDS, ENTITY_SCORES, ENTITY_STARTS, ENTITY_TEXTS,
    ENTITY_TYPES, INPUT_OF, PROBABILITIES, SCORES, SERVE_DOCUMENT, SERVE_EXAMPLES, SERVE_INVENTORY, SERVE_TEXT,
    SERVE_WORDS, TAG_IDS, TAG_SCHEME, TAGS, TYPE_COUNT, WORD_COUNT, WORD_ENDS, WORD_STARTS,
    WORDS)
from modules.trainer.decoding import DECODERS
from modules.trainer.entities import decode_entities
from modules.transform.pretokenization import split_words
from modules.transform.documents import document_rows, join_sentences, starts_within
from modules.transform.windows import split_windows



_WINDOW_IDS = tf.TensorSpec([None, None], tf.int64)
# What every classifier here maps to per-piece logits [windows, pieces, labels].
_CLASSIFIER_INPUTS = {
    features.INPUT_IDS: _WINDOW_IDS, features.ATTENTION_MASK: _WINDOW_IDS,
    features.CASING: _WINDOW_IDS}


class ServedClassifier(tf.Module):
    """A classifier as the SavedModel keeps it: its weights and a forward pass.

    Loaded back, ``classifier(inputs)`` still computes the logits and
    ``classifier.weights`` holds the variables, so a loaded export can be
    wrapped in a new NerModule (benchmarks do).
    """

    def __init__(self, classifier):
        super().__init__()
        self.weights = list(classifier.variables)
        # A plain function is not tracked: the Keras model stays out of the SavedModel.
        self._logits = lambda inputs: classifier(inputs, training=False)

    @tf.function(input_signature=[_CLASSIFIER_INPUTS], autograph=False)
    def __call__(self, inputs):
        return self._logits(inputs)


def _characters_before(byte_offsets: tf.Tensor, sentences: tf.Tensor) -> tf.Tensor:
    """Character (code point) offsets of byte offsets into the given sentences."""
    prefixes = tf.strings.substr(sentences, tf.zeros_like(byte_offsets), byte_offsets)
    return tf.cast(tf.strings.length(prefixes, unit="UTF8_CHAR"), tf.int64)


class NerModule(tf.Module):
    """Classifier plus Transform layer, wrapped with the serving functions."""

    def __init__(self, classifier, tft_layer, max_length: int, pad_id: int,
                 inventory: EntityInventory, context_length: int = 0,
                 context_overlap: bool = True, decoding: str = "viterbi"):
        """``classifier``: a ServedClassifier, or the ``classifier`` of a loaded export.
        ``inventory``: the entity types it was trained on (label ids follow it).
        ``decoding``: a name of modules.trainer.decoding.DECODERS."""
        super().__init__()
        self.classifier = classifier
        self.tft_layer = tft_layer
        self.max_length = max_length
        self.context_length = context_length
        self.context_overlap = context_overlap
        self.pad_id = pad_id
        self.inventory = inventory
        self.decode = DECODERS[decoding]

    def word_probabilities(self, words: tf.RaggedTensor,
                           document_rows: Optional[tf.Tensor] = None) -> tf.RaggedTensor:
        """Class probabilities of each word's first piece: ragged [batch, words, labels].

        With ``document_rows`` (sorted document of each sentence, see
        modules.transform.documents) and a model trained with document context,
        the sentences of a document share windows of the context length;
        with ``context_overlap`` they overlap by half, and each word is read
        where it has context on both sides (windows.split_windows).
        """
        transformed = self.tft_layer({features.TOKENS: words.to_sparse()})
        input_ids, casing, first_pieces = (
            tf.RaggedTensor.from_sparse(transformed[key]) for key in (
                features.INPUT_IDS, features.CASING, features.FIRST_PIECES))
        max_length, preferred_cuts, overlap = self.max_length, None, False
        if self.context_length and document_rows is not None:
            joined = join_sentences(input_ids, first_pieces, document_rows, casing=casing)
            input_ids, first_pieces, casing = joined.input_ids, joined.first_pieces, joined.casing
            preferred_cuts = joined.sentence_starts
            max_length, overlap = self.context_length, self.context_overlap
        windows = split_windows(input_ids, first_pieces, max_length,
                                preferred_cuts=preferred_cuts, overlap=overlap, casing=casing)
        inputs = {features.INPUT_IDS: windows.input_ids.to_tensor(self.pad_id),
                  features.ATTENTION_MASK: tf.ones_like(windows.input_ids).to_tensor(0),
                  features.CASING: windows.casing.to_tensor(0)}
        # A batch of empty sentences has no window; BERT cannot run on zero rows.
        logits = tf.cond(
            tf.shape(inputs[features.INPUT_IDS])[0] > 0,
            lambda: self.classifier(inputs),
            lambda: tf.zeros([0, tf.shape(inputs[features.INPUT_IDS])[1],
                              len(self.inventory.labels)]))
        per_piece = tf.RaggedTensor.from_tensor(logits, lengths=windows.input_ids.row_lengths())
        per_word = tf.gather(per_piece.flat_values, windows.word_piece_index.flat_values)
        # Joined or not, the words keep their order: regroup them by sentence.
        return words.with_row_splits_dtype(tf.int64).with_flat_values(
            tf.nn.softmax(per_word, axis=-1))

    def tag_words(self, texts: tf.Tensor, words: tf.RaggedTensor, byte_starts: tf.RaggedTensor,
                  byte_ends: tf.RaggedTensor, sentence_rows: Optional[tf.Tensor] = None
                  ) -> Dict[str, tf.Tensor]:
        """Tags, scores, offsets and entities of ``words`` (ragged [sentences,
        words]) found at the byte offsets ``byte_starts``/``byte_ends`` of
        ``texts``. Without ``sentence_rows`` each sentence is one text; with it
        (the sorted text of each sentence) a text holds several sentences, which
        see each other as document context, and entities never cross them."""
        words = words.with_row_splits_dtype(tf.int64)
        batch = tf.shape(texts, out_type=tf.int64)[0]
        context_rows = sentence_rows
        if sentence_rows is None:
            sentence_rows = tf.range(batch)
        probabilities = self.word_probabilities(words, context_rows)
        tag_ids = self.decode(probabilities)
        scores = words.with_flat_values(tf.gather(
            probabilities.flat_values, tag_ids.flat_values, batch_dims=1))
        words_by_text = tf.RaggedTensor.from_value_rowids(
            words, sentence_rows, nrows=batch).merge_dims(1, 2)
        text_of_word = tf.gather(texts, words_by_text.value_rowids())
        char_starts = _characters_before(byte_starts.flat_values, text_of_word)
        char_ends = _characters_before(byte_ends.flat_values, text_of_word)

        chunks = decode_entities(tag_ids)
        entity_text = tf.gather(sentence_rows, chunks["sentence"])
        first = tf.gather(words.row_starts(), chunks["sentence"])
        first_word, last_word = first + chunks["first_word"], first + chunks["last_word"]
        entity_byte_start = tf.gather(byte_starts.flat_values, first_word)
        entity_byte_end = tf.gather(byte_ends.flat_values, last_word)
        entity_words = tf.ragged.range(first_word, last_word + 1)
        entity_scores = tf.math.unsorted_segment_mean(
            tf.gather(scores.flat_values, entity_words.flat_values), entity_words.value_rowids(),
            tf.shape(first_word)[0])

        def per_text(values: tf.Tensor, default) -> tf.Tensor:
            ragged = tf.RaggedTensor.from_value_rowids(values, entity_text, nrows=batch)
            return ragged.to_tensor(default)

        def per_word(values: tf.Tensor, default) -> tf.Tensor:
            return words_by_text.with_flat_values(values).to_tensor(default)

        return {
            WORD_COUNT: words_by_text.row_lengths(),
            WORDS: words_by_text.to_tensor(""),
            TAGS: per_word(tf.gather(self.inventory.labels, tag_ids.flat_values), ""),
            SCORES: per_word(scores.flat_values, 0.0),
            WORD_STARTS: per_word(char_starts, -1),
            WORD_ENDS: per_word(char_ends, -1),
            ENTITY_COUNT: tf.math.bincount(tf.cast(entity_text, tf.int32),
                                             minlength=tf.cast(batch, tf.int32),
                                             maxlength=tf.cast(batch, tf.int32), dtype=tf.int64),
            ENTITY_TYPES: per_text(tf.gather(tf.constant(self.inventory.types, tf.string),
                                               chunks["type"]), ""),
            ENTITY_TEXTS: per_text(tf.strings.substr(
                tf.gather(texts, entity_text), entity_byte_start,
                entity_byte_end - entity_byte_start), ""),
            ENTITY_STARTS: per_text(tf.gather(char_starts, first_word), -1),
            ENTITY_ENDS: per_text(tf.gather(char_ends, last_word), -1),
            ENTITY_SCORES: per_text(entity_scores, 0.0),
        }

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=INPUT_OF[SERVE_TEXT])],
                 autograph=False)
    def serve_text(self, sentences: tf.Tensor) -> Dict[str, tf.Tensor]:
        return self.tag_words(sentences, *split_words(sentences))

    @tf.function(input_signature=[
        tf.TensorSpec([None], tf.string, name=INPUT_OF[SERVE_DOCUMENT])], autograph=False)
    def serve_document(self, documents: tf.Tensor) -> Dict[str, tf.Tensor]:
        """Whole documents, one sentence per line; offsets refer to the document."""
        lines = tf.strings.split(documents, "\n").with_row_splits_dtype(tf.int64)
        sentence_rows = lines.value_rowids()
        line_starts = starts_within(tf.cast(tf.strings.length(lines.flat_values), tf.int64) + 1,
                                    sentence_rows)
        words, byte_starts, byte_ends = split_words(lines.flat_values)
        shift = tf.gather(line_starts, words.with_row_splits_dtype(tf.int64).value_rowids())
        return self.tag_words(documents, words,
                              byte_starts.with_flat_values(byte_starts.flat_values + shift),
                              byte_ends.with_flat_values(byte_ends.flat_values + shift),
                              sentence_rows)

    @tf.function(input_signature=[
        tf.TensorSpec([None, None], tf.string, name=INPUT_OF[SERVE_WORDS]),
        tf.TensorSpec([None], tf.int64, name=WORD_COUNT)], autograph=False)
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

    @tf.function(input_signature=[
        tf.TensorSpec([None], tf.string, name=INPUT_OF[SERVE_EXAMPLES])], autograph=False)
    def serve_examples(self, examples: tf.Tensor) -> Dict[str, tf.Tensor]:
        """With document context, consecutive examples of one ``document_id``
        (in sentence order) are tagged as one document; an example without
        one stands alone."""
        parsed = tf.io.parse_example(examples, {
            key: tf.io.VarLenFeature(tf.string) for key in (features.TOKENS, features.DOCUMENT_ID)})
        words = tf.RaggedTensor.from_sparse(parsed[features.TOKENS])
        rows = None
        if self.context_length:
            document_ids = tf.strings.reduce_join(
                tf.RaggedTensor.from_sparse(parsed[features.DOCUMENT_ID]), axis=1)
            row_keys = tf.strings.as_string(tf.range(tf.size(examples, out_type=tf.int64)))
            rows = document_rows(
                tf.where(document_ids == "", "\x00" + row_keys, "=" + document_ids))
        probabilities = self.word_probabilities(words, rows)
        tag_ids = self.decode(probabilities).flat_values
        return {
            WORD_COUNT: words.row_lengths(),
            TAG_IDS: words.with_flat_values(tag_ids).to_tensor(-1),
            TAGS: words.with_flat_values(
                tf.gather(self.inventory.labels, tag_ids)).to_tensor(""),
            PROBABILITIES: probabilities.to_tensor(0.0),
        }

    @tf.function(input_signature=[
        tf.TensorSpec([None], tf.string, name=INPUT_OF[SERVE_INVENTORY])], autograph=False)
    def serve_inventory(self, requests: tf.Tensor) -> Dict[str, tf.Tensor]:
        """What the model knows, once per request row (any string): its entity
        types and tags in label-id order, and the scheme of the tags it serves.
        A signature, so TF Serving answers it like any other."""
        rows = tf.size(requests)

        def tiled(values) -> tf.Tensor:
            return tf.tile(tf.constant(list(values), tf.string, shape=[len(values)])[None],
                           [rows, 1])

        return {ENTITY_TYPES: tiled(self.inventory.types),
                TAGS: tiled(self.inventory.labels),
                TAG_SCHEME: tf.fill([rows], INTERNAL_SCHEME),
                TYPE_COUNT: tf.fill([rows], tf.constant(len(self.inventory.types), tf.int64))}


def export(module: NerModule, directory: str) -> None:
    """Saves the signatures with what they use: the classifier and the Transform layer.

    The root saved is not ``module`` itself: TensorFlow would trace its serving
    functions a second time to serialize them as methods, which nobody calls
    (clients call signatures), and restore them on every load; that doubled
    the export's time and the server's load time. The serving functions are
    traced without autograph: their Python branches test settings, not tensors,
    and their loops are explicit TensorFlow loops.
    """
    signatures = {
        SERVE_TEXT: module.serve_text.get_concrete_function(),
        SERVE_WORDS: module.serve_words.get_concrete_function(),
        SERVE_DOCUMENT: module.serve_document.get_concrete_function(),
        SERVE_EXAMPLES: module.serve_examples.get_concrete_function(),
        SERVE_INVENTORY: module.serve_inventory.get_concrete_function(),
    }
    root = tf.Module()
    root.classifier = module.classifier
    root.tft_layer = module.tft_layer
    # Whether neighbours matter to serve_examples: batch callers may reorder rows if not.
    setattr(root, DOCUMENT_CONTEXT, tf.Variable(module.context_length, dtype=tf.int64,
                                                trainable=False, name=DOCUMENT_CONTEXT))
    tf.saved_model.save(root, directory, signatures=signatures)
