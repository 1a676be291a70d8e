"""The quality benchmark tells the default configuration's runs from the ablations."""

import pytest

from benchmarks import quality
from contracts.training import TrainingConfig
from modules.trainer import precision


def run(seed, **settings):
    return {"seed": seed, **settings}


def test_each_ablation_flips_exactly_one_switch_of_the_default():
    default = quality.switches(quality.default_training())
    flipped = [quality.switches({**quality.default_training(), **overrides})
               for overrides in quality.ablations().values()]
    assert all(sum(a != b for a, b in zip(default, switches)) == 1 for switches in flipped)
    assert len(set(flipped)) == len(flipped) == 4


def test_runs_are_grouped_by_their_switches():
    default = {key: quality.default_training()[key]
               for key in ("document_context", "casing_embedding", "epochs", "mixed_precision")}
    main = run(42, **default)
    without_casing = run(42, **{**default, "casing_embedding": not default["casing_embedding"]})
    context = 0 if default["document_context"] else 256
    with_context = run(7, **{**default, "document_context": context})
    shorter = run(7, **{**default, "epochs": default["epochs"] - 1})
    other_precision = run(7, **{**default, **quality.ablations()["precision"]})
    grouped = quality.by_configuration([main, without_casing, with_context, shorter,
                                        other_precision])
    assert grouped == {"main_profile_runs": [main],
                       "ablation_runs": [without_casing, with_context, shorter, other_precision]}


def test_switches_are_read_from_the_recorded_training_settings():
    assert quality.switches({"document_context": 256, "casing_embedding": True, "epochs": 2,
                             "mixed_precision": "mixed_bfloat16", "seed": 7}) == (
        True, True, 2, "mixed_bfloat16")
    with pytest.raises(KeyError):
        quality.switches({"seed": 7})  # a run must record what it trained with


def test_a_recorded_note_extends_the_previous_one_unless_it_replaces_it():
    assert quality.merged_note("Old runs shared the cores.", "New runs did not.", False) == \
        "Old runs shared the cores. New runs did not."
    assert quality.merged_note("Old runs shared the cores.", "Now.", True) == "Now."
    assert quality.merged_note(None, "First.", False) == "First."


@pytest.mark.parametrize("native, policy", [(True, "mixed_bfloat16"), (False, "float32")])
def test_the_default_trains_in_bf16_only_where_the_cpu_computes_it(native, policy, monkeypatch):
    """Runs are grouped by the policy they trained with, not by the option's 'auto'."""
    assert TrainingConfig().mixed_precision == precision.AUTO
    monkeypatch.setattr(precision, "bf16_is_native", lambda: native)
    assert quality.default_training()["mixed_precision"] == policy
    main = {**quality.default_training(), "seed": 42}
    assert quality.by_configuration([main])["main_profile_runs"] == [main]
