"""Checkpoint resolution: local directories, casing from the checkpoint, clear failures."""

import json

import pytest

from contracts.checkpoint import CheckpointNotFoundError, resolve_checkpoint, write_tiny_checkpoint


def test_missing_checkpoint_says_what_was_tried(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CheckpointNotFoundError) as caught:
        resolve_checkpoint(str(tmp_path / "no-such-model"))
    message = str(caught.value)
    assert str(tmp_path / "no-such-model") in message
    assert "Hugging Face Hub" in message
    assert "--checkpoint models/all-MiniLM-L6-v2" in message


def test_unknown_hub_name_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CheckpointNotFoundError, match="'bert-base-cased' not found"):
        resolve_checkpoint("bert-base-cased")


def test_directory_without_vocab(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(CheckpointNotFoundError, match="has no vocab.txt"):
        resolve_checkpoint(str(tmp_path))


def test_casing_comes_from_tokenizer_config(tmp_path):
    (tmp_path / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n")
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": False}))
    (tmp_path / "config.json").write_text(json.dumps({"max_position_embeddings": 128}))
    checkpoint = resolve_checkpoint(str(tmp_path))
    assert (checkpoint.lower_case, checkpoint.strip_accents, checkpoint.max_positions) == (
        False, False, 128)


def test_minilm_is_uncased(minilm_dir):
    checkpoint = resolve_checkpoint(str(minilm_dir))
    assert checkpoint.lower_case and checkpoint.strip_accents and checkpoint.max_positions == 512


def test_tiny_checkpoint_shares_vocab_and_casing(tmp_path, minilm_dir):
    tiny = write_tiny_checkpoint(str(tmp_path / "tiny"), str(minilm_dir))
    assert tiny.lower_case
    assert (tmp_path / "tiny" / "vocab.txt").read_text() == (minilm_dir / "vocab.txt").read_text()
