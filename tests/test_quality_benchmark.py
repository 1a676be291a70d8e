"""The quality benchmark tells the default configuration's runs from the ablations."""

from benchmarks import quality
from contracts.training import TrainingConfig


def run(seed, **settings):
    return {"seed": seed, **settings}


def test_each_ablation_flips_exactly_one_switch_of_the_default():
    default = quality.switches(vars(TrainingConfig()))
    flipped = [quality.switches({**vars(TrainingConfig()), **overrides})
               for overrides in quality.ablations().values()]
    assert all(sum(a != b for a, b in zip(default, switches)) == 1 for switches in flipped)
    assert len(set(flipped)) == len(flipped) == 3


def test_runs_are_grouped_by_their_switches():
    default = {"document_context": TrainingConfig().document_context,
               "casing_embedding": TrainingConfig().casing_embedding,
               "epochs": TrainingConfig().epochs}
    main = run(42, **default)
    without_casing = run(42, **{**default, "casing_embedding": not default["casing_embedding"]})
    context = 0 if default["document_context"] else 256
    with_context = run(7, **{**default, "document_context": context})
    shorter = run(7, **{**default, "epochs": default["epochs"] - 1})
    grouped = quality.by_configuration([main, without_casing, with_context, shorter])
    assert grouped == {"main_profile_runs": [main],
                       "ablation_runs": [without_casing, with_context, shorter]}


def test_runs_recorded_before_an_option_existed_had_it_off_and_trained_3_epochs():
    assert quality.switches({"seed": 1}) == (False, False, 3)
    assert quality.switches({"document_context": 256, "casing_embedding": True,
                             "epochs": 2}) == (True, True, 2)
