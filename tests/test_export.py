"""The exported serving graph with a classifier whose outputs are known.

A rule classifier (a fixed label per vocabulary piece, as one-hot logits) is
wrapped in the real NerModule with a real tf.Transform graph of MiniLM's
vocabulary, exported and loaded back, so every word, tag, entity and offset
can be asserted exactly: the random tiny model of the pipeline test may
predict no entity at all.
"""

import dataclasses
import functools

import pytest
import tensorflow as tf
import tensorflow_transform as tft
import tensorflow_transform.beam as tft_beam
from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils

from contracts import features
from contracts.checkpoint import resolve_checkpoint
from contracts.inventory import INVENTORY_LABELS_KEY, served_inventory
from modules.trainer import export
from tests.graph_ops import SERVING_SAFE_OPS, non_core_ops
from modules.transform.preprocessing import preprocessing_fn
from modules.transform.tokenization import CASINGS, read_special_ids
from tests.conftest import CONLL

# First piece of a word (MiniLM is uncased and strips accents) -> its tag;
# Merkel and Macron are mer ##kel and macro ##n.
RULES = {"angela": "B-PER", "mer": "I-PER", "emmanuel": "B-PER", "macro": "I-PER",
         "paris": "B-LOC", "berlin": "B-LOC", "rome": "B-LOC", "u": "B-LOC",
         "reuters": "B-ORG", "department": "B-ORG", "of": "I-ORG", "state": "I-ORG",
         "zurich": "B-LOC", "japan": "B-LOC", "東": "B-LOC", "京": "I-LOC", "cafe": "B-ORG"}
WINDOW = 8  # pieces per window, [CLS] and [SEP] included: long sentences need several


class RuleClassifier(tf.Module):
    """Logits that put each piece on the label RULES gives it (O otherwise)."""

    def __init__(self, vocab_file: str, window: int = WINDOW):
        super().__init__()
        with open(vocab_file, encoding="utf-8") as handle:
            self.vocab = [line.rstrip("\n") for line in handle]
        labels = [CONLL.label_to_id.get(RULES.get(piece, "O")) for piece in self.vocab]
        self.label_of_piece = tf.constant(labels, tf.int64)
        self.window = window

    def labels(self, input_ids):
        return tf.gather(self.label_of_piece, input_ids)

    def __call__(self, inputs, training=False):
        """Like a real model unsure of a chunk's start, an I-X piece also leans to B-X."""
        del training
        tf.debugging.assert_less_equal(tf.shape(inputs["input_ids"])[1], self.window)
        labels = self.labels(inputs["input_ids"])
        inside = (labels > 0) & (labels % 2 == 0)
        return (10.0 * tf.one_hot(labels, len(CONLL.labels))
                + 5.0 * tf.one_hot(tf.where(inside, labels - 1, -1), len(CONLL.labels)))


class ContextClassifier(RuleClassifier):
    """RULES, except that "jordan" is B-PER in a window that mentions
    basketball and B-LOC elsewhere: only context can tell them apart."""

    def labels(self, input_ids):
        jordan = tf.equal(input_ids, self.vocab.index("jordan"))
        sport = tf.reduce_any(tf.equal(input_ids, self.vocab.index("basketball")), axis=1)
        person = tf.where(sport[:, None], CONLL.label_to_id["B-PER"],
                          CONLL.label_to_id["B-LOC"])
        return tf.where(jordan, tf.cast(person, tf.int64), super().labels(input_ids))


class CasingClassifier(tf.Module):
    """Tags by the casing ids the graph hands over: B-ORG on words in capitals,
    B-PER on title-case words, O elsewhere (the words' pieces do not matter)."""

    window = 16

    def __call__(self, inputs, training=False):
        del training
        casing = inputs["casing"]
        labels = tf.where(casing == CASINGS.index("upper"), CONLL.label_to_id["B-ORG"],
                          tf.where(casing == CASINGS.index("title"),
                                   CONLL.label_to_id["B-PER"], CONLL.label_to_id["O"]))
        return 10.0 * tf.one_hot(labels, len(CONLL.labels))


