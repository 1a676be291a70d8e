"""Unit tests for the annotation-tool JSONL reader: both shapes, every rule and every error.

All but the last tests split words with a small regex splitter, so they run
without TensorFlow; the last ones use the serving pre-tokenizer through
``pretokenize``.
"""

import json
import re

import pytest

from components.conll_example_gen import jsonl_format
from contracts.conll_format import ConllFormatError, decode_lines
from components.conll_example_gen.jsonl_format import JsonlStats, pretokenize, read_jsonl

ZOE = "Zoë Saldaña visitó São Paulo"
ZOE_PER = (0, ZOE.index(" visitó"))
ZOE_LOC = (ZOE.index("São"), len(ZOE))
SAL = ZOE.index("Sal")


def split_simple(texts):
    """Words are runs of word characters; any other non-space character stands alone."""
    return [[(match.group(), match.start(), match.end())
             for match in re.finditer(r"\w+|[^\w\s]", text)] for text in texts]


def read(text, source="data/train.jsonl", split_words=split_simple):
    stats = JsonlStats()
    sentences = list(read_jsonl(decode_lines(text.encode("utf-8"), source), source, split_words,
                                stats))
    return sentences, stats


def jsonl(*records):
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def test_doccano_with_non_ascii_text():
    (sentence,), stats = read(jsonl({"text": ZOE, "label": [[*ZOE_PER, "PER"], [*ZOE_LOC, "LOC"]]}))
    assert sentence.tokens == ("Zoë", "Saldaña", "visitó", "São", "Paulo")
    assert sentence.ner_tags == ("B-PER", "I-PER", "O", "B-LOC", "I-LOC")
    assert (sentence.document_id, sentence.sentence_index, sentence.first_line) == (
        "train.jsonl:1", 0, 1)
    assert (sentence.pos_tags, sentence.chunk_tags, sentence.retagged) == (None, None, 0)
    assert stats == JsonlStats(records=1, skipped_without_words=0, spans=2, misaligned_spans=0)


def test_older_doccano_labels_key():
    (sentence,), _ = read(jsonl({"id": 7, "text": ZOE, "labels": [[*ZOE_LOC, "LOC"]]}))
    assert sentence.ner_tags == ("O", "O", "O", "B-LOC", "I-LOC")


def test_label_studio_json_min():
    text = "Der Ausflug nach São Paulo, Brasilien"
    label = [
        {"start": text.index("São"), "end": text.index(","), "text": "São Paulo",
         "labels": ["Ort-Stadt"]},
        {"start": text.index("Brasilien"), "end": len(text), "labels": ["LÄNDER"], "id": "x1"},
    ]
    (sentence,), stats = read(jsonl({"id": 3, "text": text, "label": label, "annotator": 1}))
    assert sentence.tokens == ("Der", "Ausflug", "nach", "São", "Paulo", ",", "Brasilien")
    assert sentence.ner_tags == ("O", "O", "O", "B-Ort-Stadt", "I-Ort-Stadt", "O", "B-LÄNDER")
    assert stats.spans == 2


def test_adjacent_spans_of_one_type_stay_two_entities():
    text = "Paris London"
    (sentence,), _ = read(jsonl({"text": text, "label": [[0, 5, "LOC"], [6, 12, "LOC"]]}))
    assert sentence.ner_tags == ("B-LOC", "B-LOC")


@pytest.mark.parametrize("record", [{"text": ZOE}, {"text": ZOE, "label": []},
                                    {"text": ZOE, "labels": []}])
def test_no_labels_means_all_o(record):
    (sentence,), _ = read(jsonl(record))
    assert sentence.ner_tags == ("O",) * 5


