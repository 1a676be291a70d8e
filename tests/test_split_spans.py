"""The script that splits CoNLL-2003 into span folders by document."""

import pytest

from benchmarks.split_spans import documents, split_evenly, split_spans
from components.conll_example_gen.spans import detect_layout
from contracts.spans import NUMBERED
from tests.conftest import TINY_TEST, TINY_TRAIN


def test_documents_start_at_docstart_lines():
    lines = TINY_TRAIN.splitlines(keepends=True) * 2
    assert [len(doc) for doc in documents(lines)] == [len(lines) // 2] * 2
    assert documents(["a O\n", "-DOCSTART- -X- -X- O\n", "b O\n"]) == [
        ["a O\n"], ["-DOCSTART- -X- -X- O\n", "b O\n"]]


def test_runs_are_consecutive_and_near_equal():
    assert split_evenly(list(range(7)), 3) == [[0, 1, 2], [3, 4], [5, 6]]


def test_the_spans_together_are_the_train_file(shared_conll_dir, tmp_path):
    split_spans(shared_conll_dir, tmp_path / "spans", 3)
    train = (shared_conll_dir / "train.txt").read_text(encoding="utf-8")
    parts = [(tmp_path / "spans" / f"span-{i}" / "train.txt").read_text(encoding="utf-8")
             for i in (1, 2, 3)]
    assert "".join(parts) == train
    assert [len(documents(part.splitlines(keepends=True))) for part in parts] == [316, 315, 315]
    assert sorted(path.name for path in (tmp_path / "spans" / "span-3").iterdir()) == [
        "test.txt", "train.txt", "valid.txt"]
    assert not (tmp_path / "spans" / "span-1" / "valid.txt").exists()
    assert detect_layout(str(tmp_path / "spans")) == NUMBERED


def test_documents_limits_every_file(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("train.txt", "valid.txt", "test.txt"):
        (source / name).write_text(TINY_TRAIN + TINY_TEST * 3, encoding="utf-8")
    split_spans(source, tmp_path / "spans", 2, limit=2)
    assert (tmp_path / "spans" / "span-1" / "train.txt").read_text() == TINY_TRAIN
    assert (tmp_path / "spans" / "span-2" / "valid.txt").read_text() == TINY_TRAIN + TINY_TEST
    with pytest.raises(ValueError, match="has 4 documents, fewer than 5 spans"):
        split_spans(source, tmp_path / "more", 5)


def test_held_out_files_can_go_to_their_own_directory(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("train.txt", "valid.txt", "test.txt"):
        (source / name).write_text(TINY_TRAIN + TINY_TEST, encoding="utf-8")
    split_spans(source, tmp_path / "spans", 2, held_out=tmp_path / "held-out")
    assert sorted(path.name for path in (tmp_path / "held-out").iterdir()) == [
        "test.txt", "valid.txt"]
    assert [path.name for path in (tmp_path / "spans" / "span-2").iterdir()] == ["train.txt"]
