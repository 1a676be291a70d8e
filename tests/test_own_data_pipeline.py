"""The whole pipeline (quick profile) on data sets a team would bring: its own
entity types (with a hyphen and a non-ASCII letter) in IOBES, and the same
data as Label Studio JSONL. Nothing but the data directory is given."""

import random

import pytest
import tensorflow as tf

from benchmarks.relabel import conll_lines, label_studio_lines
from contracts.conll_format import Sentence
from contracts.signatures import SERVE_INVENTORY, SERVE_TEXT
from pipeline import local_runner, run_summary
from pipeline.config import config_for_profile
from serving.batch_model import resolve_model_dir

TYPES = ("città", "creative-work", "person")
PEOPLE = ["Ada Lovelace", "Zoë", "Orhan Pamuk", "Ngũgĩ wa Thiong'o", "Björk", "Kurt Vonnegut"]
WORKS = ["Snow", "Homogenic", "Slaughterhouse - Five", "Petals of Blood", "Notes"]
CITIES = ["İstanbul", "Nairobi", "Reykjavík", "London", "Indianapolis"]
TEMPLATES = ["{p} wrote {w} in {c} .", "In {c} , {p} finished {w} .", "{w} made {p} famous ."]


def _tags(words, kind):
    return ["B-" + kind] + ["I-" + kind] * (len(words) - 1)


def sentences(count: int, seed: int):
    """Templated sentences in IOB2 (the relabel script writes them in any scheme)."""
    generator = random.Random(seed)
    result = []
    for index in range(count):
        tokens, tags = [], []
        for part in generator.choice(TEMPLATES).split():
            filler = {"{p}": (PEOPLE, "person"), "{w}": (WORKS, "creative-work"),
                      "{c}": (CITIES, "città")}.get(part)
            if filler is None:
                tokens.append(part)
                tags.append("O")
                continue
            words = generator.choice(filler[0]).split()
            tokens += words
            tags += _tags(words, filler[1])
        result.append(Sentence(f"d{index // 10}", index % 10, tuple(tokens), tuple(tags),
                               None, None, 0, 0))
    return result


SPLITS = {"train": 240, "valid": 40, "test": 40}


def write_data(directory, forms):
    """``forms``: per split, "conll" (IOBES columns) or "jsonl" (Label Studio)."""
    directory.mkdir(parents=True)
    for seed, (name, count) in enumerate(SPLITS.items()):
        rows = sentences(count, seed)
        if forms[name] == "jsonl":
            (directory / f"{name}.jsonl").write_text("".join(label_studio_lines(rows, {})),
                                                     encoding="utf-8")
        else:
            (directory / f"{name}.txt").write_text("".join(conll_lines(rows, "iobes", {})),
                                                   encoding="utf-8")
    return directory


# One run reads both forms (IOBES train, Label Studio eval and test), one reads
# JSONL alone. Each is a whole pipeline run (minutes on 2 cores): marked slow to
# keep the default suite inside CI's budget; `make test-all` runs them.
FORMS = {
    "iobes-train-jsonl-eval-test": {"train": "conll", "valid": "jsonl", "test": "jsonl"},
    "label-studio-jsonl": {"train": "jsonl", "valid": "jsonl", "test": "jsonl"},
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FORMS))
def test_own_types_are_learnt_blessed_pushed_and_served_by_name(tmp_path, tiny_checkpoint, name):
    forms = FORMS[name]
    data_dir = write_data(tmp_path / "data", forms)
    as_jsonl = forms["train"] == "jsonl"
    if not as_jsonl:
        assert "S-person" in (data_dir / "train.txt").read_text(encoding="utf-8")
    config = config_for_profile("quick", data_dir=str(data_dir),
                                pipeline_root=str(tmp_path / "root"),
                                serving_dir=str(tmp_path / "serving"),
                                checkpoint=str(tiny_checkpoint),
                                training={"epochs": 3, "max_steps": 40, "batch_size": 16})
    local_runner.run(config)
    summary = run_summary.summarize(config.resolved_metadata_path, config.pipeline_name)
    assert f"entity types: {','.join(TYPES)}" in summary
    assert ("tag scheme IOB2" if as_jsonl else "tag scheme IOBES") in summary
    assert "BLESSED" in summary and "Pushed:" in summary

    served = tf.saved_model.load(resolve_model_dir(config.serving_dir))
    inventory = served.signatures[SERVE_INVENTORY](requests=tf.constant([""]))
    assert [t.decode() for t in inventory["entity_types"][0].numpy()] == list(TYPES)
    outputs = served.signatures[SERVE_TEXT](sentences=tf.constant(
        ["Zoë wrote Snow in İstanbul.", "In London, Kurt Vonnegut finished Notes."]))
    found = {kind.decode() for row, count in zip(outputs["entity_types"].numpy(),
                                                 outputs["entity_count"].numpy())
             for kind in row[:count]}
    assert found and found <= set(TYPES)
    assert all(tag.decode() in ("", "O") or tag.decode()[:2] in ("B-", "I-")
               for tag in outputs["tags"].numpy().ravel())
