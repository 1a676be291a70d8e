"""Tagging schemes: detection per data set, rewriting to IOB2, counted repairs."""

import pytest

from contracts.tag_schemes import (
    AUTO, SchemeEvidence, scheme_name, to_iob2)


def detect(*sentences):
    evidence = SchemeEvidence()
    for tags in sentences:
        evidence.add(tags)
    return evidence.scheme()


@pytest.mark.parametrize("sentences, scheme", [
    ([["B-PER", "I-PER", "O", "B-LOC"]], "IOB2"),
    ([["I-PER", "I-PER", "O", "I-LOC", "B-LOC"]], "IOB1"),
    ([["S-PER", "O", "B-LOC", "E-LOC"]], "IOBES"),
    ([["B-LOC", "I-LOC", "E-LOC"], ["O"]], "IOBES"),
    ([["U-PER", "O", "B-LOC", "L-LOC"]], "BILOU"),
    ([["O", "O"]], "IOB2"),
    # IOB2 with a stray I- opening a chunk is still IOB2 (to be repaired)
    ([["B-PER", "O"], ["O", "I-ORG"]], "IOB2"),
])
def test_the_scheme_is_detected_from_all_sentences(sentences, scheme):
    assert detect(*sentences) == scheme


def test_mixed_iobes_and_bilou_prefixes_are_refused():
    with pytest.raises(ValueError, match="mix IOBES prefixes .*BILOU"):
        detect(["S-PER"], ["U-LOC"])


@pytest.mark.parametrize("scheme, tags, expected", [
    ("IOB2", ["B-PER", "I-PER", "B-PER", "O", "B-LOC"], ["B-PER", "I-PER", "B-PER", "O", "B-LOC"]),
    ("IOB1", ["I-PER", "I-PER", "B-PER", "O", "I-LOC"], ["B-PER", "I-PER", "B-PER", "O", "B-LOC"]),
    ("IOBES", ["S-PER", "B-creative-work", "I-creative-work", "E-creative-work", "S-PER"],
     ["B-PER", "B-creative-work", "I-creative-work", "I-creative-work", "B-PER"]),
    ("BILOU", ["U-PER", "B-LOC", "L-LOC", "O", "U-città"],
     ["B-PER", "B-LOC", "I-LOC", "O", "B-città"]),
])
def test_well_formed_tags_become_iob2_without_repairs(scheme, tags, expected):
    converted = to_iob2(tags, scheme)
    assert list(converted.tags) == expected
    assert converted.repaired == 0
    assert converted.rewritten == (2 if scheme == "IOB1" else 0)


@pytest.mark.parametrize("scheme, tags, expected, repaired", [
    ("IOB2", ["O", "I-PER"], ["O", "B-PER"], 1),                       # no open chunk
    ("IOB2", ["B-PER", "I-LOC"], ["B-PER", "B-LOC"], 1),               # another type
    ("IOBES", ["S-PER", "I-PER"], ["B-PER", "B-PER"], 1),              # S- closed it
    ("IOBES", ["B-PER", "E-PER", "E-PER"], ["B-PER", "I-PER", "B-PER"], 1),
    ("IOBES", ["B-PER", "E-LOC"], ["B-PER", "B-LOC"], 1),
    ("BILOU", ["O", "L-ORG"], ["O", "B-ORG"], 1),
    ("BILOU", ["U-ORG", "I-ORG", "L-ORG"], ["B-ORG", "B-ORG", "I-ORG"], 1),
    ("IOBES", ["B-PER", "O"], ["B-PER", "O"], 0),                      # unclosed: no repair
])
def test_ill_formed_tags_start_a_new_chunk_and_are_counted(scheme, tags, expected, repaired):
    converted = to_iob2(tags, scheme)
    assert list(converted.tags) == expected
    assert converted.repaired == repaired
    assert converted.rewritten == 0


@pytest.mark.parametrize("value, name", [("auto", AUTO), ("IOBES", "IOBES"), ("bioes", "IOBES"),
                                         ("bilou", "BILOU"), ("iob1", "IOB1")])
def test_scheme_names(value, name):
    assert scheme_name(value) == name


def test_an_unknown_scheme_names_the_choices():
    with pytest.raises(ValueError, match="must be auto, iob1, iob2, iobes, bilou or bioes"):
        scheme_name("bio")
