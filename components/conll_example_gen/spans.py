"""Span folders in a data directory: its layout, the split patterns and range
config TFX's driver resolves, and the span that driver will pick.

ConllExampleGen stays a FileBasedExampleGen, so TFX's own driver (locally and
on Vertex AI) resolves ``span-{SPAN}/*`` or ``{YYYY}-{MM}-{DD}/*`` to the
newest span, or to the one a static range names, and records span and input
fingerprint on the Examples artifact. A local run uses this module to check,
before anything runs, what that driver will find.

TFX writes the resolved span back into the pattern without zero padding
(span-1, never span-01), so a padded folder could never be read: it is
refused here, naming the directory, as is a directory that mixes layouts.
"""

import os
import re
from typing import List, NamedTuple, Optional

import tensorflow as tf
from tfx.components.example_gen import input_processor, utils
from tfx.proto import example_gen_pb2, range_config_pb2

from components.conll_example_gen.split_files import (
    FIND_SPLIT_FILE, default_input_config, listing)
from contracts import features
from contracts.spans import (
    AUTO, DATED, FOLDER_FORMS, NONE, NUMBERED, parse_date, span_number)

SPLIT_PATTERNS = {NUMBERED: f"span-{{SPAN}}/{FIND_SPLIT_FILE}",
                  DATED: f"{{YYYY}}-{{MM}}-{{DD}}/{FIND_SPLIT_FILE}"}
_NUMBERED_FOLDER = re.compile(r"^span-(0|[1-9][0-9]*)$")
# Names that mean a layout when its layout is detected ...
_LOOKS_LIKE = {NUMBERED: re.compile(r"^span-[0-9]+$"), DATED: re.compile(r"^[0-9]+-[0-9]+-[0-9]+$")}
# ... and the folders TFX's glob takes for spans (span-*, *-*-*), which must all be readable.
_GLOBBED = {NUMBERED: re.compile(r"^span-"), DATED: re.compile(r"-.*-")}
_SPLIT_FILES = frozenset(name for names in features.SPLIT_FILE_NAMES.values() for name in names)


class SpanLayoutError(ValueError):
    """Span folders TFX could not resolve, or span options that do not fit them."""


class SpanFolder(NamedTuple):
    name: str
    span: int


def input_config_for(layout: str) -> example_gen_pb2.Input:
    """Every split with the layout's pattern (TFX wants the same spec in all);
    the executor finds each split's file inside the resolved folder."""
    if layout == NONE:
        return default_input_config()
    return example_gen_pb2.Input(splits=[
        example_gen_pb2.Input.Split(name=name, pattern=SPLIT_PATTERNS[layout])
        for name in features.SPLIT_FILE_NAMES])


def range_config_for(span: Optional[int]) -> Optional[range_config_pb2.RangeConfig]:
    """A static range of the one span to ingest; None lets TFX take the newest."""
    if span is None:
        return None
    return range_config_pb2.RangeConfig(static_range=range_config_pb2.StaticRange(
        start_span_number=span, end_span_number=span))


def _folder_name(span: int, layout: str) -> str:
    """The folder TFX reads for ``span``."""
    return os.path.dirname(utils.get_pattern_for_span_version(
        SPLIT_PATTERNS[layout], layout == NUMBERED, layout == DATED, False, span, None))


def _folder_span(name: str, layout: str) -> Optional[int]:
    if layout == NUMBERED:
        match = _NUMBERED_FOLDER.match(name)
        return int(match.group(1)) if match else None
    return span_number(name, DATED) if parse_date(name) else None


def _is_folder(data_dir: str, name: str) -> bool:
    return tf.io.gfile.isdir(os.path.join(data_dir, name))


def span_folders(data_dir: str, layout: str) -> List[SpanFolder]:
    """The span folders of ``data_dir``, oldest first; refuses folders TFX's pattern
    would take but could not read back (span-01, 2026-1-5)."""
    folders, unreadable = [], []
    for name in listing(data_dir):
        if not (_GLOBBED[layout].search(name) and _is_folder(data_dir, name)):
            continue
        span = _folder_span(name, layout)
        if span is None:
            unreadable.append(name)
        else:
            folders.append(SpanFolder(name, span))
    if unreadable:
        raise SpanLayoutError(
            f"Data directory {data_dir}: cannot read span folder(s) {', '.join(unreadable)}; "
            f"name them {FOLDER_FORMS[layout]}"
            f"{' without zero padding (span-1, not span-01)' if layout == NUMBERED else ''}")
    return sorted(folders, key=lambda folder: folder.span)


def _describe(layout: str, example: str) -> str:
    return (f"split files ({example})" if layout == NONE
            else f"{FOLDER_FORMS[layout]} folders ({example}/)")


def detect_layout(data_dir: str) -> str:
    """NONE for split files (or nothing yet: the executor says what is missing),
    else the layout of the span folders; a directory with two kinds is refused."""
    found = {}
    for name in listing(data_dir):
        if name in _SPLIT_FILES:
            found.setdefault(NONE, name)
        for layout, looks_like in _LOOKS_LIKE.items():
            if looks_like.match(name) and _is_folder(data_dir, name):
                found.setdefault(layout, name)
    if len(found) > 1:
        kinds = " and ".join(_describe(layout, name) for layout, name in found.items())
        raise SpanLayoutError(f"Data directory {data_dir} mixes {kinds}; keep one layout")
    layout = next(iter(found), NONE)
    if layout != NONE:
        span_folders(data_dir, layout)
    return layout


def resolve_layout(data_dir: str, requested: str) -> str:
    """``--span-layout`` as a local run takes it: AUTO detected, others checked."""
    if requested == NONE:
        return NONE
    detected = detect_layout(data_dir)
    if requested not in (AUTO, detected):
        raise SpanLayoutError(f"--span-layout {requested}: data directory {data_dir} has no "
                              f"{FOLDER_FORMS[requested]} folder")
    return detected


def resolve_span(data_dir: str, layout: str, span: Optional[int]) -> int:
    """The span TFX's driver will ingest (its own resolution: the newest folder
    with files, or ``span``); refuses one that does not exist, naming those that do."""
    folders = span_folders(data_dir, layout)
    processor = input_processor.FileBasedInputProcessor(
        data_dir, input_config_for(layout).splits, range_config_for(span))
    try:
        resolved, _ = processor.resolve_span_and_version()
    except ValueError:
        missing = "span folder" + ("" if span is None else f" {_folder_name(span, layout)}")
        raise SpanLayoutError(
            f"Data directory {data_dir} has no {missing} with files; its span folders: "
            f"{', '.join(folder.name for folder in folders) or 'none'}") from None
    return resolved