def test_blank_lines_are_skipped_and_lines_keep_their_numbers():
    text = "\r\n" + jsonl({"text": "a b"}).replace("\n", "\r\n") + "  \n\n" + jsonl({"text": "c"})
    sentences, stats = read(text, source="C:\\data\\dev.jsonl")
    assert [(s.document_id, s.first_line, s.tokens) for s in sentences] == [
        ("dev.jsonl:2", 2, ("a", "b")), ("dev.jsonl:5", 5, ("c",))]
    assert stats.records == 2


def test_a_line_separator_inside_the_text_is_white_space_not_a_line_end():
    (sentence,), _ = read(jsonl({"text": "Paris\u2028London", "label": [[6, 12, "LOC"]]}))
    assert sentence.tokens == ("Paris", "London")
    assert sentence.ner_tags == ("O", "B-LOC")


def test_records_without_words_are_skipped_and_counted():
    sentences, stats = read(jsonl({"text": ""}, {"text": " \t "}, {"text": "a"}, {"text": "\n"}))
    assert [s.first_line for s in sentences] == [3]
    assert (stats.records, stats.skipped_without_words) == (4, 3)


def test_spans_that_cut_words_cover_them_and_are_counted():
    text = "Zoë Saldaña visitó"
    sal = text.index("Sal")
    spans = [[1, 2, "PER"], [sal, sal + 3, "PER"], [text.index("isitó"), len(text), "X"]]
    (sentence,), stats = read(jsonl({"text": text, "label": spans}))
    assert sentence.ner_tags == ("B-PER", "B-PER", "B-X")
    assert stats.misaligned_spans == 3


def test_spans_with_white_space_or_whole_words_around_are_not_misaligned():
    text = "See Paris. Then"
    spans = [[3, 11, "LOC"]]  # " Paris. ": white space, "Paris" and "."
    (sentence,), stats = read(jsonl({"text": text, "label": spans}))
    assert sentence.ner_tags == ("O", "B-LOC", "I-LOC", "O")
    assert stats.misaligned_spans == 0


def test_each_misaligned_span_counts():
    records = [{"text": "Saldaña", "label": [[start, end, "PER"]]}
               for start, end in [(0, 3), (2, 7), (0, 7)]]
    sentences, stats = read(jsonl(*records))
    assert [s.ner_tags for s in sentences] == [("B-PER",)] * 3
    assert stats.misaligned_spans == 2



