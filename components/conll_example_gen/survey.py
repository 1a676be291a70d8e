"""A light first pass over a data set, before any example is written.

It finds the tagging scheme of the CoNLL files (tag_schemes.SchemeEvidence)
and where each split's entity types first appear. From that the executor
decides the entity inventory (contracts/inventory.py) and stops a run whose
data holds a type outside it, naming the file and line, before Beam starts.
"""

import dataclasses
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from contracts.conll_format import read_sentences
from components.conll_example_gen.jsonl_format import JsonlStats, pretokenize, read_jsonl
from contracts.tag_schemes import AS_WRITTEN, SchemeEvidence
from contracts.inventory import EntityInventory


class OutsideInventoryError(ValueError):
    """Tags whose entity type is not in the inventory; names file, line and values."""


@dataclasses.dataclass
class Sighting:
    """Where a type first appears in a split (file, line, tag) and how often."""

    source: str
    line: int
    tag: str
    count: int = 0


@dataclasses.dataclass
class SplitSurvey:
    types: Dict[str, Sighting] = dataclasses.field(default_factory=dict)
    evidence: SchemeEvidence = dataclasses.field(default_factory=SchemeEvidence)
    # JSONL only (jsonl_format.py): spans widened to whole words, records without a word.
    misaligned_spans: int = 0
    records_without_words: int = 0

    def add_tags(self, tags: Sequence[str], source: str, first_line: int,
                 one_line: bool = False) -> None:
        """Tags of one sentence, on consecutive lines from ``first_line`` (CoNLL)
        or all on that line (``one_line``: a JSONL record)."""
        for offset, tag in enumerate(tags):
            if tag != "O":
                line = first_line if one_line else first_line + offset
                self.add_type(tag.split("-", 1)[1], source, line, tag)

    def add_type(self, kind: str, source: str, line: int, tag: str) -> None:
        sighting = self.types.setdefault(kind, Sighting(source, line, tag))
        sighting.count += 1


def survey_conll(lines: Iterable[str], source: str, into: SplitSurvey,
                 scheme: str = AS_WRITTEN) -> None:
    """Adds one CoNLL file's tags to ``into`` (format errors raise as the reader
    does). With a given ``scheme`` its prefixes are checked (and no evidence is
    needed: types and lines are the same after rewriting)."""
    for sentence in read_sentences(lines, source, scheme):
        into.evidence.add(sentence.ner_tags)
        into.add_tags(sentence.ner_tags, source, sentence.first_line)


def survey_jsonl(lines: Iterable[str], source: str, into: SplitSurvey) -> None:
    """Adds one JSONL file's spans to ``into``. The file is read whole, words and
    all (jsonl_format.py), so that a bad record stops the run here."""
    stats = JsonlStats()
    for sentence in read_jsonl(lines, source, pretokenize, stats):
        into.add_tags(sentence.ner_tags, source, sentence.first_line, one_line=True)
    into.misaligned_spans += stats.misaligned_spans
    into.records_without_words += stats.skipped_without_words


def decide_inventory(train: SplitSurvey, declared: Optional[Tuple[str, ...]],
                     source_scheme: str) -> Tuple[EntityInventory, List[str]]:
    """The inventory (declared, or the train split's types) and warnings: a
    declared type that train never shows cannot be learnt."""
    if not declared:
        return EntityInventory.from_types(train.types, source_scheme), []
    absent = [kind for kind in declared if kind not in train.types]
    warnings = [f"--labels declares {', '.join(absent)}, which the train split never tags: "
                f"the model cannot learn {'it' if len(absent) == 1 else 'them'}"] if absent else []
    return EntityInventory(tuple(declared), source_scheme), warnings


def check_inventory(surveys: Mapping[str, SplitSurvey], inventory: EntityInventory,
                    declared: bool) -> None:
    """Raises OutsideInventoryError, in one line led by the first offending
    file:line, if any split tags a type outside the inventory."""
    outside = [(split, kind, sighting) for split, survey in surveys.items()
               for kind, sighting in survey.types.items() if kind not in inventory.types]
    if not outside:
        return
    first = outside[0][2]
    origin = "declared by --labels" if declared else "the types of the train split"
    values = "; ".join(
        f"{sighting.tag} ({sighting.count} tag{'s' if sighting.count > 1 else ''}, "
        f"split '{split}', first at {sighting.source}:{sighting.line})"
        for split, _, sighting in outside)
    raise OutsideInventoryError(
        f"{first.source}:{first.line}: entity types outside the inventory "
        f"({', '.join(inventory.types) or 'no type'}: {origin}): {values}")
