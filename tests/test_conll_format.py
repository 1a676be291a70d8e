"""Unit tests for the CoNLL reader: every accepted layout and every error."""

import pytest

from contracts.conll_format import (
    ConllFormatError, SplitStats, decode_lines, read_sentences)


def read(text, source="data/train.txt"):
    return list(read_sentences(decode_lines(text.encode("utf-8"), source), source))


FOUR_COLUMNS = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP B-NP B-LOC
"""


def test_four_columns_with_documents():
    first, second, third = read(FOUR_COLUMNS)
    assert first.tokens == ("EU", "rejects", "German")
    assert first.pos_tags == ("NNP", "VBZ", "JJ")
    assert first.chunk_tags == ("B-NP", "B-VP", "B-NP")
    assert first.ner_tags == ("B-ORG", "O", "B-MISC")
    assert first.first_line == 3
    assert (first.document_id, first.sentence_index) == ("train.txt:0", 0)
    assert (second.document_id, second.sentence_index) == ("train.txt:0", 1)
    assert (third.document_id, third.sentence_index) == ("train.txt:1", 0)


def test_two_columns():
    (sentence,) = read("Peter B-PER\nsings O\n")
    assert sentence.tokens == ("Peter", "sings")
    assert sentence.ner_tags == ("B-PER", "O")
    assert sentence.pos_tags is None and sentence.chunk_tags is None


def test_three_columns_are_token_pos_ner():
    (sentence,) = read("Paris NNP B-LOC\n")
    assert sentence.pos_tags == ("NNP",)
    assert sentence.chunk_tags is None
    assert sentence.ner_tags == ("B-LOC",)


def test_tabs_crlf_trailing_blanks_and_missing_final_newline():
    (sentence,) = read("-DOCSTART-\tO\r\n\r\nEU\tB-ORG  \r\nsays\tO \t")
    assert sentence.tokens == ("EU", "says")
    assert sentence.ner_tags == ("B-ORG", "O")


def test_several_blank_lines_and_no_docstart():
    sentences = read("\n\nA O\n\n\n\nB B-PER\n\n")
    assert [s.tokens for s in sentences] == [("A",), ("B",)]
    assert {s.document_id for s in sentences} == {"train.txt:0"}


def test_docstart_directly_after_a_sentence_closes_it():
    sentences = read("A O\n-DOCSTART- O\nB O\n")
    assert [(s.document_id, s.tokens) for s in sentences] == [
        ("train.txt:0", ("A",)), ("train.txt:1", ("B",))]


def test_iob1_is_rewritten_to_iob2_and_counted():
    (sentence,) = read("U.N. I-ORG\nofficial O\nEkeus I-PER\nheads O\nfor O\n"
                       "Germany I-LOC\nFrance B-LOC\nBaghdad I-LOC\n")
    assert sentence.ner_tags == ("B-ORG", "O", "B-PER", "O", "O", "B-LOC", "B-LOC", "I-LOC")
    assert sentence.retagged == 3


def test_iobes_is_rewritten_and_a_foreign_prefix_names_the_scheme():
    text = "Zoë S-person\nsaw O\nStar B-creative-work\nWars E-creative-work\n"
    (sentence,) = list(read_sentences(text.splitlines(), "t.txt", "IOBES"))
    assert sentence.ner_tags == ("B-person", "O", "B-creative-work", "I-creative-work")
    with pytest.raises(ConllFormatError, match=r"t.txt:1: NER tag 'S-person' is not in the IOB2 scheme"):
        list(read_sentences(text.splitlines(), "t.txt", "IOB2"))


@pytest.mark.parametrize("text, line_number, message", [
    ("EU B-ORG\nrejects VBZ O\n", 2, "expected 2 columns (token ner)"),
    ("EU NNP B-NP B-ORG\nrejects O\n", 2, "expected 4 columns"),
    ("EU\n", 1, "expected 2 (token NER), 3 (token POS NER) or 4"),
    ("A B C D E\n", 1, "found 5"),
    ("A O\n\tO\n", 2, "empty token"),
    ("A O\n  NNP O\n", 2, "empty token"),
    ("EU B_ORG\n", 1, "NER tag 'B_ORG' is not O or <prefix>-<type>"),
    ("EU B-\n", 1, "NER tag 'B-'"),
    ("EU X-ORG\n", 1, "NER tag 'X-ORG'"),
    ("EU o\n", 1, "NER tag 'o'"),
])
def test_errors_name_file_line_and_text(text, line_number, message):
    with pytest.raises(ConllFormatError) as caught:
        read(text)
    error = caught.value
    assert error.source == "data/train.txt"
    assert error.line_number == line_number
    assert message in str(error)
    bad_line = text.splitlines()[line_number - 1].rstrip()
    assert repr(bad_line) in str(error)
    assert str(error).startswith(f"data/train.txt:{line_number}: ")


def test_invalid_utf8_names_the_line():
    data = b"A O\nB\xff O\n"
    with pytest.raises(ConllFormatError, match=r"x\.txt:2: not valid UTF-8"):
        list(read_sentences(decode_lines(data, "x.txt"), "x.txt"))


@pytest.mark.parametrize("text", [FOUR_COLUMNS, "EU B-ORG\r\nsays O\r\n"])
def test_byte_order_mark_is_not_part_of_the_first_token(text):
    with_bom = list(read_sentences(decode_lines(b"\xef\xbb\xbf" + text.encode("utf-8"), "b.txt"),
                                   "b.txt"))
    assert with_bom == list(read_sentences(decode_lines(text.encode("utf-8"), "b.txt"), "b.txt"))
    assert with_bom[0].tokens[0] == "EU"


def test_byte_order_mark_only_counts_at_the_start_of_the_file():
    """Elsewhere U+FEFF is an ordinary (zero-width) character of a token."""
    (sentence,) = read("EU B-ORG\n\ufeffsays O\n")
    assert sentence.tokens == ("EU", "\ufeffsays")


def test_unicode_tokens_keep_their_spaces_and_accents():
    (sentence,) = read("Zürich B-LOC\nsa\u00a0id O\n")
    assert sentence.tokens == ("Zürich", "sa\u00a0id")


def test_split_stats_count_and_merge():
    first, second = SplitStats(), SplitStats()
    first.add(("B-PER", "I-PER", "O", "B-LOC"))
    second.add(("O",))
    second.add(("B-PER",))
    merged = first.merge(second)
    assert (merged.sentences, merged.tokens, merged.entities) == (3, 6, 3)
    assert merged.entities_by_type == {"PER": 2, "LOC": 1}
    assert first.entities_by_type == {"PER": 1, "LOC": 1}
