"""Several predict requests as one model call: their inputs merged, the outputs split back.

Only the text signatures are merged: each of their rows is tagged on its own
(a document is one row), so a request's answer does not depend on which
others share its call. serve_examples is not: with document context its
consecutive rows of one document_id are tagged together, so rows of two
requests could become one document.

The model pads per-word outputs to the widest row of its batch and
per-entity outputs to the row with most entities (contracts/padded_outputs.py).
Each request's rows are cut back to its own widest row, so its response has
exactly the shape an unbatched call gives.
"""

from typing import Dict, List, Mapping, Sequence

import numpy as np

from contracts.signatures import (
    ENTITY_COUNT, ENTITY_ENDS, ENTITY_SCORES, ENTITY_STARTS, ENTITY_TEXTS, ENTITY_TYPES, SCORES,
    SERVE_DOCUMENT, SERVE_TEXT, SERVE_WORDS, TAGS, WORD_COUNT, WORD_ENDS, WORD_STARTS, WORDS)
from serving.limits import DOCUMENT_INPUT, SENTENCE_INPUT, WORDS_INPUT, count_words

MERGED_SIGNATURES = frozenset({SERVE_TEXT, SERVE_WORDS, SERVE_DOCUMENT})
# Count output -> the outputs padded to the largest count of the batch.
_PADDED_BY = {
    WORD_COUNT: (WORDS, TAGS, SCORES, WORD_STARTS, WORD_ENDS),
    ENTITY_COUNT: (ENTITY_TYPES, ENTITY_TEXTS, ENTITY_STARTS, ENTITY_ENDS, ENTITY_SCORES),
}

Arrays = Mapping[str, np.ndarray]


def row_count(inputs: Arrays) -> int:
    return len(next(iter(inputs.values())))


def mergeable(inputs: Arrays) -> bool:
    """False for what the model refuses (serve_words: a word_count beyond its row's words,
    or counts and rows that differ in number): such a request runs alone and gets the
    model's own error, instead of reading another request's padding or failing its call."""
    counts = inputs.get(WORD_COUNT)
    if counts is None:
        return True
    words = inputs[WORDS_INPUT]
    return (words.ndim == 2 and counts.shape == words.shape[:1]
            and bool(np.all((counts >= 0) & (counts <= words.shape[1]))))


def row_lengths(inputs: Arrays) -> List[int]:
    """Words per row: what the model's cost per row grows with, padding included."""
    if WORD_COUNT in inputs:  # serve_words
        return [int(count) for count in inputs[WORD_COUNT]]
    texts = inputs.get(SENTENCE_INPUT, inputs.get(DOCUMENT_INPUT))
    return [count_words(text.decode("utf-8", "replace")) for text in texts.ravel()]


def take(inputs: Arrays, rows: Sequence[int]) -> Dict[str, np.ndarray]:
    """Some rows of a request, as a request of their own."""
    return {name: value[list(rows)] for name, value in inputs.items()}


def merge(requests: Sequence[Arrays]) -> Dict[str, np.ndarray]:
    """The requests' rows in order; inputs with a second dimension (serve_words's words)
    are padded to the widest request with "" (or 0), which word_count leaves unread."""
    return {name: np.concatenate(_padded([request[name] for request in requests], 0))
            for name in requests[0]}


def join(parts: Sequence[Arrays], rows: Sequence[Sequence[int]]) -> Dict[str, np.ndarray]:
    """The outputs of a request whose rows ran in several calls (``parts[i]`` holds its
    ``rows[i]``), in its row order and padded to its widest row, as one call pads them."""
    order = np.argsort(np.concatenate([np.asarray(group) for group in rows]))
    return {name: np.concatenate(_padded([part[name] for part in parts], -1))[order]
            for name in parts[0]}


def split(outputs: Arrays, sizes: Sequence[int]) -> List[Dict[str, np.ndarray]]:
    """Each request's rows of a merged call, cut to the widths of its own rows."""
    parts, start = [], 0
    for size in sizes:
        part = {name: value[start:start + size] for name, value in outputs.items()}
        for count, padded in _PADDED_BY.items():
            if count in part:
                width = int(part[count].max(initial=0))
                part.update({name: part[name][:, :width] for name in padded if name in part})
        parts.append(part)
        start += size
    return parts


def _padded(arrays: List[np.ndarray], number_fill: int) -> List[np.ndarray]:
    """Padded with "" for strings, 0.0 for floats and ``number_fill`` for integers: the
    export pads its outputs with "", 0.0 and -1 (offsets)."""
    widest = np.max([array.shape[1:] for array in arrays], axis=0)
    result = []
    for array in arrays:
        missing = [(0, 0)] + [(0, int(want - have)) for want, have in zip(widest, array.shape[1:])]
        if any(after for _, after in missing):
            fill = (b"" if array.dtype == object else
                    0.0 if np.issubdtype(array.dtype, np.floating) else number_fill)
            array = np.pad(array, missing, constant_values=fill)
        result.append(array)
    return result