@pytest.fixture(scope="module")
def transform_output(minilm_dir, tmp_path_factory) -> tft.TFTransformOutput:
    """A real transform graph: preprocessing_fn analysed and written by tf.Transform."""
    checkpoint = resolve_checkpoint(str(minilm_dir))
    spec = {features.TOKENS: tf.io.VarLenFeature(tf.string),
            features.NER_TAGS: tf.io.VarLenFeature(tf.string)}
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec(spec))
    output_dir = str(tmp_path_factory.mktemp("transform_graph"))
    with tft_beam.Context(temp_dir=str(tmp_path_factory.mktemp("tft_tmp"))):
        transform_fn = (([{features.TOKENS: ["EU"], features.NER_TAGS: ["B-ORG"]}], metadata)
                        | tft_beam.AnalyzeDataset(functools.partial(
                            preprocessing_fn, custom_config={
                                **dataclasses.asdict(checkpoint),
                                INVENTORY_LABELS_KEY: list(CONLL.labels)})))
        _ = transform_fn | tft_beam.WriteTransformFn(output_dir)
    return tft.TFTransformOutput(output_dir)


def export_and_load(classifier, transform_output, vocab_file, directory, context_length=0,
                    decoding="viterbi"):
    module = export.NerModule(export.ServedClassifier(classifier),
                              transform_output.transform_features_layer(), classifier.window,
                              read_special_ids(vocab_file).pad, CONLL,
                              context_length, decoding=decoding)
    export.export(module, str(directory))
    return directory, tf.saved_model.load(str(directory))


@pytest.fixture(scope="module")
def served(transform_output, minilm_dir, tmp_path_factory):
    vocab_file = str(minilm_dir / "vocab.txt")
    return export_and_load(RuleClassifier(vocab_file), transform_output, vocab_file,
                           tmp_path_factory.mktemp("exported") / "1")


@pytest.fixture(scope="module", params=[0, 16], ids=["no-context", "context"])
def served_in_context(request, transform_output, minilm_dir, tmp_path_factory):
    """The context rule wrapped without and with document context (16 pieces)."""
    vocab_file = str(minilm_dir / "vocab.txt")
    served = export_and_load(ContextClassifier(vocab_file, window=16), transform_output,
                             vocab_file, tmp_path_factory.mktemp("in_context") / "1",
                             request.param)
    return request.param, served


def tag_text(served, texts):
    """serving_default's outputs, unpadded, as Python values per sentence."""
    outputs = served[1].signatures[export.SERVE_TEXT](sentences=tf.constant(texts, tf.string))
    return unpad(outputs)


def unpad(outputs):
    results = []
    for row, (words, entities) in enumerate(zip(outputs["word_count"].numpy(),
                                                outputs["entity_count"].numpy())):
        def column(key, count, row=row):
            values = outputs[key].numpy()[row, :count].tolist()
            return [v.decode("utf-8") if isinstance(v, bytes) else v for v in values]
        results.append({
            "words": column("words", words), "tags": column("tags", words),
            "offsets": list(zip(column("word_starts", words), column("word_ends", words))),
            "entities": list(zip(column("entity_types", entities),
                                 column("entity_texts", entities),
                                 column("entity_starts", entities),
                                 column("entity_ends", entities)))})
    return results


def assert_offsets_exact(text, result):
    for word, (start, end) in zip(result["words"], result["offsets"]):
        assert text[start:end] == word
    for _, entity_text, start, end in result["entities"]:
        assert text[start:end] == entity_text


