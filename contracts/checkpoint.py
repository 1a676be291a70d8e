"""Finds a BERT checkpoint and reads what tokenization needs from it.

A checkpoint is named like transformers names it: a local directory (the
offline MiniLM under models/, a tiny test checkpoint) or a Hugging Face Hub
id such as ``bert-base-cased`` for users with network. Vocabulary, casing and
the position limit come from the checkpoint's own files, never constants.
"""

import dataclasses
import json
import pathlib
from typing import Any, Dict

HUB_FILES = ["config.json", "vocab.txt", "tokenizer_config.json", "*.safetensors", "*.h5"]


class CheckpointNotFoundError(FileNotFoundError):
    """No checkpoint under that name; the message says what was tried."""


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    directory: str
    vocab_file: str
    lower_case: bool
    strip_accents: bool
    max_positions: int


def _read_json(path: pathlib.Path) -> Dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def _download(hub_id: str) -> pathlib.Path:
    from huggingface_hub import snapshot_download  # only users with network get here
    return pathlib.Path(snapshot_download(hub_id, allow_patterns=HUB_FILES))


def resolve_checkpoint(name_or_path: str) -> Checkpoint:
    """Local directory first, then the Hub; fails fast naming both attempts."""
    directory = pathlib.Path(name_or_path).expanduser()
    if not directory.is_dir():
        try:
            directory = _download(name_or_path)
        except Exception as error:  # pylint: disable=broad-except
            raise CheckpointNotFoundError(
                f"Checkpoint '{name_or_path}' not found. Tried the local directory "
                f"{directory.resolve()} (does not exist) and the Hugging Face Hub "
                f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}). "
                f"Without network, pass a local checkpoint directory, e.g. "
                f"--checkpoint models/all-MiniLM-L6-v2 (created by 'make models').") from None
    vocab_file = directory / "vocab.txt"
    if not vocab_file.exists():
        raise CheckpointNotFoundError(f"Checkpoint directory {directory} has no vocab.txt")
    tokenizer_config = _read_json(directory / "tokenizer_config.json")
    lower_case = tokenizer_config.get("do_lower_case", True)  # BertTokenizer's default
    strip_accents = tokenizer_config.get("strip_accents")
    model_config = _read_json(directory / "config.json")
    return Checkpoint(
        directory=str(directory.resolve()),
        vocab_file=str(vocab_file.resolve()),
        lower_case=bool(lower_case),
        strip_accents=bool(lower_case if strip_accents is None else strip_accents),
        max_positions=int(model_config.get("max_position_embeddings", 512)),
    )


def write_tiny_checkpoint(directory: str, vocab_source: str, layers: int = 2, hidden: int = 64,
                          max_positions: int = 512) -> Checkpoint:
    """A randomly initialized BERT of a few small layers (config + vocab, no weights),
    sharing ``vocab_source``'s vocabulary and casing: fast enough for CI."""
    source = resolve_checkpoint(vocab_source)
    target = pathlib.Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    vocab = pathlib.Path(source.vocab_file).read_text(encoding="utf-8")
    (target / "vocab.txt").write_text(vocab, encoding="utf-8")
    (target / "tokenizer_config.json").write_text(json.dumps(
        {"do_lower_case": source.lower_case, "strip_accents": source.strip_accents}))
    (target / "config.json").write_text(json.dumps({
        "model_type": "bert", "vocab_size": len(vocab.splitlines()), "hidden_size": hidden,
        "num_hidden_layers": layers, "num_attention_heads": 2, "intermediate_size": 2 * hidden,
        "max_position_embeddings": max_positions, "type_vocab_size": 2, "pad_token_id": 0}))
    return resolve_checkpoint(str(target))
