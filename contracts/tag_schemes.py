"""Tagging schemes: detect which one a data set uses and rewrite it as IOB2.

Read: IOB1 (the original CoNLL-2003 files), IOB2, IOBES (``S-``/``E-``, also
called BIOES) and BILOU (``U-``/``L-``). Everything downstream sees IOB2.

Conversion tracks the open chunk (its type, or none):
  * ``B-X`` opens a chunk of X; ``S-X``/``U-X`` are one-word chunks;
  * ``I-X`` continues an open chunk of X; ``E-X``/``L-X`` continue and close it;
  * ``O`` closes any chunk.
An ``I-X``, ``E-X`` or ``L-X`` whose type differs from the open chunk, or with
no open chunk, is ill-formed: it is *repaired* by starting a new chunk of X
there (``B-X``), the way conlleval and seqeval read such a tag, and counted.
In IOB1 an ``I-X`` that opens a chunk is the scheme's rule, not an error: it
is rewritten to ``B-X`` and counted separately. A chunk left open (``B-X O``
in IOBES) is a one-word-longer chunk's end and needs no repair.
"""

import dataclasses
import re
from typing import Iterable, Optional, Tuple

AUTO = "auto"
AS_WRITTEN = "as-written"  # read tags without rewriting them (to survey a data set)
SCHEMES = ("IOB1", "IOB2", "IOBES", "BILOU")
PREFIXES = {"IOB1": "BI", "IOB2": "BI", "IOBES": "BIES", "BILOU": "BILU"}
TAG = re.compile(r"O|([BIESLU])-(\S+)")


def split_tag(tag: str) -> Optional[Tuple[str, Optional[str]]]:
    """(prefix, type) of a well-formed tag, ('O', None) for O; None if malformed."""
    match = TAG.fullmatch(tag)
    if match is None:
        return None
    return (match.group(1), match.group(2)) if match.group(1) else ("O", None)


def scheme_name(value: str) -> str:
    """``--tag-scheme`` value as a canonical name (BIOES is IOBES); 'auto' stays."""
    upper = value.strip().upper()
    upper = "IOBES" if upper == "BIOES" else upper
    if value.strip().lower() == AUTO:
        return AUTO
    if upper not in SCHEMES:
        raise ValueError(f"must be auto, {', '.join(s.lower() for s in SCHEMES)} or bioes, "
                         f"not {value!r}")
    return upper


@dataclasses.dataclass
class SchemeEvidence:
    """What a data set's tags say about their scheme; mergeable across files."""

    prefixes: set = dataclasses.field(default_factory=set)
    opening_begins: int = 0  # B-X after O, another type or the sentence start: IOB2
    opening_insides: int = 0  # I-X there: IOB1 (or ill-formed IOB2)

    def add(self, tags: Iterable[str]) -> None:
        previous_type = None
        for tag in tags:
            prefix, kind = split_tag(tag)
            self.prefixes.add(prefix)
            if prefix in "BI" and kind != previous_type:
                if prefix == "B":
                    self.opening_begins += 1
                else:
                    self.opening_insides += 1
            previous_type = kind

    def merge(self, other: "SchemeEvidence") -> None:
        self.prefixes |= other.prefixes
        self.opening_begins += other.opening_begins
        self.opening_insides += other.opening_insides

    def scheme(self) -> str:
        """The scheme these tags are in; raises ValueError if they mix two."""
        iobes, bilou = self.prefixes & set("SE"), self.prefixes & set("LU")
        if iobes and bilou:
            raise ValueError(
                f"the tags mix IOBES prefixes ({', '.join(sorted(iobes))}-) and BILOU prefixes "
                f"({', '.join(sorted(bilou))}-); pass --tag-scheme to say which is meant")
        if iobes:
            return "IOBES"
        if bilou:
            return "BILOU"
        return "IOB1" if self.opening_insides and not self.opening_begins else "IOB2"


@dataclasses.dataclass(frozen=True)
class Conversion:
    tags: Tuple[str, ...]
    rewritten: int  # IOB1 chunk openings rewritten to B- (the scheme's rule)
    repaired: int   # ill-formed tags that start a new chunk instead


def to_iob2(tags: Iterable[str], scheme: str) -> Conversion:
    """The tags (well-formed, prefixes of ``scheme``) rewritten to IOB2."""
    result, rewritten, repaired = [], 0, 0
    open_type = None
    for tag in tags:
        prefix, kind = split_tag(tag)
        if prefix == "O":
            result.append("O")
            open_type = None
        elif prefix in "BSU":
            result.append("B-" + kind)
            open_type = kind if prefix == "B" else None
        elif kind == open_type:
            result.append("I-" + kind)
            open_type = kind if prefix == "I" else None
        else:
            result.append("B-" + kind)
            open_type = kind if prefix == "I" else None
            if scheme == "IOB1" and prefix == "I":
                rewritten += 1
            else:
                repaired += 1
    return Conversion(tuple(result), rewritten, repaired)
