"""Reader for annotation-tool JSONL: one labelled text per line, as CoNLL sentences.

Annotation tools export entities as character spans over raw text; the model
reads CoNLL words with IOB2 tags. This module turns one into the other with
the same ``Sentence`` records and ``ConllFormatError`` messages as
conll_format.py. Like it, it is free of TensorFlow so that every rule is
unit-tested in milliseconds: the words come from a splitter the caller passes
in, in production ``pretokenize`` below (the serving pre-tokenizer, so that
training words match served words).

Accepted records (blank lines are skipped):
  doccano          ``{"text": "...", "label": [[start, end, "TYPE"], ...]}``
                   (older doccano writes ``"labels"``: either key is read)
  Label Studio     ``{"text": "...", "label": [{"start": s, "end": e,
  JSON-MIN          "labels": ["TYPE"]}, ...]}`` (other span keys are ignored,
                   but a span's ``"text"``, if given, must equal its slice)
  doccano (newer)  ``{"text": "...", "entities": [{"start_offset": s,
                   "end_offset": e, "label": "TYPE"}, ...]}``
A record without a label key has no entities. Offsets are Python string
indices (code points) into ``text``, end exclusive. A span that starts or
ends inside a word covers the whole word and is counted as misaligned.
Overlapping spans (also once widened) and spans out of range or over white
space only are errors. A record whose text has no word cannot hold an
entity; it is skipped and counted, not an error, since tools export empty
tasks.
"""

import dataclasses
import json
import re
from typing import Callable, Iterable, Iterator, List, Optional, Sequence, Tuple

from contracts.conll_format import ConllFormatError, Sentence

Word = Tuple[str, int, int]  # word, character start, character end
WordSplitter = Callable[[List[str]], List[List[Word]]]
LABEL_KEYS = ("label", "labels", "entities")
# Texts per splitter call: an eager pre-tokenizer call costs about the same
# for 1 text or 1000 (its ops run once per batch), so 20k records take seconds.
BATCH_SIZE = 1024
_SHOWN_CHARACTERS = 80
_WHITE_SPACE = re.compile(r"\s")


@dataclasses.dataclass
class JsonlStats:
    """Counts of one file, updated while ``read_jsonl`` yields its sentences."""

    records: int = 0
    skipped_without_words: int = 0
    spans: int = 0
    misaligned_spans: int = 0


@dataclasses.dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str

    def __str__(self) -> str:
        return f"[{self.start}, {self.end}) {self.kind}"


@dataclasses.dataclass(frozen=True)
class _Record:
    line_number: int
    line: str
    text: str
    spans: Tuple[_Span, ...]


def _error(source: str, line_number: int, line: str, problem: str) -> ConllFormatError:
    """The error quoting at most _SHOWN_CHARACTERS of the line: JSON lines can be long."""
    line = line.rstrip("\r\n")
    if len(line) > _SHOWN_CHARACTERS:
        line = line[:_SHOWN_CHARACTERS - 3] + "..."
    return ConllFormatError(source, line_number, line, problem)


def _is_offset(value) -> bool:
    """JSON true and false load as bools, 5.0 as a float: neither is an offset."""
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_span(raw, text: str) -> _Span:
    """One span in either shape; raises ValueError naming what is wrong with it."""
    if isinstance(raw, list) and len(raw) == 3:
        start, end, kind = raw
    elif isinstance(raw, dict) and {"start_offset", "end_offset", "label"} <= raw.keys():
        start, end, kind = raw["start_offset"], raw["end_offset"], raw["label"]
    elif isinstance(raw, dict) and {"start", "end", "labels"} <= raw.keys():
        start, end, labels = raw["start"], raw["end"], raw["labels"]
        if not isinstance(labels, list) or len(labels) != 1:
            raise ValueError(f"span {json.dumps(raw, ensure_ascii=False)} must have exactly one "
                             f"label in \"labels\"")
        kind = labels[0]
    else:
        raise ValueError(f"span {json.dumps(raw, ensure_ascii=False)} is neither "
                         f"[start, end, type] nor {{\"start\", \"end\", \"labels\"}}")
    if not (_is_offset(start) and _is_offset(end)):
        raise ValueError(f"span offsets {start!r}, {end!r} are not integers")
    if not 0 <= start < end <= len(text):
        raise ValueError(f"span [{start}, {end}) is out of range for a text of "
                         f"{len(text)} characters")
    if not isinstance(kind, str) or not kind or _WHITE_SPACE.search(kind):
        raise ValueError(f"span [{start}, {end}) has type {kind!r}; a type is a non-empty "
                         f"string without white space")
    if isinstance(raw, dict) and "text" in raw and raw["text"] != text[start:end]:
        raise ValueError(f"span [{start}, {end}) says its text is {raw['text']!r} but the text "
                         f"there is {text[start:end]!r} (offsets must count code points)")
    return _Span(start, end, kind)