@pytest.mark.parametrize("text, words, entities", [
    ("Angela Merkel met Emmanuel Macron in Paris.",
     ["Angela", "Merkel", "met", "Emmanuel", "Macron", "in", "Paris", "."],
     [("PER", "Angela Merkel", 0, 13), ("PER", "Emmanuel Macron", 18, 33),
      ("LOC", "Paris", 37, 42)]),
    ("I flew to Berlin, then to Rome.",
     ["I", "flew", "to", "Berlin", ",", "then", "to", "Rome", "."],
     [("LOC", "Berlin", 10, 16), ("LOC", "Rome", 26, 30)]),
    ("He works for the U.S. Department of State.",
     ["He", "works", "for", "the", "U.S.", "Department", "of", "State", "."],
     [("LOC", "U.S.", 17, 21), ("ORG", "Department of State", 22, 41)]),
    ("(Reuters) Berlin, Rome and the U.S.",
     ["(", "Reuters", ")", "Berlin", ",", "Rome", "and", "the", "U.S."],
     [("ORG", "Reuters", 1, 8), ("LOC", "Berlin", 10, 16), ("LOC", "Rome", 18, 22),
      ("LOC", "U.S.", 31, 35)]),
    ('He said "Japan won 2-1" today!',
     ["He", "said", '"', "Japan", "won", "2-1", '"', "today", "!"],
     [("LOC", "Japan", 9, 14)]),
    ("O'Neill's e-mail: x@y.com; ok?",
     ["O'Neill", "'s", "e-mail", ":", "x@y.com", ";", "ok", "?"], []),
    # Non-ASCII: an accent (stripped by the uncased vocabulary, kept in the
    # output), a typographic possessive and a double space.
    ("Zürich’s FC  won.", ["Zürich", "’s", "FC", "won", "."], [("LOC", "Zürich", 0, 6)]),
    # CJK, an emoji and a combining accent: offsets count code points.
    ("東京 😀 Cafe\u0301 .", ["東京", "😀", "Cafe\u0301", "."],
     [("LOC", "東京", 0, 2), ("ORG", "Cafe\u0301", 5, 10)]),
    # Odd white space: tabs, no-break space, line breaks, leading and trailing.
    ("\t Paris\u00a0\u00a0is\r\nnice \u2003", ["Paris", "is", "nice"],
     [("LOC", "Paris", 2, 7)]),
    # Already CoNLL-tokenized text passes through unchanged.
    ("EU rejects German call to boycott British lamb .",
     ["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."], []),
])
def test_serving_default_words_tags_entities_and_offsets(served, text, words, entities):
    (result,) = tag_text(served, [text])
    assert result["words"] == words
    assert result["entities"] == entities
    assert_offsets_exact(text, result)


def test_a_sentence_longer_than_a_window_gets_a_tag_for_every_word(served):
    words = ["Paris", "and", "Rome", "ok"] * 15  # 60 words in windows of 6 pieces
    (result,) = tag_text(served, [" ".join(words)])
    expected = {"Paris": "B-LOC", "Rome": "B-LOC", "and": "O", "ok": "O"}
    assert result["tags"] == [expected[word] for word in words]
    assert len(result["entities"]) == 30
    assert_offsets_exact(" ".join(words), result)


def test_empty_batch_and_empty_sentences(served):
    assert tag_text(served, []) == []
    assert tag_text(served, ["", "   "]) == [
        {"words": [], "tags": [], "offsets": [], "entities": []}] * 2


def test_a_batch_mixes_lengths_and_keeps_rows_apart(served):
    texts = ["Berlin.", "", "Merkel visited Paris."]
    results = tag_text(served, texts)
    assert [result["words"] for result in results] == [
        ["Berlin", "."], [], ["Merkel", "visited", "Paris", "."]]
    assert [[entity[1] for entity in result["entities"]] for result in results] == [
        ["Berlin"], [], ["Merkel", "Paris"]]


