"""The drift measures between real spans and shifted ones: what the thresholds in
contracts/drift.py rest on.

    python -m benchmarks.span_drift --data-dir ../shared/data/conll2003

CoNLL-2003's train file is cut into 3, 6 and 12 spans by document, as
benchmarks.split_spans cuts it. Every span is compared with the one before it
(components/span_drift/measures.py) as it is, the largest value of each
measure showing how much real spans differ by chance, and shifted three ways,
the smallest value showing how much a shift shows: its rarest entity type
removed (the type with the fewest tagged words, its tags made O), its text
lower-cased, its sentences joined in pairs.
"""

import argparse
import collections
import dataclasses
import pathlib
import statistics
from typing import Callable, Dict, List

from benchmarks.common import DEFAULT_DATA_DIR, write_results
from benchmarks.split_spans import documents, split_evenly
from components.span_drift.measures import compare
from contracts.conll_format import Sentence, decode_lines, read_sentences
from contracts.drift import DriftThresholds
from contracts.tag_schemes import split_tag

SPAN_COUNTS = (3, 6, 12)
Shift = Callable[[List[Sentence]], List[Sentence]]


def _without_rarest_type(sentences: List[Sentence]) -> List[Sentence]:
    types = collections.Counter(split_tag(tag)[1] for sentence in sentences
                                for tag in sentence.ner_tags if tag != "O")
    rarest = min(sorted(types), key=types.__getitem__)
    return [dataclasses.replace(sentence, ner_tags=tuple(
        "O" if tag != "O" and split_tag(tag)[1] == rarest else tag
        for tag in sentence.ner_tags)) for sentence in sentences]


def _lower_cased(sentences: List[Sentence]) -> List[Sentence]:
    return [dataclasses.replace(sentence, tokens=tuple(word.lower() for word in sentence.tokens))
            for sentence in sentences]


def _joined_in_pairs(sentences: List[Sentence]) -> List[Sentence]:
    return [dataclasses.replace(first, tokens=first.tokens + second.tokens,
                                ner_tags=first.ner_tags + second.ner_tags)
            for first, second in zip(sentences[::2], sentences[1::2])]


SHIFTS: Dict[str, Shift] = {"rarest type removed": _without_rarest_type,
                            "lower-cased": _lower_cased,
                            "sentences joined in pairs": _joined_in_pairs}


def cut_into_spans(train_file: pathlib.Path, count: int) -> List[List[Sentence]]:
    """The file's sentences in ``count`` spans of consecutive documents."""
    lines = train_file.read_text(encoding="utf-8").splitlines(keepends=True)
    return [list(read_sentences(decode_lines("".join(line for doc in run for line in doc)
                                             .encode(), str(train_file)), str(train_file)))
            for run in split_evenly(documents(lines), count)]


def _values(pairs, shift: Shift) -> Dict[str, List[float]]:
    values: Dict[str, List[float]] = {}
    for previous, current in pairs:
        for measure in compare(previous, shift(current), DriftThresholds())[0]:
            values.setdefault(measure.name, []).append(round(measure.value, 4))
    return values


def measure_spans(spans: List[List[Sentence]]) -> dict:
    """Each measure's largest value between consecutive real spans and its smallest
    for each shift of the later span."""
    pairs = list(zip(spans, spans[1:]))
    real = _values(pairs, lambda sentences: sentences)
    return {"sentences_per_span": int(statistics.median(len(span) for span in spans)),
            "real_largest": {name: max(values) for name, values in real.items()},
            "shifted_smallest": {shift: {name: min(values) for name, values
                                         in _values(pairs, function).items()}
                                 for shift, function in SHIFTS.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=pathlib.Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    results = {"thresholds": dataclasses.asdict(DriftThresholds()),
               "spans": {str(count): measure_spans(cut_into_spans(
                   args.data_dir / "train.txt", count)) for count in SPAN_COUNTS}}
    print(f"Wrote {write_results('span_drift', results)}")


if __name__ == "__main__":
    main()
