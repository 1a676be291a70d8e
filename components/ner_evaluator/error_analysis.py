"""Error analysis of predicted entity spans against gold, as pandas tables.

Every sentence's spans are compared on their word extent. A predicted span with
the gold span's extent and type is correct; with its extent but another type it
is a type confusion. The remaining gold and predicted spans are grouped by
overlap: a group with only a gold span is a missed entity, one with only a
predicted span a spurious one, and a group where they overlap is a boundary
error (and a type confusion too when the types differ). So every gold or
predicted span that seqeval does not count as correct lands in exactly one error.
"""

import collections
import io
import os
from typing import Dict, List, Sequence, Tuple

import pandas as pd
import tensorflow as tf
from seqeval.metrics.sequence_labeling import get_entities

TYPE = "type confusion"
BOUNDARY = "boundary"
BOUNDARY_AND_TYPE = "boundary and type"
MISSED = "missed"
SPURIOUS = "spurious"
CATEGORIES = (TYPE, BOUNDARY, BOUNDARY_AND_TYPE, MISSED, SPURIOUS)

ERROR_COLUMNS = ["sentence", "category", "pattern", "gold", "predicted", "words",
                 "gold_in_context", "predicted_in_context", "text"]
CONTEXT_WORDS = 4  # words shown either side of an error in its example

Span = Tuple[str, int, int]  # type, first word, one past the last word


def spans(tags: Sequence[str]) -> List[Span]:
    """Entity spans of an IOB tag sequence, read as seqeval reads them."""
    return [(kind, start, end + 1) for kind, start, end in get_entities(list(tags))]


def _overlaps(a: Span, b: Span) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def _shape(gold: List[Span], predicted: List[Span]) -> str:
    """How the predicted extent of a boundary error differs from the gold one."""
    if len(gold) == 1 and len(predicted) == 1:
        (_, gold_start, gold_end), (_, start, end) = gold[0], predicted[0]
        if gold_start <= start and end <= gold_end:
            return "too short"
        if start <= gold_start and gold_end <= end:
            return "too long"
        return "shifted"
    if len(gold) == 1:
        return "split"
    if len(predicted) == 1:
        return "merged"
    return "split and merged"


def _types(group: List[Span]) -> str:
    return "+".join(sorted({kind for kind, _, _ in group}))


def classify(gold_tags: Sequence[str], predicted_tags: Sequence[str]
             ) -> List[Tuple[str, str, List[Span], List[Span]]]:
    """The errors of one sentence: (category, pattern, gold spans, predicted spans).

    Patterns name the types involved: "ORG → LOC" (type confusion), "ORG too short"
    (boundary: too short, too long, shifted, split, merged), "ORG → LOC (split)",
    "PER missed", "spurious MISC".
    """
    gold, predicted = spans(gold_tags), spans(predicted_tags)
    predicted_by_extent = {(start, end): kind for kind, start, end in predicted}
    errors, gold_left = [], []
    matched = set()
    for kind, start, end in gold:
        predicted_kind = predicted_by_extent.get((start, end))
        if predicted_kind is None:
            gold_left.append((kind, start, end))
            continue
        matched.add((start, end))
        if predicted_kind != kind:
            errors.append((TYPE, f"{kind} → {predicted_kind}", [(kind, start, end)],
                           [(predicted_kind, start, end)]))
    predicted_left = [span for span in predicted if span[1:] not in matched]
    # Connected groups of overlapping leftover spans (spans of one side never overlap).
    seen = set()
    for first in gold_left + predicted_left:
        if first in seen:
            continue
        group_gold, group_predicted, pending = [], [], [first]
        seen.add(first)
        while pending:
            span = pending.pop()
            is_gold = span in gold_left
            (group_gold if is_gold else group_predicted).append(span)
            for other in (predicted_left if is_gold else gold_left):
                if other not in seen and _overlaps(span, other):
                    seen.add(other)
                    pending.append(other)
        group_gold.sort(key=lambda span: span[1])
        group_predicted.sort(key=lambda span: span[1])
        if not group_predicted:
            errors.append((MISSED, f"{_types(group_gold)} missed", group_gold, []))
        elif not group_gold:
            errors.append((SPURIOUS, f"spurious {_types(group_predicted)}", [], group_predicted))
        else:
            shape = _shape(group_gold, group_predicted)
            gold_types, predicted_types = _types(group_gold), _types(group_predicted)
            if gold_types == predicted_types:
                errors.append((BOUNDARY, f"{gold_types} {shape}", group_gold, group_predicted))
            else:
                errors.append((BOUNDARY_AND_TYPE, f"{gold_types} → {predicted_types} ({shape})",
                               group_gold, group_predicted))
    errors.sort(key=lambda error: min(span[1] for span in error[2] + error[3]))
    return errors


def _marked(tokens: Sequence[str], marked: List[Span], first: int, last: int) -> str:
    """Words first..last-1 with each span of ``marked`` as ``[words]TYPE``."""
    starts = {start: (kind, end) for kind, start, end in marked}
    words, index = [], first
    while index < last:
        if index in starts:
            kind, end = starts[index]
            words.append(f"[{' '.join(tokens[index:end])}]{kind}")
            index = end
        else:
            words.append(tokens[index])
            index += 1
    return (("… " if first > 0 else "") + " ".join(words)
            + (" …" if last < len(tokens) else ""))


