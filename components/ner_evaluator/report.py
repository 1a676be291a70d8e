"""Human-readable outputs of the evaluation: Markdown report and CoNLL prediction files."""

from typing import Dict, List

from contracts import features


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


def markdown_report(metrics: Dict, blessed: bool, reason: str, curves: List[str]) -> str:
    splits = list(metrics["splits"])
    parts = ["# NER model evaluation", "",
             f"**{'BLESSED' if blessed else 'NOT BLESSED'}**: {reason}", "", "## Metrics", "",
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
    for split in splits:
        entities = metrics["splits"][split]["entities"]
        parts += [f"## Per type ({split})", "",
                  _table(["type", "precision", "recall", "F1", "support"],
                         [[kind, f"{entities[kind]['precision']:.4f}",
                           f"{entities[kind]['recall']:.4f}", f"{entities[kind]['f1']:.4f}",
                           str(entities[kind]['support'])] for kind in features.ENTITY_TYPES]),
                  ""]
        confusion = metrics["splits"][split]["confusion"]
        columns = list(next(iter(confusion.values())))
        parts += [f"## Entity type confusion ({split}; rows gold, columns predicted, exact spans)",
                  "", _table(["gold \\ predicted"] + columns,
                             [[row] + [str(values[c]) for c in columns]
                              for row, values in confusion.items()]), ""]
    if curves:
        parts += ["## Training curves", ""] + [f"![{name}]({name})" for name in curves] + [""]
    return "\n".join(parts)
