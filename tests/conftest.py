"""Shared fixtures: where the real CoNLL-2003 files are, and small files written per test."""

import logging
import os
import pathlib

import pytest

from contracts.inventory import EntityInventory

PROJECT_ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED_CONLL_DIR = pathlib.Path(
    os.environ.get("CONLL_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data" / "conll2003"))

# The inventory ingestion takes from CoNLL-2003's train split (its four types, sorted).
CONLL = EntityInventory.from_types(("PER", "ORG", "LOC", "MISC"))

TINY_TRAIN = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER
in IN B-PP O
Brussels NNP B-NP B-LOC
"""
TINY_EVAL = "BRUSSELS NNP B-NP B-LOC\n1996-08-22 CD I-NP O\n"
TINY_TEST = "-DOCSTART- -X- -X- O\n\nJapan NNP B-NP B-LOC\nwins VBZ B-VP O\n"


@pytest.fixture(autouse=True)
def restore_root_logging():
    """Commands give the root logger a console handler on the stream they see, which
    in a test is pytest's capture, closed after the test: the next test must not
    inherit that handler or its INFO level."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session")
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


MINILM_DIR = PROJECT_ROOT / "models" / "all-MiniLM-L6-v2"


@pytest.fixture(scope="session")
def minilm_dir() -> pathlib.Path:
    if not (MINILM_DIR / "vocab.txt").exists():
        pytest.fail(f"{MINILM_DIR} is missing; run 'make models'")
    return MINILM_DIR


def build_cased_vocab(path: pathlib.Path, corpus_words, size: int = 3000) -> pathlib.Path:
    """A small cased WordPiece vocabulary: specials, every character (also as
    ##suffix), frequent whole words and frequent word endings, so that real
    words split into several pieces and rare characters meet [UNK]."""
    import collections
    words = collections.Counter(corpus_words)
    characters = sorted({char for word in words for char in word})
    endings = collections.Counter(word[-k:] for word in words for k in (2, 3, 4) if len(word) > k)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab += characters + ["##" + char for char in characters]
    vocab += [word for word, _ in words.most_common(size)]
    vocab += ["##" + ending for ending, _ in endings.most_common(size // 3)]
    path.write_text("\n".join(dict.fromkeys(vocab)) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_checkpoint(minilm_dir, tmp_path_factory) -> pathlib.Path:
    """A 2-layer random BERT with MiniLM's uncased vocabulary."""
    from contracts.checkpoint import write_tiny_checkpoint
    directory = tmp_path_factory.mktemp("tiny-bert")
    write_tiny_checkpoint(str(directory), str(minilm_dir))
    return directory


@pytest.fixture(scope="session")
def quick_pipeline(shared_conll_dir, tiny_checkpoint, tmp_path_factory):
    """The whole pipeline, quick profile, on the full shared CoNLL-2003: run once per
    session; its config (pipeline root, serving dir, MLMD) is what tests inspect."""
    from pipeline import local_runner
    from pipeline.config import config_for_profile
    root = tmp_path_factory.mktemp("quick-pipeline")
    config = config_for_profile("quick", data_dir=str(shared_conll_dir),
                                pipeline_root=str(root / "root"),
                                serving_dir=str(root / "serving"),
                                checkpoint=str(tiny_checkpoint))
    local_runner.run(config)
    return config
