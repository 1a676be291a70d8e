"""Per-request limits of the stand-in server, and the check that a sentence has words.

TF Serving has no such limits; they are here so that one request cannot tie up
the CPU for minutes or ask the model for something it cannot answer (a
sentence without words). This module imports nothing heavy: the CLI reads the
defaults from it.
"""

import dataclasses
import re
from typing import Iterable, Iterator, Mapping, Sequence, Tuple

from contracts.signatures import INPUT_OF, SERVE_DOCUMENT, SERVE_TEXT, SERVE_WORDS
from serving.errors import invalid_argument

# The inputs of the text, words and document signatures.
SENTENCE_INPUT = INPUT_OF[SERVE_TEXT]
WORDS_INPUT = INPUT_OF[SERVE_WORDS]
DOCUMENT_INPUT = INPUT_OF[SERVE_DOCUMENT]
# The exported model first splits text on RE2's [\s\x{B}\x{85}\p{Z}]+, where \s
# is ASCII [\t\n\f\r ] and \p{Z} the Unicode separators, so white-space words are
# counted the same way here (Python's str.split() would also split on \x1c-\x1f).
# Punctuation split off later adds words; the limit is about the request's size.
_WORD_SEPARATORS = re.compile(
    "[\t\n\v\f\r \x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def count_words(sentence: str) -> int:
    return sum(1 for word in _WORD_SEPARATORS.split(sentence) if word)


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one predict request may ask for."""

    max_instances: int = 64
    max_words: int = 1000
    max_document_words: int = 20_000
    max_body_bytes: int = 4 * 1024 * 1024

    def check_body_size(self, size: int) -> None:
        if size > self.max_body_bytes:
            raise invalid_argument(f"The request body is larger than {self.max_body_bytes} "
                                   "bytes, the limit of this server")

    def check_inputs(self, inputs: Mapping[str, Sequence]) -> None:
        """Batch size of every input; words per sentence of the text input."""
        for value in inputs.values():
            if len(value) > self.max_instances:
                raise invalid_argument(
                    f"The request has {len(value)} instances; the limit is "
                    f"{self.max_instances} per request")
        if SENTENCE_INPUT in inputs:
            self._check_sentences(inputs[SENTENCE_INPUT].ravel())
        if DOCUMENT_INPUT in inputs:
            self._check_documents(inputs[DOCUMENT_INPUT].ravel())
        words = inputs.get(WORDS_INPUT)
        if words is not None and words.ndim == 2 and words.shape[1] > self.max_words:
            raise invalid_argument(f"The request has {words.shape[1]} words per sentence; "
                                   f"the limit is {self.max_words} words per sentence")

    def _check_documents(self, documents: Iterable[bytes]) -> None:
        """Documents may hold empty lines, or nothing; only their size is limited."""
        for index, words in _word_counts(documents, "Document"):
            if words > self.max_document_words:
                raise invalid_argument(
                    f"Document {index} has {words} words; the limit is "
                    f"{self.max_document_words} words per document")

    def _check_sentences(self, sentences: Iterable[bytes]) -> None:
        for index, words in _word_counts(sentences, "Sentence"):
            if words == 0:
                raise invalid_argument(
                    f"Sentence {index} has no words; the NER model needs at least one "
                    "word per sentence")
            if words > self.max_words:
                raise invalid_argument(
                    f"Sentence {index} has {words} words; the limit is {self.max_words} "
                    "words per sentence")


def _word_counts(texts: Iterable[bytes], noun: str) -> Iterator[Tuple[int, int]]:
    """(index, words) of each UTF-8 text; a text that is not UTF-8 (only base64
    input can carry such bytes) is an invalid argument naming it as ``noun``."""
    for index, text in enumerate(texts):
        try:
            yield index, count_words(text.decode("utf-8"))
        except UnicodeDecodeError:
            raise invalid_argument(f"{noun} {index} is not valid UTF-8") from None
