"""The relabelling script behind the own-data benchmark: a copy that reads back
as the same data, whatever the scheme."""

import json

import pytest

from benchmarks.relabel import chunks, encode, relabel
from contracts.conll_format import decode_lines, read_sentences
from components.conll_example_gen.jsonl_format import read_jsonl
from tests.conftest import TINY_TRAIN, write_conll_dir

RENAME = {"PER": "person", "ORG": "corporation", "MISC": "miscelánea", "LOC": "place"}


def test_chunks_follow_conlleval():
    assert chunks(["B-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG"]) == [
        ("PER", 0, 2), ("LOC", 3, 4), ("LOC", 4, 5), ("ORG", 5, 6)]


@pytest.mark.parametrize("scheme, expected", [
    ("iobes", ["B-person", "E-person", "O", "S-place", "S-place"]),
    ("bilou", ["B-person", "L-person", "O", "U-place", "U-place"]),
    ("iob2", ["B-person", "I-person", "O", "B-place", "B-place"]),
])
def test_encode(scheme, expected):
    assert encode(["B-PER", "I-PER", "O", "B-LOC", "B-LOC"], scheme, RENAME) == expected


def read(path, scheme=None):
    return list(read_sentences(decode_lines(path.read_bytes(), str(path)), str(path), scheme))


@pytest.mark.parametrize("scheme", ["iobes", "bilou"])
def test_a_relabelled_copy_reads_back_as_the_renamed_data(tmp_path, scheme):
    source = write_conll_dir(tmp_path / "source", {"train.txt": TINY_TRAIN})
    (written,) = relabel(source, tmp_path / "copy", RENAME, scheme)
    original, copy = read(source / "train.txt"), read(written, scheme.upper())
    assert [s.tokens for s in copy] == [s.tokens for s in original]
    assert [s.document_id for s in copy] == [s.document_id for s in original]
    assert [s.pos_tags for s in copy] == [s.pos_tags for s in original]
    assert [s.ner_tags for s in copy] == [
        tuple(tag[:2] + RENAME[tag[2:]] if tag != "O" else tag for tag in s.ner_tags)
        for s in original]
    assert sum(s.repaired for s in copy) == 0


def test_label_studio_copy_spans_the_same_words(tmp_path):
    source = write_conll_dir(tmp_path / "source", {"train.txt": TINY_TRAIN})
    (written,) = relabel(source, tmp_path / "copy", RENAME, output_format="label-studio")
    assert written.name == "train.jsonl"
    first = json.loads(written.read_text(encoding="utf-8").splitlines()[0])
    assert first["text"] == "EU rejects German call ."
    assert first["label"] == [{"start": 0, "end": 2, "labels": ["corporation"]},
                              {"start": 11, "end": 17, "labels": ["miscelánea"]}]

    def split(texts):
        words = []
        for text in texts:
            position, row = 0, []
            for word in text.split(" "):
                row.append((word, position, position + len(word)))
                position += len(word) + 1
            words.append(row)
        return words

    sentences = list(read_jsonl(decode_lines(written.read_bytes(), str(written)), str(written),
                                split))
    assert sentences[1].ner_tags == ("B-person", "I-person", "O", "B-place")
