"""Human-readable outputs of the evaluation: Markdown report and CoNLL prediction files."""

from typing import Dict, List, Optional, Sequence

from components.ner_evaluator.charts import CONFUSION_CHART, PER_TYPE_CHART
from components.ner_evaluator.metrics import types_of
from contracts.drift import DEFINITIONS, LABELS, DriftCheck
from contracts.files import STEP_CURVE


def conll_predictions(tokens: List[List[str]], gold: List[List[str]],
                      predicted: List[List[str]]) -> str:
    """``token gold predicted`` per line, a blank line after each sentence (conlleval input)."""
    blocks = ["\n".join(f"{t} {g} {p}" for t, g, p in zip(*row)) + "\n"
              for row in zip(tokens, gold, predicted)]
    return "\n".join(blocks)


def _table(header: List[str], rows: List[List[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(text) -> str:
    """A Markdown table cell: pipes escaped, line breaks as <br>."""
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def _images(names: Sequence[str], available: Sequence[str]) -> List[str]:
    return [f"![{name}]({name})" for name in names if name in available] + (
        [""] if any(name in available for name in names) else [])


def error_section(split: str, categories, patterns, files: Sequence[str], top: int) -> List[str]:
    """Markdown lines of one split's error analysis (error_analysis.category_table and
    error_analysis.pattern_table), the top ``top`` patterns with their examples."""
    total = int(categories["errors"].sum())
    parts = [f"### Errors on {split} ({total} errors)", "",
             _table(["category", "errors", "share"],
                    [[row.category, str(row.errors), f"{row.share:.1%}"]
                     for row in categories.itertuples()]), ""]
    if len(patterns):
        parts += [f"Top {min(top, len(patterns))} of {len(patterns)} patterns:", "",
                  _table(["#", "pattern", "category", "errors", "share", "most frequent words",
                          "examples (gold, then predicted)"],
                         [[str(rank + 1), _cell(row.pattern), row.category, str(row.errors),
                           f"{row.share:.1%}", _cell(row.frequent_words),
                           _cell("<br>".join(f"gold: {example['gold']}<br>"
                                             f"predicted: {example['predicted']}"
                                             for example in row.examples))]
                          for rank, row in enumerate(patterns.head(top).itertuples())]), ""]
    if files:
        parts += ["Tables as CSV: " + ", ".join(f"[{name}]({name})" for name in files), ""]
    return parts


ERROR_CATEGORIES_NOTE = (
    "Each gold or predicted entity that is not exactly right (seqeval) falls in one "
    "error: a *type confusion* has the gold extent and another type; a *boundary* "
    "error overlaps a gold entity of its type with another extent (too short, too long, "
    "shifted, split, merged), *boundary and type* also has another type; a *missed* "
    "gold entity overlaps no prediction, a *spurious* prediction no gold entity. "
    "Examples mark the spans of the error as `[words]TYPE`.")


def drift_section(check: DriftCheck) -> List[str]:
    """Markdown lines of SpanDrift's check of the ingested span against the previous one."""
    parts = ["## Data drift", "",
             f"{'**DRIFT**' if check.drifted else 'Passed'}: {check.verdict()}", ""]
    if check.measures:
        parts += [_table(["measure", "what", "value", "threshold", "drift"],
                         [[LABELS[measure.name], DEFINITIONS[measure.name],
                           f"{measure.value:.4f}", f"{measure.threshold:g}",
                           "yes" if measure.drifted else "no"] for measure in check.measures]),
                  "", "Thresholds: contracts/drift.py. `--drift-gate` stops a run on drift "
                      "before Transform.", ""]
    return parts


def markdown_report(metrics: Dict, blessed: bool, reason: str, curves: List[str],
                    charts: Sequence[str] = (), errors: Optional[Dict[str, Dict]] = None,
                    top_errors: int = 12, drift: Optional[DriftCheck] = None) -> str:
    """The report; ``curves`` and ``charts`` name the PNG files beside it (the
    training curves copied from the ModelRun, charts.py's), ``errors`` maps a split
    to its error tables: {"categories", "patterns", "files" (CSV names)}; ``drift``
    is the check of the training data's newest span."""
    splits = list(metrics["splits"])
    parts = ["# NER model evaluation", "",
             f"**{'BLESSED' if blessed else 'NOT BLESSED'}**: {reason}", "",
             *(drift_section(drift) if drift else []), "## Metrics", "",
             _table(["split", "loss", "token accuracy", "entity P", "entity R", "entity F1",
                     "entities"],
                    [[split, f"{m['loss']:.4f}", f"{m['accuracy']:.4f}",
                      f"{m['entities']['micro']['precision']:.4f}",
                      f"{m['entities']['micro']['recall']:.4f}",
                      f"{m['entities']['micro']['f1']:.4f}",
                      str(m['entities']['micro']['support'])]
                     for split, m in metrics["splits"].items()]),
             "", "Loss and accuracy are over words (each word's first piece); entity scores "
                 "are seqeval's default (conlleval) scoring.", ""]
    parts += _images([STEP_CURVE], curves)
    parts += ["## Per type", ""] + _images([PER_TYPE_CHART], charts)
    for split in splits:
        entities = metrics["splits"][split]["entities"]
        parts += [f"### {split}", "",
                  _table(["type", "precision", "recall", "F1", "support"],
                         [[kind, f"{entities[kind]['precision']:.4f}",
                           f"{entities[kind]['recall']:.4f}", f"{entities[kind]['f1']:.4f}",
                           str(entities[kind]['support'])] for kind in types_of(entities)]),
                  ""]
    parts += ["## Entity type confusion", ""] + _images([CONFUSION_CHART], charts)
    for split in splits:
        confusion = metrics["splits"][split]["confusion"]
        columns = list(next(iter(confusion.values())))
        parts += [f"### {split} (rows gold, columns predicted, exact spans)",
                  "", _table(["gold \\ predicted"] + columns,
                             [[row] + [str(values[c]) for c in columns]
                              for row, values in confusion.items()]), ""]
    if errors:
        parts += ["## Error analysis", "", ERROR_CATEGORIES_NOTE, ""]
        for split, tables in errors.items():
            parts += error_section(split, tables["categories"], tables["patterns"],
                                   tables.get("files", ()), top_errors)
    others = [name for name in curves if name != STEP_CURVE]
    if others:
        parts += ["## Training curves per epoch", ""] + _images(others, curves)
    return "\n".join(parts)
