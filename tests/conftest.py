"""Shared fixtures: where the real CoNLL-2003 files are, and small files written per test."""

import os
import pathlib

import pytest

PROJECT_ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED_CONLL_DIR = pathlib.Path(
    os.environ.get("CONLL_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data" / "conll2003"))

TINY_TRAIN = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER
"""
TINY_EVAL = "BRUSSELS NNP B-NP B-LOC\n1996-08-22 CD I-NP O\n"
TINY_TEST = "-DOCSTART- -X- -X- O\n\nJapan NNP B-NP B-LOC\nwins VBZ B-VP O\n"


@pytest.fixture
def shared_conll_dir() -> pathlib.Path:
    if not (SHARED_CONLL_DIR / "train.txt").exists():
        pytest.fail(f"CoNLL-2003 files not found in {SHARED_CONLL_DIR}; set CONLL_DATA_DIR")
    return SHARED_CONLL_DIR


def write_conll_dir(directory: pathlib.Path, files: dict) -> pathlib.Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
def tiny_conll_dir(tmp_path) -> pathlib.Path:
    return write_conll_dir(tmp_path / "conll", {
        "train.txt": TINY_TRAIN, "valid.txt": TINY_EVAL, "test.txt": TINY_TEST})
