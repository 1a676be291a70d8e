"""Batch prediction's input files as units: one line (text, jsonl) or one CoNLL sentence.

Pure (bytes in, units out), so every rule is tested on its own; a line that
breaks one becomes a unit with an error, not a failed job. No Beam or
TensorFlow here: the ``predict`` parser reads FORMATS from this module.
"""

import dataclasses
import json
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from contracts.conll_format import DOCSTART, ConllFormatError, decode_lines, read_sentences
from contracts.signatures import SERVE_TEXT, SERVE_WORDS
from serving.limits import count_words

# Input format -> the signature its units go to: CoNLL tokens stay the file's own words.
SIGNATURE_OF = {"text": SERVE_TEXT, "conll": SERVE_WORDS, "jsonl": SERVE_TEXT}
FORMATS = tuple(SIGNATURE_OF)


@dataclasses.dataclass(frozen=True)
class Unit:
    """One input unit: a line (text, jsonl) or a sentence (conll)."""

    index: int  # 0-based position among the units: the output order
    line: int  # 1-based line number; a CoNLL sentence's first line
    text: str = ""
    words: Optional[Tuple[str, ...]] = None  # CoNLL tokens; None: the model splits the text
    gold_tags: Optional[Tuple[str, ...]] = None
    error: Optional[str] = None


def has_words(unit: Unit) -> bool:
    """Whether the unit goes to the model; errors and lines without words are answered
    without it."""
    return unit.error is None and bool(unit.words or count_words(unit.text))


def model_input(unit: Unit) -> Union[str, Sequence[str]]:
    """What the unit's signature (SIGNATURE_OF) gets: its CoNLL words, or else its text."""
    return unit.text if unit.words is None else unit.words


def parse_lines(lines: Iterable[bytes], input_format: str, source: str,
                max_words: int) -> Iterator[Unit]:
    """The units of a file in ``input_format``: text, jsonl or conll."""
    if input_format == "conll":
        return parse_conll(lines, source, max_words)
    parse = {"text": parse_text_line, "jsonl": parse_json_line}[input_format]
    return (parse(index, raw.rstrip(b"\r\n"), max_words) for index, raw in enumerate(lines))


def parse_text_line(index: int, raw: bytes, max_words: int) -> Unit:
    """A plain text line: the whole line is the sentence (an empty line has no words)."""
    try:
        text = _decode(raw)
        _check_length(count_words(text), max_words)
    except ValueError as error:
        return Unit(index, index + 1, error=str(error))
    return Unit(index, index + 1, text)


def parse_json_line(index: int, raw: bytes, max_words: int) -> Unit:
    """A JSON Lines line: an object whose "text" is the sentence."""
    try:
        document = json.loads(_decode(raw)) if raw.strip() else None
        if not isinstance(document, dict):
            found = "an empty line" if document is None else type(document).__name__
            raise ValueError(f'expected a JSON object with a "text" string, found {found}')
        if "text" not in document:
            raise ValueError('missing "text"')
        if not isinstance(document["text"], str):
            raise ValueError(f'"text" is {type(document["text"]).__name__}, not a string')
        _check_length(count_words(document["text"]), max_words)
    except json.JSONDecodeError as error:
        message = error.msg.removesuffix(" at")  # "Unterminated string starting at"
        return Unit(index, index + 1, error=f"invalid JSON: {message} at column {error.colno}")
    except ValueError as error:
        return Unit(index, index + 1, error=str(error))
    return Unit(index, index + 1, document["text"])


def parse_conll(lines: Iterable[bytes], source: str, max_words: int) -> Iterator[Unit]:
    """One unit per sentence of a CoNLL file (conll_format's rules); -DOCSTART- is skipped.

    Each sentence is read on its own, so a bad line turns its sentence into an
    error line (``file:line: problem``) and the rest of the file is still tagged.
    """
    block: List[bytes] = []
    first_line = index = 0
    for number, raw in enumerate(lines, start=1):
        raw = raw.rstrip(b"\r\n")
        content = raw.rstrip(b" \t")
        if content and not content.startswith(DOCSTART.encode()):
            if not block:
                first_line = number
            block.append(raw)
            continue
        if block:
            yield _conll_sentence(index, first_line, block, source, max_words)
            index, block = index + 1, []
    if block:
        yield _conll_sentence(index, first_line, block, source, max_words)


def _conll_sentence(index: int, first_line: int, block: List[bytes], source: str,
                    max_words: int) -> Unit:
    try:
        (sentence,) = read_sentences(decode_lines(b"\n".join(block), source), source)
        _check_length(len(sentence.tokens), max_words)
    except ConllFormatError as error:  # its line number counts from the block's first line
        located = ConllFormatError(source, first_line + error.line_number - 1, error.line,
                                   error.problem)
        return Unit(index, first_line, error=str(located))
    except ValueError as error:
        return Unit(index, first_line, error=f"{source}:{first_line}: {error}")
    return Unit(index, first_line, " ".join(sentence.tokens), sentence.tokens, sentence.ner_tags)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not valid UTF-8 ({error.reason} at byte {error.start})") from None


def _check_length(word_count: int, max_words: int) -> None:
    if word_count > max_words:
        raise ValueError(f"{word_count} words; the limit is {max_words} words per sentence")
