"""Drift between spans: the measures, their thresholds (the one place they are
set), and the result that the run summary, the evaluation report and the drift
gate read.

The ingested span's train file is compared with the previous span's
(components/span_drift/). A measure above its threshold is drift.

The thresholds are set so that consecutive spans of CoNLL-2003's train file,
cut into 3 or 6 spans by document (2,300 to 4,700 sentences a span), stay
within them, and a span shifted one way (its rarest entity type removed, its
text lower-cased, its sentences joined in pairs) exceeds the threshold of the
measure that shift moves (``python -m benchmarks.span_drift``; README, "Drift
between spans"). Smaller spans differ more by chance: at about 1,200 sentences
a span, real spans differ in tags and unseen words as much as shifted ones.
Raise the thresholds here for spans that small.
"""

import dataclasses
import json
from typing import Tuple

TAG_DIVERGENCE = "tag_divergence"
LENGTH_DIVERGENCE = "length_divergence"
UNSEEN_WORDS = "unseen_words"
# A word counts towards UNSEEN_WORDS when the new span uses it this often: one-off
# names and numbers are the ordinary novelty of news, and they vary with span size.
RECURRING_USES = 5
# Each measure's name in messages and tables, and what it is.
LABELS = {TAG_DIVERGENCE: "tag distribution", LENGTH_DIVERGENCE: "sentence length",
          UNSEEN_WORDS: "unseen words"}
DEFINITIONS = {
    TAG_DIVERGENCE: "Jensen-Shannon divergence of ner_tags",
    LENGTH_DIVERGENCE: "Jensen-Shannon divergence of words per sentence",
    UNSEEN_WORDS: f"share of the uses of words used {RECURRING_USES}+ times that the "
                  f"previous span never has",
}
# Custom properties of the drift artifact: the whole check as JSON, and 0/1.
CHECK_PROPERTY = "drift_check"
DRIFTED_PROPERTY = "drifted"


@dataclasses.dataclass(frozen=True)
class DriftThresholds:
    """The largest value of each measure that is not drift (see the module docstring)."""

    tag_divergence: float = 0.006
    length_divergence: float = 0.08
    unseen_words: float = 0.08


@dataclasses.dataclass(frozen=True)
class Measure:
    name: str
    value: float
    threshold: float

    @property
    def drifted(self) -> bool:
        return self.value > self.threshold

    def describe(self) -> str:
        return (f"{LABELS[self.name]} ({DEFINITIONS[self.name]}) {self.value:.4f} "
                f"{'above' if self.drifted else 'within'} {self.threshold:g}")


@dataclasses.dataclass(frozen=True)
class DriftCheck:
    """The ingested span's folder against the previous one's; without a previous
    span (the first span, or a directory without span folders) nothing is measured."""

    span: str = ""
    previous_span: str = ""
    measures: Tuple[Measure, ...] = ()

    @property
    def drifted(self) -> bool:
        return any(measure.drifted for measure in self.measures)

    def verdict(self) -> str:
        """One line: what was compared and, on drift, each measure above its threshold."""
        if not self.previous_span:
            before = f"before {self.span}" if self.span else "(no span folders)"
            return f"no previous span {before}: nothing to compare"
        compared = f"{self.span} against {self.previous_span}"
        if not self.drifted:
            return f"{compared}: no drift"
        return f"{compared}: " + "; ".join(
            measure.describe() for measure in self.measures if measure.drifted)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "DriftCheck":
        values = json.loads(text)
        return cls(values["span"], values["previous_span"],
                   tuple(Measure(**measure) for measure in values["measures"]))