@pytest.mark.parametrize("line, message", [
    ('{"text": "a"', "not valid JSON (Expecting ',' delimiter"),
    ("not json", "not valid JSON"),
    ('["a", 1]', "expected a JSON object, found list"),
    ('"a"', "expected a JSON object, found str"),
    ('{"label": []}', 'missing "text"'),
    ('{"text": null}', '"text" is null, not a string'),
    ('{"text": ["a"]}', '"text" is ["a"], not a string'),
    ('{"text": 5, "label": []}', '"text" is 5, not a string'),
    ('{"text": "a\\ud800b"}', '"text" has an unpaired surrogate at character 1'),
    ('{"text": "a", "label": [], "labels": []}', 'more than one list of spans given: label, labels'),
    ('{"text": "a", "label": "PER"}', '"label" is not a list'),
    ('{"text": "a", "labels": {"start": 0}}', '"labels" is not a list'),
    ('{"text": "ab", "label": [[0, 1]]}', "span [0, 1] is neither [start, end, type] nor"),
    ('{"text": "ab", "label": [[0, 1, "A", "B"]]}', "is neither"),
    ('{"text": "ab", "label": ["PER"]}', 'span "PER" is neither'),
    ('{"text": "ab", "label": [{"start": 0, "end": 1, "label": "A"}]}', "is neither"),
    ('{"text": "ab", "label": [{"start": 0, "end": 1, "labels": ["A", "B"]}]}',
     'must have exactly one label in "labels"'),
    ('{"text": "ab", "label": [{"start": 0, "end": 1, "labels": []}]}', "exactly one label"),
    ('{"text": "ab", "label": [{"start": 0, "end": 1, "labels": "A"}]}', "exactly one label"),
    ('{"text": "ab", "label": [[0.0, 1, "A"]]}', "span offsets 0.0, 1 are not integers"),
    ('{"text": "ab", "label": [[0, "1", "A"]]}', "span offsets 0, '1' are not integers"),
    ('{"text": "ab", "label": [[false, true, "A"]]}', "are not integers"),
    ('{"text": "ab", "label": [{"start": 0, "end": null, "labels": ["A"]}]}',
     "span offsets 0, None are not integers"),
    ('{"text": "ab", "label": [[-1, 1, "A"]]}', "span [-1, 1) is out of range for a text of 2"),
    ('{"text": "ab", "label": [[0, 3, "A"]]}', "span [0, 3) is out of range"),
    ('{"text": "ab", "label": [[1, 1, "A"]]}', "span [1, 1) is out of range"),
    ('{"text": "ab", "label": [[2, 1, "A"]]}', "span [2, 1) is out of range"),
    ('{"text": "", "label": [[0, 1, "A"]]}', "span [0, 1) is out of range for a text of 0"),
    ('{"text": "ab", "label": [[0, 2, ""]]}', "span [0, 2) has type ''; a type is a non-empty"),
    ('{"text": "ab", "label": [[0, 2, "NEW YORK"]]}', "has type 'NEW YORK'"),
    ('{"text": "ab", "label": [[0, 2, "PER\\t"]]}', "has type 'PER\\t'"),
    ('{"text": "ab", "label": [[0, 2, 5]]}', "has type 5"),
    ('{"text": "ab", "label": [{"start": 0, "end": 2, "labels": [null]}]}', "has type None"),
    ('{"text": "ab cd", "label": [{"start": 0, "end": 2, "text": "cd", "labels": ["A"]}]}',
     "span [0, 2) says its text is 'cd' but the text there is 'ab'"),
    ('{"text": "a   b", "label": [[1, 4, "A"]]}', "span [1, 4) A covers no word"),
    ('{"text": "   ", "label": [[0, 3, "A"]]}', "span [0, 3) A covers no word"),
    ('{"text": "Hans Peter Kurz", "label": [[0, 10, "PER"], [5, 15, "ORG"]]}',
     "spans [0, 10) PER and [5, 15) ORG overlap"),
    ('{"text": "Hans Peter", "label": [[5, 10, "PER"], [0, 10, "PER"]]}',
     "spans [0, 10) PER and [5, 10) PER overlap"),
    ('{"text": "Hans", "label": [[0, 4, "PER"], [0, 4, "PER"]]}',
     "spans [0, 4) PER and [0, 4) PER overlap"),
    (json.dumps({"text": ZOE, "label": [[SAL, SAL + 3, "PER"], [SAL + 3, SAL + 7, "ORG"]]},
                ensure_ascii=False),
     f"spans [{SAL}, {SAL + 3}) PER and [{SAL + 3}, {SAL + 7}) ORG overlap once widened to "
     f"whole words"),
])
def test_errors_name_file_line_and_text(line, message):
    text = jsonl({"text": "fine"}) + "\n" + line + "\n" + jsonl({"text": "never read"})
    with pytest.raises(ConllFormatError) as caught:
        read(text)
    error = caught.value
    assert (error.source, error.line_number) == ("data/train.jsonl", 3)
    assert message in error.problem
    shown = line if len(line) <= 80 else line[:77] + "..."
    assert str(error) == f"data/train.jsonl:3: {error.problem}: {shown!r}"


def test_long_lines_are_shortened_in_errors():
    line = json.dumps({"text": "word " * 100, "label": [[0, 4, "A"], [2, 9, "B"]]})
    with pytest.raises(ConllFormatError) as caught:
        read(line + "\n")
    shown = line[:77] + "..."
    assert str(caught.value) == (
        f"data/train.jsonl:1: spans [0, 4) A and [2, 9) B overlap: {shown!r}")


