"""The monitor's report: a Markdown table per model version and one picture of the
distributions, training against served, for people reading what the alert was about."""

import dataclasses
from typing import List, Optional

from serving.drift_check import Row
from serving.drift_features import CASINGS, LENGTHS, Profile, entity_categories, shares

_VERDICT = {True: "**DRIFT**", False: "ok", None: "not judged"}


@dataclasses.dataclass(frozen=True)
class VersionReport:
    model: str
    version: Optional[int]
    examples_uri: str
    requests: int
    training: Profile
    served: Profile
    rows: List[Row]

    @property
    def title(self) -> str:
        return f"model {self.model}, version {self.version}"

    def drifted(self) -> List[str]:
        return [row.feature for row in self.rows if row.drift]


def markdown(reports: List[VersionReport], header: str, picture: Optional[str]) -> str:
    lines = ["# Drift in served traffic", "", header, ""]
    for report in reports:
        served = report.served
        lines += [f"## {report.title.capitalize()}", "",
                  f"Served: {report.requests} logged requests, {served.sentences} sentences, "
                  f"{served.word_count} words. Training split: `{report.examples_uri}` "
                  f"(train, {report.training.sentences} sentences).", "",
                  "| feature | training | served | distance | limit | verdict |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {row.feature} | {row.training} | {row.served} | {row.distance} | "
                  f"{row.limit} | {_VERDICT[row.drift]} |" for row in report.rows]
        lines += ["", _verdict(report), ""]
    if picture:
        lines += [f"![training against served distributions]({picture})", ""]
    return "\n".join(lines)


def _verdict(report: VersionReport) -> str:
    if report.drifted():
        return f"**Drift:** {', '.join(report.drifted())}."
    if all(row.drift is None for row in report.rows):
        return "Not judged: fewer served sentences than --min-sentences."
    return "No drift."


def picture(reports: List[VersionReport], path: str) -> None:
    """One row of bar charts per version: sentence lengths, casing, entity types."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot
    figure, axes = pyplot.subplots(len(reports), 3, figsize=(15, 3.6 * len(reports)),
                                   squeeze=False)
    for row_axes, report in zip(axes, reports):
        panels = (("words per sentence", "lengths", LENGTHS),
                  ("casing of words", "casings", CASINGS),
                  ("entity types of words", "entity_types",
                   entity_categories(report.training, report.served)))
        for axis, (title, field, categories) in zip(row_axes, panels):
            positions = range(len(categories))
            for offset, (label, profile) in ((-0.2, ("training", report.training)),
                                             (0.2, ("served", report.served))):
                values = shares(getattr(profile, field), categories).values()
                axis.bar([p + offset for p in positions], list(values), 0.4, label=label)
            axis.set_xticks(list(positions), list(categories))
            axis.set_title(f"{title} ({report.title})", fontsize=9)
            axis.set_ylabel("share")
        row_axes[0].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    pyplot.close(figure)
