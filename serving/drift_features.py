"""The features ``ner-pipeline monitor`` compares between a model's training split and
the traffic it served, and the distance it uses: the population stability index.

Pure Python, so each rule is unit-tested in milliseconds. Both sides are
reduced to the same counts (a Profile): sentence lengths in bins, the casing
of each word, the entity type of each word (gold tags in training, predicted
ones when served) and the word forms; served words also carry the model's
confidence.
"""

import collections
import dataclasses
import functools
import math
from typing import Counter, Dict, Iterable, Mapping, Optional, Sequence

LENGTH_BINS = ((1, 5), (6, 10), (11, 20), (21, 30), (31, 40), (41, None))
LENGTHS = tuple(f"{low}+" if high is None else f"{low}-{high}" for low, high in LENGTH_BINS)
CASINGS = ("lower", "Title", "UPPER", "mixed", "no letters")
OUTSIDE = "O"
# Shares below this count as this much, so that a category one side lacks adds a
# large but finite term (a category at 5% against none adds 0.31).
PSI_FLOOR = 1e-4


def length_bin(word_count: int) -> str:
    for label, (low, high) in zip(LENGTHS, LENGTH_BINS):
        if word_count >= low and (high is None or word_count <= high):
            return label
    raise ValueError(f"a sentence has at least one word, not {word_count}")


@functools.lru_cache(maxsize=1 << 16)  # word forms repeat; a training split has ~200k words
def casing(word: str) -> str:
    """lower, Title (one capital, then lower case: "Paris", "I"), UPPER ("EU"),
    mixed ("McDonald", "iPhone") or no letters (none with a case: "1996", ",")."""
    letters = [char for char in word if char.isalpha()]
    if not any(char.isupper() or char.islower() for char in letters):
        return "no letters"
    if not any(char.isupper() for char in letters):
        return "lower"
    if letters[0].isupper() and not any(char.isupper() for char in letters[1:]):
        return "Title"
    if not any(char.islower() for char in letters):
        return "UPPER"
    return "mixed"


@functools.lru_cache(maxsize=256)
def entity_type(tag: str) -> str:
    """The entity type an IOB2 tag names ("B-<type>" and "I-<type>" -> "<type>"), as the
    served model's inventory spells it; O outside entities."""
    return tag.split("-", 1)[1] if tag[:2] in ("B-", "I-") else OUTSIDE


@dataclasses.dataclass
class Profile:
    """One side of the comparison, as counts."""

    sentences: int = 0
    lengths: Counter[str] = dataclasses.field(default_factory=collections.Counter)
    casings: Counter[str] = dataclasses.field(default_factory=collections.Counter)
    entity_types: Counter[str] = dataclasses.field(default_factory=collections.Counter)
    words: Counter[str] = dataclasses.field(default_factory=collections.Counter)
    score_sum: float = 0.0
    scores: int = 0

    def add(self, words: Sequence[str], tags: Sequence[str],
            scores: Optional[Sequence[float]] = None) -> None:
        """One sentence: its words, their IOB2 tags and, when served, their scores."""
        if not words:
            return
        self.sentences += 1
        self.lengths[length_bin(len(words))] += 1
        self.casings.update(casing(word) for word in words)
        self.entity_types.update(entity_type(tag) for tag in tags)
        self.words.update(words)
        if scores is not None:
            self.score_sum += sum(scores)
            self.scores += len(scores)

    @property
    def word_count(self) -> int:
        return sum(self.words.values())

    def mean_length(self) -> float:
        return self.word_count / self.sentences if self.sentences else 0.0

    def mean_score(self) -> Optional[float]:
        return self.score_sum / self.scores if self.scores else None


def shares(counts: Mapping[str, int], categories: Iterable[str]) -> Dict[str, float]:
    total = sum(counts.values())
    return {category: counts.get(category, 0) / total if total else 0.0
            for category in categories}


def psi(expected: Mapping[str, int], actual: Mapping[str, int],
        categories: Optional[Sequence[str]] = None) -> float:
    """Population stability index: sum over categories of (a - e) * ln(a / e), shares
    floored at PSI_FLOOR. Rule of thumb: < 0.1 stable, 0.1-0.25 some shift, > 0.25 a shift."""
    categories = categories or sorted(set(expected) | set(actual))
    expected_shares, actual_shares = shares(expected, categories), shares(actual, categories)
    total = 0.0
    for category in categories:
        e = max(expected_shares[category], PSI_FLOOR)
        a = max(actual_shares[category], PSI_FLOOR)
        total += (a - e) * math.log(a / e)
    return total


def unseen_share(words: Mapping[str, int], vocabulary: Mapping[str, int]) -> float:
    """The share of word occurrences whose exact form (case included) is not in ``vocabulary``."""
    total = sum(words.values())
    unseen = sum(count for word, count in words.items() if word not in vocabulary)
    return unseen / total if total else 0.0


def entity_categories(*profiles: Profile) -> tuple:
    """O first, then every entity type either side has, sorted."""
    types = set().union(*(profile.entity_types for profile in profiles)) - {OUTSIDE}
    return (OUTSIDE, *sorted(types))
