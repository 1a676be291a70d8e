"""Copies a CoNLL data set with its entity types renamed, in another tagging scheme
or as Label Studio JSONL: the data the own-data benchmark and tests train on.

    python -m benchmarks.relabel --source ../shared/data/conll2003 --target relabelled \
        --rename PER=PERSON,ORG=ORGANIZATION,LOC=LOCATION,MISC=MISCELLANEOUS --scheme iobes

Renaming types and changing the scheme change nothing that is learnt, so a
model trained on the copy must score as one trained on the original.
Documents, sentences, words and the other columns are kept as they are.
"""

import argparse
import json
import pathlib
from typing import Dict, Iterable, List, Sequence, Tuple

from contracts.conll_format import Sentence, decode_lines, read_sentences
from contracts import features

SCHEMES = ("iob2", "iobes", "bilou")
FORMATS = ("conll", "label-studio")
DOCSTART = "-DOCSTART- -X- -X- O"


def chunks(tags: Sequence[str]) -> List[Tuple[str, int, int]]:
    """(type, first word, last word + 1) of each chunk of IOB2 tags."""
    found: List[Tuple[str, int, int]] = []
    for index, tag in enumerate(tags):
        if tag.startswith("B-") or (tag.startswith("I-") and not (
                found and found[-1][2] == index and found[-1][0] == tag[2:])):
            found.append((tag[2:], index, index + 1))
        elif tag.startswith("I-"):
            kind, start, _ = found[-1]
            found[-1] = (kind, start, index + 1)
    return found


def encode(tags: Sequence[str], scheme: str, rename: Dict[str, str]) -> List[str]:
    """IOB2 ``tags`` in ``scheme`` with each type renamed."""
    single, last = {"iob2": ("B", "I"), "iobes": ("S", "E"), "bilou": ("U", "L")}[scheme]
    encoded = ["O"] * len(tags)
    for kind, start, end in chunks(tags):
        name = rename.get(kind, kind)
        if end - start == 1:
            encoded[start] = f"{single}-{name}"
            continue
        encoded[start:end] = [f"B-{name}"] + [f"I-{name}"] * (end - start - 2) + [f"{last}-{name}"]
    return encoded


def conll_lines(sentences: Iterable[Sentence], scheme: str, rename: Dict[str, str]
                ) -> Iterable[str]:
    document = None
    for sentence in sentences:
        if sentence.document_id != document:
            document = sentence.document_id
            yield DOCSTART + "\n\n"
        columns = [sentence.tokens] + [c for c in (sentence.pos_tags, sentence.chunk_tags) if c]
        for *fields, tag in zip(*columns, encode(sentence.ner_tags, scheme, rename)):
            yield " ".join(fields + [tag]) + "\n"
        yield "\n"


def label_studio_lines(sentences: Iterable[Sentence], rename: Dict[str, str]) -> Iterable[str]:
    """One record per sentence: the words joined by single spaces, spans over them."""
    for sentence in sentences:
        starts, position = [], 0
        for token in sentence.tokens:
            starts.append(position)
            position += len(token) + 1
        spans = [{"start": starts[start], "end": starts[end - 1] + len(sentence.tokens[end - 1]),
                  "labels": [rename.get(kind, kind)]}
                 for kind, start, end in chunks(sentence.ner_tags)]
        yield json.dumps({"text": " ".join(sentence.tokens), "label": spans},
                         ensure_ascii=False) + "\n"


def relabel(source: pathlib.Path, target: pathlib.Path, rename: Dict[str, str],
            scheme: str = "iob2", output_format: str = "conll") -> List[pathlib.Path]:
    """Writes the copy of each split file found in ``source``; returns the files."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for names in features.SPLIT_FILE_NAMES.values():
        found = [source / name for name in names if (source / name).exists()]
        if not found:
            continue
        path = found[0]
        sentences = list(read_sentences(decode_lines(path.read_bytes(), str(path)), str(path)))
        if output_format == "conll":
            out, lines = target / names[0], conll_lines(sentences, scheme, rename)
        else:
            out = target / names[0].replace(".txt", features.JSONL_SUFFIX)
            lines = label_studio_lines(sentences, rename)
        out.write_text("".join(lines), encoding="utf-8")
        written.append(out)
    return written


def parse_rename(text: str) -> Dict[str, str]:
    """``PER=person,ORG=corporation`` as a dict."""
    pairs = [item.split("=", 1) for item in text.split(",") if item]
    if any(len(pair) != 2 or not all(pair) for pair in pairs):
        raise argparse.ArgumentTypeError(f"expected OLD=NEW,... not {text!r}")
    return dict(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=pathlib.Path, required=True)
    parser.add_argument("--target", type=pathlib.Path, required=True)
    parser.add_argument("--rename", type=parse_rename, default={}, help="OLD=NEW,...")
    parser.add_argument("--scheme", choices=SCHEMES, default="iob2")
    parser.add_argument("--format", dest="output_format", choices=FORMATS, default="conll")
    args = parser.parse_args()
    for path in relabel(args.source, args.target, args.rename, args.scheme, args.output_format):
        print(f"Wrote {path}")


if __name__ == "__main__":
    main()