def test_serve_words_tags_the_words_given(served):
    outputs = served[1].signatures[export.SERVE_WORDS](
        words=tf.constant([["Merkel", "visited", "Paris."], ["Rome", "", ""]]),
        word_count=tf.constant([3, 1], tf.int64))
    first, second = unpad(outputs)
    assert first["words"] == ["Merkel", "visited", "Paris."]  # the client's words, as given
    assert first["offsets"] == [(0, 6), (7, 14), (15, 21)]
    assert first["entities"] == [("PER", "Merkel", 0, 6), ("LOC", "Paris.", 15, 21)]
    assert second["entities"] == [("LOC", "Rome", 0, 4)]


def test_serve_words_refuses_a_count_beyond_the_words(served):
    with pytest.raises(tf.errors.InvalidArgumentError, match="word_count"):
        served[1].signatures[export.SERVE_WORDS](
            words=tf.constant([["Rome"]]), word_count=tf.constant([2], tf.int64))


def test_exported_graph_uses_only_serving_safe_ops(served, served_in_context):
    assert non_core_ops(str(served[0])) <= SERVING_SAFE_OPS
    assert non_core_ops(str(served_in_context[1][0])) <= SERVING_SAFE_OPS


def tag_documents(served, documents):
    outputs = served[1].signatures[export.SERVE_DOCUMENT](
        documents=tf.constant(documents, tf.string))
    return unpad(outputs)


def test_serve_document_tags_every_line_with_offsets_into_the_document(served):
    document = "Angela Merkel met Emmanuel Macron in Paris.\n\nI flew to Berlin, then to Rome."
    (result,) = tag_documents(served, [document])
    assert result["words"] == ["Angela", "Merkel", "met", "Emmanuel", "Macron", "in", "Paris",
                               ".", "I", "flew", "to", "Berlin", ",", "then", "to", "Rome", "."]
    assert result["entities"] == [
        ("PER", "Angela Merkel", 0, 13), ("PER", "Emmanuel Macron", 18, 33),
        ("LOC", "Paris", 37, 42), ("LOC", "Berlin", 55, 61), ("LOC", "Rome", 71, 75)]
    assert_offsets_exact(document, result)


def test_serve_document_entities_never_cross_a_line(served):
    # "of State" alone is I-ORG I-ORG: an entity of its own, not the tail of "Department".
    document = "The Department\nof State.\r\nZürich’s  東京"
    (result,) = tag_documents(served, [document])
    assert result["entities"] == [("ORG", "Department", 4, 14), ("ORG", "of State", 15, 23),
                                  ("LOC", "Zürich", 26, 32), ("LOC", "東京", 36, 38)]
    assert_offsets_exact(document, result)


def test_serve_document_empty_batch_documents_and_lines(served):
    assert tag_documents(served, []) == []
    assert tag_documents(served, ["", "\n\n", "Rome\n"]) == [
        {"words": [], "tags": [], "offsets": [], "entities": []}] * 2 + [
        {"words": ["Rome"], "tags": ["B-LOC"], "offsets": [(0, 4)],
         "entities": [("LOC", "Rome", 0, 4)]}]


def test_document_context_reaches_the_model_only_when_trained_with_it(served_in_context):
    context_length, served = served_in_context
    in_context = "PER" if context_length else "LOC"
    (document,) = tag_documents(served, ["Jordan won.\nHe plays basketball."])
    assert document["entities"] == [(in_context, "Jordan", 0, 6)]
    (alone,) = tag_text(served, ["Jordan won."])
    assert alone["entities"] == [("LOC", "Jordan", 0, 6)]


