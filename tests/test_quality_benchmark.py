"""The quality benchmark tells the default configuration's runs from the ablations."""

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
    other_precision = run(7, **quality.ablations()["precision"])
    grouped = quality.by_configuration([main, without_casing, with_context, shorter,
                                        other_precision])
    assert grouped == {"main_profile_runs": [main],
                       "ablation_runs": [without_casing, with_context, shorter, other_precision]}


def test_runs_recorded_before_an_option_existed_had_it_off_and_trained_3_epochs_in_float32():
    assert quality.switches({"seed": 1}) == (False, False, 3, "float32")
    assert quality.switches({"document_context": 256, "casing_embedding": True, "epochs": 2,
                             "mixed_precision": "mixed_bfloat16"}) == (True, True, 2,
                                                                       "mixed_bfloat16")


def test_a_recorded_note_extends_the_previous_one_unless_it_replaces_it():
    assert quality.merged_note("Old runs shared the cores.", "New runs did not.", False) == \
        "Old runs shared the cores. New runs did not."
    assert quality.merged_note("Old runs shared the cores.", "Now.", True) == "Now."
    assert quality.merged_note(None, "First.", False) == "First."


def test_the_default_precision_is_the_policy_it_resolves_to_here():
    assert quality.default_training()["mixed_precision"] == precision.training_policy(
        TrainingConfig().mixed_precision)
