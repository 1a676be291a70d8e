"""Which files of a span-folder data directory feed each split.

TFX ingests one span per run (its driver resolves ``exec_properties['span']``),
and the resolvers that merge spans downstream do not compile for Vertex AI.
So the executor itself reads the training window, the train files of the
newest ``--train-spans`` span folders up to the ingested span, into the one
Examples artifact. Eval and test come from a fixed held-out set (``--eval-dir``,
or the newest span up to the ingested one with both files), so that models
trained on different windows are scored on the same data.
"""

import dataclasses
import hashlib
import os
from typing import Dict, List, Tuple

import tensorflow as tf
from tfx.proto import example_gen_pb2

from components.conll_example_gen.spans import SpanFolder, span_folders
from components.conll_example_gen.split_files import (
    FIND_SPLIT_FILE, MissingSplitError, conventional_file, expected_files, listing,
    resolve_split_files)
from contracts import features
from contracts.spans import SpanSettings, parse_train_spans

HELD_OUT = (features.EVAL_SPLIT, features.TEST_SPLIT)


@dataclasses.dataclass(frozen=True)
class SplitFile:
    """A file that feeds a split. Its sentences' document ids start with
    ``document_prefix`` (the span folder), so documents of two spans never share one."""

    path: str
    document_prefix: str = ""


@dataclasses.dataclass(frozen=True)
class InputPlan:
    """Split name -> its files (oldest span first), and where they came from."""

    files: Dict[str, List[SplitFile]]
    train_spans: Tuple[str, ...] = ()
    eval_source: str = ""

    def paths(self) -> List[str]:
        return sorted(file.path for files in self.files.values() for file in files)

    def fingerprint(self) -> str:
        """sha256 over each file's path, size and modification time: what TFX's input
        fingerprint looks at, for the files its split pattern does not cover."""
        digest = hashlib.sha256()
        for path in self.paths():
            stat = tf.io.gfile.stat(path)
            digest.update(f"{path}\0{stat.length}\0{stat.mtime_nsec}\n".encode())
        return digest.hexdigest()


def _span_file(data_dir: str, folder: SpanFolder, split: str, present: List[str]) -> SplitFile:
    directory = os.path.join(data_dir, folder.name)
    return SplitFile(os.path.join(directory, conventional_file(directory, split, present)),
                     f"{folder.name}/")


def train_file(data_dir: str, folder: SpanFolder) -> SplitFile:
    """The span folder's train file; a folder without one is refused, naming what it holds."""
    directory = os.path.join(data_dir, folder.name)
    present = listing(directory)
    if conventional_file(directory, features.TRAIN_SPLIT, present) is None:
        raise MissingSplitError(
            f"Span folder {directory} has no file for split {expected_files(features.TRAIN_SPLIT)}"
            f"; it holds: {', '.join(present) or 'nothing'}")
    return _span_file(data_dir, folder, features.TRAIN_SPLIT, present)


def _eval_dir_files(eval_dir: str) -> Dict[str, List[SplitFile]]:
    resolved = resolve_split_files(eval_dir, example_gen_pb2.Input(splits=[
        example_gen_pb2.Input.Split(name=split, pattern=FIND_SPLIT_FILE) for split in HELD_OUT]))
    return {split.name: [SplitFile(os.path.join(eval_dir, split.pattern))]
            for split in resolved.splits}


def _held_out(data_dir: str, folders: List[SpanFolder], eval_dir: str
              ) -> Tuple[Dict[str, List[SplitFile]], str]:
    """Eval and test files and their source: ``eval_dir``, else the newest span with both."""
    if eval_dir:
        return _eval_dir_files(eval_dir), eval_dir
    for folder in reversed(folders):
        directory = os.path.join(data_dir, folder.name)
        present = listing(directory)
        if all(conventional_file(directory, split, present) for split in HELD_OUT):
            return {split: [_span_file(data_dir, folder, split, present)]
                    for split in HELD_OUT}, folder.name
    raise MissingSplitError(
        f"No span folder up to {folders[-1].name} in {data_dir} has both "
        f"{' and '.join(expected_files(split) for split in HELD_OUT)}; "
        f"add them to a span or pass --eval-dir")


def plan_inputs(data_dir: str, settings: SpanSettings, span: int) -> InputPlan:
    """The window's train files and the held-out eval and test files for ``span``."""
    folders = [folder for folder in span_folders(data_dir, settings.layout)
               if folder.span <= span]
    count = parse_train_spans(settings.train_spans)
    window = folders[-count:] if count else folders
    train = [train_file(data_dir, folder) for folder in window]
    held_out, eval_source = _held_out(data_dir, folders, settings.eval_dir)
    return InputPlan(files={features.TRAIN_SPLIT: train, **held_out},
                     train_spans=tuple(folder.name for folder in window),
                     eval_source=eval_source)
