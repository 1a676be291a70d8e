"""Finds a BERT checkpoint and reads what tokenization needs from it.

A checkpoint is named like transformers names it: a local directory (the
offline MiniLM under models/, a tiny test checkpoint) or a Hugging Face Hub
id such as ``bert-base-cased`` (``bert-base-cased@<revision>`` pins a
revision) for users with network. Vocabulary, casing and the position limit
come from the checkpoint's own files, never constants.

A compiled pipeline names its checkpoint without reading it (``deferred``):
the Transform and Trainer modules resolve it inside their container at run
time (``ensure_resolved``).
"""

import dataclasses
import hashlib
import json
import pathlib
import re
from typing import Any, Dict, Mapping, Optional, Tuple

HUB_FILES = ["config.json", "vocab.txt", "tokenizer_config.json", "*.safetensors", "*.h5"]
# A Hub repository id ("bert-base-cased", "dslim/bert-base-NER"), optionally "@revision".
_HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?(@[\w./-]+)?$")


class CheckpointNotFoundError(FileNotFoundError):
    """No checkpoint under that name; the message says what was tried."""


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    directory: str
    vocab_file: str
    lower_case: bool
    strip_accents: bool
    max_positions: int
    # Content hash of the checkpoint's files: replacing the weights or the
    # vocabulary under the same path changes it, and with it the cache key.
    fingerprint: str = ""


def _read_json(path: pathlib.Path) -> Dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def files_fingerprint(directory: pathlib.Path) -> str:
    """sha256 over the name and content of each file directly in ``directory``."""
    digest = hashlib.sha256()
    for path in sorted(item for item in directory.iterdir() if item.is_file()):
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def looks_like_hub_id(name: str) -> bool:
    return bool(_HUB_ID.match(name)) and not name.startswith(".")


def split_revision(hub_id: str) -> Tuple[str, Optional[str]]:
    """("org/name", "revision") of "org/name@revision"; revision None if not given."""
    repo_id, _, revision = hub_id.partition("@")
    return repo_id, revision or None


def _download(hub_id: str) -> pathlib.Path:
    from huggingface_hub import snapshot_download  # only users with network get here
    repo_id, revision = split_revision(hub_id)
    return pathlib.Path(snapshot_download(repo_id, revision=revision, allow_patterns=HUB_FILES))


def deferred(name: str) -> Checkpoint:
    """A checkpoint known by name only (a Hub id or a path inside the pipeline image),
    resolved where the pipeline runs. Nothing is read or downloaded here; the
    name (with its revision, if any) stands in for the content fingerprint."""
    return Checkpoint(directory=name, vocab_file="", lower_case=False, strip_accents=False,
                      max_positions=0, fingerprint=f"name:{name}")


def is_deferred(checkpoint: Checkpoint) -> bool:
    return not checkpoint.vocab_file


def ensure_resolved(checkpoint: Checkpoint) -> Checkpoint:
    """``checkpoint`` itself, or, if it is deferred, what its name resolves to here."""
    return resolve_checkpoint(checkpoint.directory) if is_deferred(checkpoint) else checkpoint


def from_mapping(values: Mapping[str, Any]) -> Checkpoint:
    """The Checkpoint whose fields ``values`` holds (other keys are ignored)."""
    return Checkpoint(**{field.name: values[field.name] for field in dataclasses.fields(Checkpoint)
                         if field.name in values})


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
        fingerprint=files_fingerprint(directory),
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
