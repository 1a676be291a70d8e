"""Which files feed which split, decided when ConllExampleGen runs, never when
the pipeline is built: compiling for Vertex AI on a laptop needs no access to
the data directory.

The component's default input config names every split with the pattern
``*`` (FIND_SPLIT_FILE). TFX's driver fingerprints the files a split pattern
matches for the cache key, so each split's key covers the whole directory: a
change to any file there re-runs ingestion. The executor then picks each
split's file by its conventional name (contracts.features.SPLIT_FILE_NAMES:
train.txt or eng.train, ...). A split given with any other pattern reads
every file the pattern matches. Either way a split without a file stops the
run with MissingSplitError, naming the directory and what it holds.
"""

import os
from typing import List, Optional

import tensorflow as tf
from tfx.proto import example_gen_pb2

from contracts import features

FIND_SPLIT_FILE = "*"


class MissingSplitError(FileNotFoundError):
    """A data directory without a recognisable file for some split."""


def default_input_config() -> example_gen_pb2.Input:
    """train/eval/test, each file found by its conventional name when the executor runs."""
    return example_gen_pb2.Input(splits=[
        example_gen_pb2.Input.Split(name=name, pattern=FIND_SPLIT_FILE)
        for name in features.SPLIT_FILE_NAMES])


def listing(data_dir: str) -> List[str]:
    """The names in ``data_dir`` (folders without a trailing slash), sorted."""
    if not tf.io.gfile.isdir(data_dir):
        raise MissingSplitError(f"Data directory {data_dir} does not exist")
    return sorted(name.rstrip("/") for name in tf.io.gfile.listdir(data_dir))


def conventional_file(data_dir: str, split_name: str, present: List[str]) -> Optional[str]:
    """The split's file among ``present`` (the names in ``data_dir``) by its
    conventional names, or None; two of them are an error (which one was meant?)."""
    found = [name for name in features.SPLIT_FILE_NAMES[split_name] if name in present]
    if len(found) > 1:
        raise MissingSplitError(f"Data directory {data_dir} has {' and '.join(found)} for "
                                f"split '{split_name}'; keep one")
    return found[0] if found else None


def expected_files(split_name: str) -> str:
    """The split and the names its file may have, for messages."""
    return f"{split_name} ({' or '.join(features.SPLIT_FILE_NAMES[split_name])})"


def _finds_conventional_file(split: example_gen_pb2.Input.Split) -> bool:
    return split.pattern == FIND_SPLIT_FILE and split.name in features.SPLIT_FILE_NAMES


def _split_pattern(data_dir: str, split: example_gen_pb2.Input.Split, present: List[str]):
    """The split's pattern with the file found for it, or None if there is none."""
    if _finds_conventional_file(split):
        return conventional_file(data_dir, split.name, present)
    return split.pattern if tf.io.gfile.glob(os.path.join(data_dir, split.pattern)) else None


def _expected(split: example_gen_pb2.Input.Split) -> str:
    if _finds_conventional_file(split):
        return expected_files(split.name)
    return f"{split.name} ({split.pattern})"


def resolve_split_files(data_dir: str, input_config: example_gen_pb2.Input = None
                        ) -> example_gen_pb2.Input:
    """``input_config`` (default: default_input_config()) with each split's pattern
    replaced by the file found for it; raises MissingSplitError naming every split
    without a file and the files the directory holds."""
    input_config = input_config or default_input_config()
    present = listing(data_dir)
    resolved, missing = example_gen_pb2.Input(), []
    resolved.CopyFrom(input_config)
    for split in resolved.splits:
        pattern = _split_pattern(data_dir, split, present)
        if pattern is None:
            missing.append(_expected(split))
        else:
            split.pattern = pattern
    if missing:
        raise MissingSplitError(
            f"Data directory {data_dir} has no file for split(s): {', '.join(missing)}; "
            f"it holds: {', '.join(present) or 'nothing'}")
    return resolved