def test_errors_come_in_line_order_after_the_sentences_before_them(monkeypatch):
    monkeypatch.setattr(jsonl_format, "BATCH_SIZE", 4)
    text = jsonl({"text": "a"}, {"text": "b"}, {"text": "a b", "label": [[0, 3, "A"], [2, 3, "B"]]})
    lines = decode_lines((text + "{broken\n").encode("utf-8"), "x.jsonl")
    sentences = read_jsonl(lines, "x.jsonl", split_simple)
    assert [next(sentences).tokens, next(sentences).tokens] == [("a",), ("b",)]
    with pytest.raises(ConllFormatError, match=r"^x\.jsonl:3: spans \[0, 3\) A and \[2, 3\) B"):
        next(sentences)


def test_texts_go_to_the_splitter_in_batches(monkeypatch):
    monkeypatch.setattr(jsonl_format, "BATCH_SIZE", 2)
    batches = []

    def recording_splitter(texts):
        batches.append(list(texts))
        return split_simple(texts)

    sentences, _ = read(jsonl(*({"text": f"t{i}"} for i in range(5))),
                        split_words=recording_splitter)
    assert batches == [["t0", "t1"], ["t2", "t3"], ["t4"]]
    assert [s.tokens for s in sentences] == [("t0",), ("t1",), ("t2",), ("t3",), ("t4",)]
    assert read("", split_words=recording_splitter) == ([], JsonlStats())
    assert len(batches) == 3


# The serving pre-tokenizer (TensorFlow) as the word splitter.

def test_pretokenize_gives_conll_words_with_character_offsets():
    texts = ["Merkel visited Paris.", "It cost $57,600.", ZOE + ".", "👍🏽 Zoë’s US$5", "", " "]
    words = pretokenize(texts)
    assert [[word for word, _, _ in row] for row in words] == [
        ["Merkel", "visited", "Paris", "."],
        ["It", "cost", "$", "57,600", "."],
        ["Zoë", "Saldaña", "visitó", "São", "Paulo", "."],
        ["👍🏽", "Zoë", "’s", "US$", "5"],
        [], []]
    for text, row in zip(texts, words):
        assert all(text[start:end] == word for word, start, end in row), row
    assert words[2][-1] == (".", len(ZOE), len(ZOE) + 1)
    assert words[3][1:3] == [("Zoë", 3, 6), ("’s", 6, 8)]


def test_read_jsonl_with_the_pre_tokenizer():
    text = "Merkel visited Paris, Zoë Saldaña paid US$5."
    records = [
        {"text": text, "label": [[0, 6, "PER"], [15, 20, "LOC"],
                                 [text.index("Zoë"), text.index(" paid"), "PER"]]},
        {"text": "It cost $57,600.", "label": [{"start": 8, "end": 15, "labels": ["MONEY"]}]},
        {"text": "   "},
    ]
    sentences, stats = read(jsonl(*records), split_words=pretokenize)
    assert [list(zip(s.tokens, s.ner_tags)) for s in sentences] == [
        [("Merkel", "B-PER"), ("visited", "O"), ("Paris", "B-LOC"), (",", "O"), ("Zoë", "B-PER"),
         ("Saldaña", "I-PER"), ("paid", "O"), ("US$", "O"), ("5", "O"), (".", "O")],
        [("It", "O"), ("cost", "O"), ("$", "B-MONEY"), ("57,600", "I-MONEY"), (".", "O")]]
    assert stats == JsonlStats(records=3, skipped_without_words=1, spans=4, misaligned_spans=0)


def test_newer_doccano_entities_with_offsets():
    (sentence,), _ = read(jsonl({"text": ZOE, "entities": [
        {"id": 3, "label": "LOC", "start_offset": ZOE_LOC[0], "end_offset": ZOE_LOC[1]}]}))
    assert sentence.ner_tags == ("O", "O", "O", "B-LOC", "I-LOC")
