"""Pure-Python reader for CoNLL-style NER files.

Kept free of TensorFlow and Beam so that every format rule and every error
message can be unit-tested in milliseconds. The executor only maps the
sentences this module yields to tf.Examples.

Accepted layouts (columns separated by spaces or tabs, one token per line):
  2 columns  ``token NER``
  3 columns  ``token POS NER``
  4 columns  ``token POS chunk NER`` (CoNLL-2003)
``-DOCSTART-`` lines start documents, blank lines end sentences. CRLF line
ends, trailing blanks, a missing final newline and a UTF-8 byte-order mark
are fine. Tags in IOB1, IOB2, IOBES or BILOU are rewritten to IOB2
(tag_schemes.py), counting IOB1 rewrites and repairs of ill-formed tags.
"""

import codecs
import dataclasses
import re
from typing import Dict, Iterable, Iterator, Optional, Sequence, Tuple

from contracts.tag_schemes import (
    AS_WRITTEN, PREFIXES, Conversion, split_tag, to_iob2)

DOCSTART = "-DOCSTART-"
_COLUMN_SEPARATOR = re.compile(r"[ \t]+")


class ConllFormatError(ValueError):
    """A line of a CoNLL file that cannot be read; names file, line and text."""

    def __init__(self, source: str, line_number: int, line: str, problem: str):
        self.source = source
        self.line_number = line_number
        self.line = line
        self.problem = problem
        super().__init__(f"{source}:{line_number}: {problem}: {line!r}")


@dataclasses.dataclass(frozen=True)
class Sentence:
    """One sentence, its tags already in IOB2."""

    document_id: str
    sentence_index: int
    tokens: Tuple[str, ...]
    ner_tags: Tuple[str, ...]
    pos_tags: Optional[Tuple[str, ...]]
    chunk_tags: Optional[Tuple[str, ...]]
    first_line: int
    retagged: int  # IOB1 chunk openings rewritten to B-
    repaired: int = 0  # ill-formed tags that start a new chunk (tag_schemes.py)


def _column_names(column_count: int) -> Tuple[str, ...]:
    return {
        2: ("token", "ner"),
        3: ("token", "pos", "ner"),
        4: ("token", "pos", "chunk", "ner"),
    }[column_count]


def read_sentences(lines: Iterable[str], source: str, scheme: Optional[str] = None
                   ) -> Iterator[Sentence]:
    """Yields the sentences of one CoNLL file, raising ConllFormatError on bad lines.

    ``lines`` are the file's lines (with or without line ends); ``source``
    names the file in errors and in document ids. The column count is fixed
    by the file's first token line. ``scheme`` (tag_schemes.SCHEMES) is the
    one the tags are in: a tag with another scheme's prefix is an error.
    Without it any prefix is read, and a chunk-opening I- counts as IOB1;
    with AS_WRITTEN the tags are not rewritten (survey.py reads them so).
    The tags of a sentence are on consecutive lines from ``first_line``.
    """
    document_name = re.split(r"[\\/]", source)[-1]
    document_number = 0
    document_has_sentences = False
    sentence_index = 0
    column_names: Optional[Tuple[str, ...]] = None
    rows: list = []
    first_line = 0

    def finish_sentence() -> Sentence:
        columns = dict(zip(column_names, zip(*rows)))
        converted = (Conversion(columns["ner"], 0, 0) if scheme == AS_WRITTEN
                     else to_iob2(columns["ner"], scheme or "IOB1"))
        return Sentence(
            document_id=f"{document_name}:{document_number}",
            sentence_index=sentence_index,
            tokens=columns["token"],
            ner_tags=converted.tags,
            pos_tags=columns.get("pos"),
            chunk_tags=columns.get("chunk"),
            first_line=first_line,
            retagged=converted.rewritten,
            repaired=converted.repaired,
        )

    for line_number, raw_line in enumerate(lines, start=1):
        line = raw_line.rstrip(" \t\r\n")
        if not line or line.startswith(DOCSTART):
            if rows:
                yield finish_sentence()
                rows = []
                sentence_index += 1
                document_has_sentences = True
            if line and document_has_sentences:
                document_number += 1
                document_has_sentences = False
                sentence_index = 0
            continue
        fields = _COLUMN_SEPARATOR.split(line)
        if fields[0] == "":
            raise ConllFormatError(source, line_number, line, "empty token (line starts with a blank)")
        if column_names is None:
            if len(fields) not in (2, 3, 4):
                raise ConllFormatError(
                    source, line_number, line,
                    f"expected 2 (token NER), 3 (token POS NER) or 4 (token POS chunk NER) columns, "
                    f"found {len(fields)}")
            column_names = _column_names(len(fields))
        elif len(fields) != len(column_names):
            raise ConllFormatError(
                source, line_number, line,
                f"expected {len(column_names)} columns ({' '.join(column_names)}) like the file's "
                f"first token line, found {len(fields)}")
        _check_tag(fields[-1], scheme, source, line_number, line)
        if not rows:
            first_line = line_number
        rows.append(fields)
    if rows:
        yield finish_sentence()


def _check_tag(tag: str, scheme: Optional[str], source: str, line_number: int, line: str):
    parts = split_tag(tag)
    if parts is None:
        raise ConllFormatError(
            source, line_number, line,
            f"NER tag {tag!r} is not O or <prefix>-<type> (prefixes B, I, E, S, L, U)")
    if scheme in PREFIXES and parts[0] != "O" and parts[0] not in PREFIXES[scheme]:
        raise ConllFormatError(
            source, line_number, line,
            f"NER tag {tag!r} is not in the {scheme} scheme (prefixes "
            f"{', '.join(PREFIXES[scheme])}); pass --tag-scheme auto or the file's scheme")


def decode_lines(data: bytes, source: str) -> Iterator[str]:
    """Splits file bytes into text lines, naming the line of any invalid UTF-8.

    A UTF-8 byte-order mark at the start of the file (Windows editors write one)
    is dropped, so that it does not become part of the first token.
    """
    for line_number, raw in enumerate(data.splitlines(), start=1):
        if line_number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ConllFormatError(
                source, line_number, raw.decode("utf-8", "replace"),
                f"not valid UTF-8 ({error.reason} at byte {error.start})") from None


@dataclasses.dataclass
class SplitStats:
    """Sentence, token and entity counts of one split, mergeable across files."""

    sentences: int = 0
    tokens: int = 0
    entities: int = 0
    entities_by_type: Dict[str, int] = dataclasses.field(default_factory=dict)

    def add(self, ner_tags: Sequence[str]) -> None:
        self.sentences += 1
        self.tokens += len(ner_tags)
        for tag in ner_tags:
            if tag.startswith("B-"):
                self.entities += 1
                self.entities_by_type[tag[2:]] = self.entities_by_type.get(tag[2:], 0) + 1

    def merge(self, other: "SplitStats") -> "SplitStats":
        merged = dataclasses.replace(self, entities_by_type=dict(self.entities_by_type))
        merged.sentences += other.sentences
        merged.tokens += other.tokens
        merged.entities += other.entities
        for kind, count in other.entities_by_type.items():
            merged.entities_by_type[kind] = merged.entities_by_type.get(kind, 0) + count
        return merged