def _span_text(tokens: Sequence[str], group: List[Span]) -> str:
    return " ".join(f"[{' '.join(tokens[start:end])}]{kind}" for kind, start, end in group)


def error_table(tokens: List[List[str]], gold: List[List[str]], predicted: List[List[str]],
                context: int = CONTEXT_WORDS) -> pd.DataFrame:
    """One row per error, in sentence order (columns ERROR_COLUMNS).

    ``words`` is the erroneous text (the gold words, or the predicted ones of a
    spurious entity); the ``*_in_context`` columns show ``context`` words either
    side with the gold or the predicted spans of that error marked.
    """
    rows = []
    for index, (row_tokens, row_gold, row_predicted) in enumerate(zip(tokens, gold, predicted)):
        for category, pattern, gold_spans, predicted_spans in classify(row_gold, row_predicted):
            involved = gold_spans + predicted_spans
            first = max(0, min(span[1] for span in involved) - context)
            last = min(len(row_tokens), max(span[2] for span in involved) + context)
            key_spans = gold_spans or predicted_spans
            rows.append({
                "sentence": index, "category": category, "pattern": pattern,
                "gold": _span_text(row_tokens, gold_spans),
                "predicted": _span_text(row_tokens, predicted_spans),
                "words": " / ".join(" ".join(row_tokens[start:end])
                                    for _, start, end in key_spans),
                "gold_in_context": _marked(row_tokens, gold_spans, first, last),
                "predicted_in_context": _marked(row_tokens, predicted_spans, first, last),
                "text": " ".join(row_tokens)})
    return pd.DataFrame(rows, columns=ERROR_COLUMNS)


def category_table(errors: pd.DataFrame) -> pd.DataFrame:
    """Errors per category (every category listed, also with no error) and their share."""
    counts = errors["category"].value_counts().reindex(list(CATEGORIES), fill_value=0)
    table = counts.rename("errors").rename_axis("category").reset_index()
    table["share"] = table["errors"] / max(len(errors), 1)
    return table


def _frequent(words: pd.Series, top: int) -> str:
    counts = collections.Counter(words)
    return ", ".join(f"{word} ({count})" if count > 1 else word
                     for word, count in counts.most_common(top))


def _examples(group: pd.DataFrame, count: int) -> List[Dict[str, str]]:
    """Up to ``count`` examples of a pattern, of distinct words where there are: the
    first occurrence of its most frequent words, in the order of _frequent."""
    frequency = group["words"].map(group["words"].value_counts())
    ranked = group.assign(frequency=frequency.to_numpy(), order=range(len(group)))
    ranked = ranked.sort_values(["frequency", "order"], ascending=[False, True])
    chosen = ranked.drop_duplicates("words").head(count)
    if len(chosen) < count:
        chosen = pd.concat([chosen, ranked.drop(chosen.index).head(count - len(chosen))])
    return [{"sentence": int(row.sentence), "gold": row.gold_in_context,
             "predicted": row.predicted_in_context} for row in chosen.itertuples()]


def pattern_table(errors: pd.DataFrame, examples: int = 2, frequent: int = 3) -> pd.DataFrame:
    """Error patterns, most frequent first: category, pattern, errors, share, the most
    frequent words (with counts) and ``examples`` examples (gold and predicted in
    context, see _examples)."""
    columns = ["category", "pattern", "errors", "share", "frequent_words", "examples"]
    if errors.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for (category, pattern), group in errors.groupby(["category", "pattern"], sort=False):
        rows.append({"category": category, "pattern": pattern, "errors": len(group),
                     "share": len(group) / len(errors),
                     "frequent_words": _frequent(group["words"], frequent),
                     "examples": _examples(group, examples)})
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["errors", "pattern"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)


def _csv(table: pd.DataFrame) -> str:
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return buffer.getvalue()


def _flat_examples(patterns: pd.DataFrame) -> pd.DataFrame:
    """The pattern table with its examples as plain text columns, for CSV."""
    flat = patterns.drop(columns="examples").copy()
    width = max((len(examples) for examples in patterns["examples"]), default=0)
    for number in range(width):
        for side in ("gold", "predicted"):
            flat[f"example_{number + 1}_{side}"] = [
                examples[number][side] if number < len(examples) else ""
                for examples in patterns["examples"]]
    return flat


def analyse(tokens: List[List[str]], gold: List[List[str]], predicted: List[List[str]]
            ) -> Dict[str, pd.DataFrame]:
    """Error tables of one split: {"errors", "patterns", "categories"}, of which
    report.markdown_report takes "categories" and "patterns"."""
    errors = error_table(tokens, gold, predicted)
    return {"errors": errors, "patterns": pattern_table(errors),
            "categories": category_table(errors)}


def write_tables(tables: Dict[str, pd.DataFrame], directory: str, split: str) -> List[str]:
    """Writes analyse's tables into ``directory`` as errors-<split>.csv (every
    error), error-patterns-<split>.csv and error-categories-<split>.csv; returns
    their names (the report links them)."""
    names = []
    for name, table in ((f"errors-{split}.csv", tables["errors"]),
                        (f"error-patterns-{split}.csv", _flat_examples(tables["patterns"])),
                        (f"error-categories-{split}.csv", tables["categories"])):
        with tf.io.gfile.GFile(os.path.join(directory, name), "w") as handle:  # also on GCS
            handle.write(_csv(table))
        names.append(name)
    return names