def _parse_record(line_number: int, line: str, source: str) -> _Record:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise _error(source, line_number, line, f"not valid JSON ({error})") from None
    if not isinstance(record, dict):
        raise _error(source, line_number, line,
                     f"expected a JSON object, found {type(record).__name__}")
    if "text" not in record:
        raise _error(source, line_number, line, "missing \"text\"")
    text = record["text"]
    if not isinstance(text, str):
        raise _error(source, line_number, line, f"\"text\" is {json.dumps(text)}, not a string")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise _error(source, line_number, line,
                     f"\"text\" has an unpaired surrogate at character {error.start}") from None
    keys = [key for key in LABEL_KEYS if key in record]
    if len(keys) > 1:
        raise _error(source, line_number, line,
                     f"more than one list of spans given: {', '.join(keys)}")
    raw_spans = record[keys[0]] if keys else []
    if not isinstance(raw_spans, list):
        raise _error(source, line_number, line, f"\"{keys[0]}\" is not a list")
    try:
        spans = tuple(_parse_span(raw, text) for raw in raw_spans)
    except ValueError as error:
        raise _error(source, line_number, line, str(error)) from None
    return _Record(line_number, line, text, spans)


def _tag(record: _Record, words: Sequence[Word], source: str, stats: JsonlStats) -> List[str]:
    """IOB2 tags of the words; each span widened to the words it touches."""
    widened = []  # (first word, last word, span)
    for span in record.spans:
        touched = [index for index, (_, start, end) in enumerate(words)
                   if start < span.end and end > span.start]
        if not touched:
            raise _error(source, record.line_number, record.line,
                         f"span {span} covers no word")
        first, last = touched[0], touched[-1]
        if words[first][1] < span.start or words[last][2] > span.end:
            stats.misaligned_spans += 1
        widened.append((first, last, span))
    widened.sort(key=lambda item: (item[0], item[2].start))
    for (_, previous_last, previous), (first, _, span) in zip(widened, widened[1:]):
        if first <= previous_last:
            how = ("overlap" if previous.start < span.end and span.start < previous.end
                   else "overlap once widened to whole words")
            raise _error(source, record.line_number, record.line,
                         f"spans {previous} and {span} {how}")
    tags = ["O"] * len(words)
    for first, last, span in widened:
        tags[first] = f"B-{span.kind}"
        tags[first + 1:last + 1] = [f"I-{span.kind}"] * (last - first)
    stats.spans += len(widened)
    return tags


def read_jsonl(lines: Iterable[str], source: str, split_words: WordSplitter,
               stats: Optional[JsonlStats] = None) -> Iterator[Sentence]:
    """Yields one Sentence per record of a JSONL file, raising ConllFormatError on bad lines.

    ``lines`` are the file's lines: split bytes with conll_format.decode_lines,
    not str.splitlines, which also breaks at U+2028 inside JSON strings.
    ``source`` names the file in errors and document ids (``<name>:<line>``).
    ``split_words`` gets the texts of up to BATCH_SIZE records per call.
    ``stats``, if given, is updated as sentences are yielded. Errors come in
    line order; the sentences before a bad line are yielded first.
    """
    stats = stats if stats is not None else JsonlStats()
    document_name = re.split(r"[\\/]", source)[-1]
    pending: List[_Record] = []

    def flush() -> Iterator[Sentence]:
        batch = list(pending)
        pending.clear()
        if not batch:
            return
        for record, words in zip(batch, split_words([record.text for record in batch])):
            tags = _tag(record, words, source, stats)  # without words, an error if any span
            if not words:
                stats.skipped_without_words += 1
                continue
            yield Sentence(
                document_id=f"{document_name}:{record.line_number}",
                sentence_index=0,
                tokens=tuple(word for word, _, _ in words),
                ner_tags=tuple(tags),
                pos_tags=None,
                chunk_tags=None,
                first_line=record.line_number,
                retagged=0,
            )

    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = _parse_record(line_number, line, source)
        except ConllFormatError:
            yield from flush()
            raise
        stats.records += 1
        pending.append(record)
        if len(pending) == BATCH_SIZE:
            yield from flush()
    yield from flush()


def pretokenize(texts: List[str]) -> List[List[Word]]:
    """The serving pre-tokenizer's words (modules/transform/pretokenization.py) as a WordSplitter.

    Runs it eagerly on the whole batch (tracing it into a graph costs more
    than reading a file) and turns its UTF-8 byte offsets into character
    offsets. TensorFlow is imported here only, so the format rules load and
    test without it.
    """
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    from modules.transform.pretokenization import (  # pylint: disable=import-outside-toplevel
        split_words)

    _, starts, ends = split_words(tf.constant(texts, tf.string))
    result = []
    for text, row_starts, row_ends in zip(texts, starts.to_list(), ends.to_list()):
        character_at = _character_offsets(text)
        result.append([(text[character_at[start]:character_at[end]], character_at[start],
                        character_at[end]) for start, end in zip(row_starts, row_ends)])
    return result


def _character_offsets(text: str) -> Sequence[int]:
    """The character offset at each UTF-8 byte offset (words start and end on boundaries)."""
    if text.isascii():
        return range(len(text) + 1)
    offsets = []
    for index, character in enumerate(text):
        offsets.extend([index] * len(character.encode("utf-8")))
    offsets.append(len(text))
    return offsets
