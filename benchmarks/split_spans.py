"""Splits a CoNLL data set into span folders, as if its train file had arrived in
parts: the data the span tests and measurements train on, built at run time.

    python -m benchmarks.split_spans --source ../shared/data/conll2003 --target spans --spans 3

The train file's documents (each from a -DOCSTART- line) go, in order, into
``span-1/train.txt`` ... ``span-N/train.txt``, N near-equal runs of
documents; valid and test are copied into the last span, the held-out set,
or with ``--held-out DIR`` into DIR, for runs that pass it as ``--eval-dir``
(every window is then scored on the same data from the first span on).
Lines are copied byte for byte, so the span files together are the train
file. ``--documents K`` keeps only the first K documents of each file, for
small trial runs.
"""

import argparse
import pathlib
from typing import List, Optional, Sequence

from contracts import features
from contracts.conll_format import DOCSTART


def documents(lines: Sequence[str]) -> List[List[str]]:
    """The file's lines (with their line ends) grouped into documents."""
    found: List[List[str]] = []
    for line in lines:
        if line.startswith(DOCSTART) or not found:
            found.append([])
        found[-1].append(line)
    return found


def split_evenly(items: Sequence, parts: int) -> List[list]:
    """``items`` in ``parts`` consecutive runs whose lengths differ by at most one."""
    size, extra = divmod(len(items), parts)
    runs, start = [], 0
    for index in range(parts):
        end = start + size + (index < extra)
        runs.append(list(items[start:end]))
        start = end
    return runs


def _documents_of(path: pathlib.Path, limit: int) -> List[List[str]]:
    found = documents(path.read_text(encoding="utf-8").splitlines(keepends=True))
    return found[:limit] if limit else found


def _write(path: pathlib.Path, docs: List[List[str]]) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line for doc in docs for line in doc), encoding="utf-8")
    return path


def split_spans(source: pathlib.Path, target: pathlib.Path, spans: int, limit: int = 0,
                held_out: Optional[pathlib.Path] = None) -> List[pathlib.Path]:
    """Writes ``target/span-<i>/`` from the train.txt, valid.txt and test.txt in
    ``source`` (the first ``limit`` documents of each, if given), valid and test into
    ``held_out`` if given, else into the last span; returns the files."""
    train = _documents_of(source / "train.txt", limit)
    if len(train) < spans:
        raise ValueError(f"{source / 'train.txt'} has {len(train)} documents, fewer than "
                         f"{spans} spans")
    written = [_write(target / f"span-{index}" / "train.txt", run)
               for index, run in enumerate(split_evenly(train, spans), start=1)]
    for split in (features.EVAL_SPLIT, features.TEST_SPLIT):
        name = features.SPLIT_FILE_NAMES[split][0]
        written.append(_write((held_out or target / f"span-{spans}") / name,
                              _documents_of(source / name, limit)))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=pathlib.Path, required=True)
    parser.add_argument("--target", type=pathlib.Path, required=True)
    parser.add_argument("--spans", type=int, default=3)
    parser.add_argument("--held-out", type=pathlib.Path,
                        help="directory for valid and test (default: the last span)")
    parser.add_argument("--documents", type=int, default=0,
                        help="keep only the first K documents of each file (0: all)")
    args = parser.parse_args()
    for path in split_spans(args.source, args.target, args.spans, args.documents,
                            args.held_out):
        print(f"Wrote {path}")


if __name__ == "__main__":
    main()
