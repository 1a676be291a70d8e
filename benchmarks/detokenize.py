"""Writes CoNLL tokens back as ordinary text, the way such sentences appear in the wild.

Served requests carry text like ``Merkel visited Paris.``, not ``Merkel
visited Paris .``; benchmarks use this to turn the gold CoNLL sentences into
such text while keeping each token's character span, so that predictions on
the raw text can still be scored against the gold tags.
"""

import re
from typing import List, Sequence, Tuple

# Attached to the word before: closing punctuation and clitics ('s, n't, 're...).
_NO_SPACE_BEFORE = re.compile(
    r"[,.;:!?)\]}'’”»]|\.{2,}|(?i:['’](?:s|m|re|ve|ll|d)|n['’]t)")
# Attached to the word after.
_NO_SPACE_AFTER = frozenset("([{“‘«")
# Double quotes open and close in turn within a sentence; one that ends the
# sentence closes (CoNLL sentences may start inside a quotation).
_DOUBLE_QUOTE = '"'


def detokenize(tokens: Sequence[str]) -> Tuple[str, List[Tuple[int, int]]]:
    """Joins tokens into text; returns it with each token's [start, end) character span."""
    text = ""
    spans = []
    quote_open = False
    glue_next = True  # no space before the first token
    for index, token in enumerate(tokens):
        if token == _DOUBLE_QUOTE:
            closes = quote_open or all(_NO_SPACE_BEFORE.fullmatch(after)
                                       for after in tokens[index + 1:])
            glue_before, glue_after = closes, not closes
            quote_open = not closes
        else:
            glue_before = bool(_NO_SPACE_BEFORE.fullmatch(token))
            glue_after = token in _NO_SPACE_AFTER
        if not (glue_next or glue_before):
            text += " "
        spans.append((len(text), len(text) + len(token)))
        text += token
        glue_next = glue_after
    return text, spans