def serialized(tokens, document_id=None):
    feature = {features.TOKENS: tf.train.Feature(bytes_list=tf.train.BytesList(
        value=[token.encode() for token in tokens]))}
    if document_id is not None:
        feature[features.DOCUMENT_ID] = tf.train.Feature(
            bytes_list=tf.train.BytesList(value=[document_id.encode()]))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def test_serve_examples_joins_consecutive_examples_of_a_document(served_in_context):
    context_length, served = served_in_context
    examples = [serialized(["Jordan", "won"], "d1"), serialized(["basketball"], "d1"),
                serialized(["Jordan", "won"], "d2"), serialized(["Jordan"]),
                serialized(["basketball"])]
    outputs = served[1].signatures[export.SERVE_EXAMPLES](examples=tf.constant(examples))
    first_tags = [row[0].decode() for row in outputs["tags"].numpy()]
    assert first_tags == ["B-PER" if context_length else "B-LOC", "O", "B-LOC", "B-LOC", "O"]
    assert outputs["word_count"].numpy().tolist() == [2, 1, 2, 1, 1]


@pytest.mark.parametrize("context_length", [0, 16], ids=["no-context", "context"])
def test_every_signature_hands_the_words_casing_to_the_classifier(
        context_length, transform_output, minilm_dir, tmp_path):
    vocab_file = str(minilm_dir / "vocab.txt")
    served = export_and_load(CasingClassifier(), transform_output,
                             vocab_file, tmp_path / "1", context_length)
    # "US" and "us" are the same pieces to the uncased vocabulary.
    text = "the US told us Kournikova , ÉTATS-UNIS and iPhone won ."
    expected = ["O", "B-ORG", "O", "O", "B-PER", "O", "B-ORG", "O", "O", "O", "O"]
    (tagged,) = tag_text(served, [text])
    assert tagged["tags"] == expected
    (document,) = tag_documents(served, [text + "\n" + text])
    assert document["tags"] == expected * 2
    examples = served[1].signatures[export.SERVE_EXAMPLES](
        examples=tf.constant([serialized(text.split(), "d")] * 2))
    assert [[tag.decode() for tag in row] for row in examples["tags"].numpy()] == [expected] * 2


def test_serve_inventory_lists_the_types_and_tags_in_label_id_order(served):
    answer = served[1].signatures[export.SERVE_INVENTORY](requests=tf.constant(["", "x"]))
    assert [[t.decode() for t in row] for row in answer["entity_types"].numpy()] == [
        list(CONLL.types)] * 2
    assert [t.decode() for t in answer["tags"].numpy()[0]] == list(CONLL.labels)
    assert answer["tag_scheme"].numpy().tolist() == [b"IOB2", b"IOB2"]
    assert served_inventory(served[1]) == CONLL


def iob2_valid(tags):
    return all(not tag.startswith("I-") or previous[2:] == tag[2:]
               for previous, tag in zip(["O"] + tags, tags))


def test_viterbi_serves_only_well_formed_tags_where_argmax_would_not(
        served, transform_output, minilm_dir, tmp_path):
    """The rule puts "Merkel" and "Macron" on I-PER with no B-PER before them."""
    texts = ["Merkel met Macron of Reuters in Paris.", "Of state"]
    vocab_file = str(minilm_dir / "vocab.txt")
    argmax = export_and_load(RuleClassifier(vocab_file), transform_output, vocab_file,
                             tmp_path / "argmax", decoding="argmax")
    per_word = tag_text(argmax, texts)
    assert per_word[0]["tags"][0] == "I-PER" and not iob2_valid(per_word[0]["tags"])
    constrained = tag_text(served, texts)
    for result in constrained:
        assert iob2_valid(result["tags"])
    assert constrained[0]["tags"][-2] == "B-LOC"  # unambiguous words keep their tag
    examples = [tf.train.Example(features=tf.train.Features(feature={features.TOKENS: (
        tf.train.Feature(bytes_list=tf.train.BytesList(value=[w.encode() for w in words])))}))
        .SerializeToString() for words in (["Merkel", "met", "Macron"],)]
    outputs = served[1].signatures[export.SERVE_EXAMPLES](examples=tf.constant(examples))
    assert iob2_valid([t.decode() for t in outputs["tags"].numpy()[0]])
