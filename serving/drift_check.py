"""Served traffic against its model's training split, feature by feature, with thresholds.

Distributions (words per sentence, casing, entity types) are compared by
their population stability index. Unseen words are compared with the share
the eval split has against the training vocabulary: new text always brings
some unseen words, so that is the normal level, not zero. Training data has
no confidence, so the served mean confidence has a floor of its own.
"""

import dataclasses
from typing import List, Mapping, Optional

from serving.drift_features import (
    CASINGS, LENGTHS, Profile, entity_categories, psi, shares, unseen_share)


@dataclasses.dataclass(frozen=True)
class Thresholds:
    max_psi: float = 0.2  # per distribution; 0.1-0.25 is the usual "some shift" band
    max_unseen_increase: float = 0.10  # share points above the eval split's unseen share
    min_confidence: float = 0.90  # mean score of the served words
    min_sentences: int = 100  # fewer served sentences: reported, not judged


@dataclasses.dataclass(frozen=True)
class Row:
    feature: str
    training: str
    served: str
    distance: str
    limit: str
    drift: Optional[bool]  # None: not judged (too few sentences)


def compare(training: Profile, eval_unseen: float, served: Profile,
            thresholds: Thresholds) -> List[Row]:
    judged = served.sentences >= thresholds.min_sentences
    psi_limit = f"PSI ≤ {thresholds.max_psi:g}"

    def verdict(crossed: bool) -> Optional[bool]:
        return crossed if judged else None

    rows = []
    for feature, train_counts, served_counts, categories in (
            ("words per sentence", training.lengths, served.lengths, LENGTHS),
            ("casing of words", training.casings, served.casings, CASINGS),
            ("entity types of words", training.entity_types, served.entity_types,
             entity_categories(training, served))):
        distance = psi(train_counts, served_counts, categories)
        train_text, served_text = (_mix(counts, categories)
                                   for counts in (train_counts, served_counts))
        if feature == "words per sentence":
            train_text = f"mean {training.mean_length():.1f}; {train_text}"
            served_text = f"mean {served.mean_length():.1f}; {served_text}"
        rows.append(Row(feature, train_text, served_text, f"PSI {distance:.3f}", psi_limit,
                        verdict(distance > thresholds.max_psi)))
    unseen = unseen_share(served.words, training.words)
    increase = unseen - eval_unseen
    rows.append(Row("words unseen in training", f"{eval_unseen:.1%} (eval split)",
                    f"{unseen:.1%}", f"{increase * 100:+.1f} points",
                    f"≤ {thresholds.max_unseen_increase * 100:+.0f} points",
                    verdict(increase > thresholds.max_unseen_increase)))
    confidence = served.mean_score()
    rows.append(Row("mean confidence", "n/a",
                    "n/a" if confidence is None else f"{confidence:.3f}", "",
                    f"≥ {thresholds.min_confidence:g}",
                    None if confidence is None else verdict(
                        confidence < thresholds.min_confidence)))
    return rows


def _mix(counts: Mapping[str, int], categories) -> str:
    return ", ".join(f"{category} {share:.0%}"
                     for category, share in shares(counts, categories).items())
