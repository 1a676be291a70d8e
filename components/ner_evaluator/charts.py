"""Charts of the evaluation report as PNG files: per-type P/R/F1 bars and the
entity-confusion heatmap, one panel per split."""

import os
from typing import Dict, List

import matplotlib.pyplot as plt
import numpy as np

from components.ner_evaluator.metrics import MICRO, types_of
from modules.figures import save_figure

PER_TYPE_CHART = "per_type_scores.png"
CONFUSION_CHART = "entity_confusion.png"
_SCORES = (("precision", "precision", "tab:blue"), ("recall", "recall", "tab:orange"),
           ("f1", "F1", "tab:green"))


def per_type_chart(entities_by_split: Dict[str, Dict[str, Dict[str, float]]], path: str) -> str:
    """Grouped bars of precision, recall and F1 for each entity type and the micro
    average, one panel per split (``entities_by_split[split]`` is entity_scores')."""
    splits = list(entities_by_split)
    kinds = types_of(entities_by_split[splits[0]]) + [MICRO]
    panel_width = max(5.2, 0.75 * len(kinds))
    figure, panels = plt.subplots(1, len(splits), figsize=(panel_width * len(splits) + 0.6, 4.6),
                                  sharey=True, squeeze=False)
    width = 0.26
    positions = np.arange(len(kinds))
    for panel, split in zip(panels[0], splits):
        scores = entities_by_split[split]
        for offset, (key, label, colour) in zip((-width, 0.0, width), _SCORES):
            values = [scores[kind][key] for kind in kinds]
            bars = panel.bar(positions + offset, values, width, label=label, color=colour)
            if key == "f1":
                panel.bar_label(bars, labels=[f"{value:.2f}" for value in values],
                                padding=2, fontsize=7.5)
        panel.set_xticks(positions, [f"{kind}\n({scores[kind]['support']})" for kind in kinds],
                         rotation=45 if len(kinds) > 8 else 0, fontsize=8)
        panel.axvline(len(kinds) - 1.5, color="grey", linestyle=":", linewidth=0.8)
        panel.set_title(f"{split} split")
        panel.set_xlabel("entity type (gold entities)")
        panel.set_ylim(0, 1.08)
        panel.grid(True, axis="y", alpha=0.3)
        panel.set_axisbelow(True)
    panels[0][0].set_ylabel("score (seqeval, exact spans)")
    handles, labels = panels[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=3, fontsize=9, frameon=False)
    figure.suptitle("Entity precision, recall and F1 per type (F1 on top of its bar)")
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    save_figure(figure, path)
    return path


def confusion_chart(confusion_by_split: Dict[str, Dict[str, Dict[str, int]]], path: str) -> str:
    """Heatmap of metrics.entity_confusion per split: gold type (rows, with spurious
    spans) against predicted type (columns, with missed entities). Cells show counts
    and the colour each cell's share of its row, so small confusions stay visible."""
    splits = list(confusion_by_split)
    size = max(5.4, 0.6 * len(confusion_by_split[splits[0]]) + 2.0)
    figure, panels = plt.subplots(1, len(splits), figsize=(size * len(splits) + 0.8, size - 0.4),
                                  squeeze=False, layout="constrained")
    image = None
    for panel, split in zip(panels[0], splits):
        confusion = confusion_by_split[split]
        rows = list(confusion)
        columns = list(next(iter(confusion.values())))
        counts = np.array([[confusion[row][column] for column in columns] for row in rows])
        shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        image = panel.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
        for i in range(len(rows)):
            for j in range(len(columns)):
                if i == len(rows) - 1 and j == len(columns) - 1:
                    continue  # spurious × missed: no span is both
                panel.text(j, i, f"{counts[i, j]}\n{shares[i, j]:.0%}", ha="center",
                           va="center", fontsize=8 if len(rows) < 10 else 6,
                           color="white" if shares[i, j] > 0.55 else "black")
        panel.set_xticks(range(len(columns)), columns, rotation=30, ha="right")
        panel.set_yticks(range(len(rows)), rows)
        panel.set_xlabel("predicted type")
        panel.set_ylabel("gold type")
        panel.set_title(f"{split} split")
    figure.colorbar(image, ax=list(panels[0]), fraction=0.025, pad=0.02,
                    label="share of the row")
    figure.suptitle("Entity confusion on exact spans (a boundary error is one missed "
                    "and one spurious span)", fontsize=10)
    save_figure(figure, path)
    return path


def write_charts(results: Dict, directory: str) -> List[str]:
    """The report's charts of ``results["splits"]`` (the evaluator's metrics), written
    into ``directory``; returns their file names."""
    splits = results["splits"]
    per_type_chart({split: values["entities"] for split, values in splits.items()},
                   os.path.join(directory, PER_TYPE_CHART))
    confusion_chart({split: values["confusion"] for split, values in splits.items()},
                    os.path.join(directory, CONFUSION_CHART))
    return [PER_TYPE_CHART, CONFUSION_CHART]
