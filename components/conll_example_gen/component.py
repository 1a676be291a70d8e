"""ConllExampleGen: the standard FileBasedExampleGen driven by the CoNLL executor.

Keeping TFX's FileBasedExampleGen (rather than a component of our own) keeps
its driver: input fingerprints, spans and the cache hit on unchanged files.
"""

import os
from typing import Optional

import tensorflow as tf
from tfx.components import FileBasedExampleGen
from tfx.dsl.components.base import executor_spec
from tfx.proto import example_gen_pb2

from components.conll_example_gen import executor
from contracts import features


class MissingSplitError(FileNotFoundError):
    """A data directory without a recognisable file for some split."""


def conll_input_config(data_dir: str) -> example_gen_pb2.Input:
    """Maps the split files found in ``data_dir`` to the train/eval/test splits.

    Accepts the seed's names (train.txt, valid.txt, test.txt) and the original
    CoNLL-2003 ones (eng.train, eng.testa, eng.testb).
    """
    if not tf.io.gfile.isdir(data_dir):
        raise MissingSplitError(f"Data directory {data_dir} does not exist")
    present = set(tf.io.gfile.listdir(data_dir))
    splits, missing = [], []
    for split_name, file_names in features.SPLIT_FILE_NAMES.items():
        found = [name for name in file_names if name in present]
        if not found:
            missing.append(f"{split_name} ({' or '.join(file_names)})")
        else:
            splits.append(example_gen_pb2.Input.Split(name=split_name, pattern=found[0]))
    if missing:
        raise MissingSplitError(
            f"Data directory {data_dir} has no file for split(s): {', '.join(missing)}; "
            f"it holds: {', '.join(sorted(present)) or 'nothing'}")
    return example_gen_pb2.Input(splits=splits)


class ConllExampleGen(FileBasedExampleGen):
    """Reads train/eval/test CoNLL files from a directory into tf.Example splits."""

    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

    def __init__(self, data_dir: str, input_config: Optional[example_gen_pb2.Input] = None):
        """``input_config`` defaults to the split files found in ``data_dir``."""
        super().__init__(input_base=os.fspath(data_dir),
                         input_config=input_config or conll_input_config(data_dir))
