"""The Evaluator's baseline: the best blessed model so far, not the newest."""

from tfx.dsl.input_resolution.strategies.latest_blessed_model_strategy import (
    LatestBlessedModelStrategy)
from tfx.types.standard_artifacts import Model, ModelBlessing

from components.ner_evaluator import blessing
from components.ner_evaluator.best_blessed_model import BestBlessedModelStrategy


def _model(model_id: int) -> Model:
    model = Model()
    model.id = model_id
    return model


def _blessing(blessing_id: int, model_id: int, f1: float, blessed: bool) -> ModelBlessing:
    blessing = ModelBlessing()
    blessing.id = blessing_id
    blessing.set_int_custom_property("current_model_id", model_id)
    blessing.set_int_custom_property("blessed", int(blessed))
    blessing.set_float_custom_property("test_entity_f1", f1)
    return blessing


def _resolve(strategy, models, blessings):
    return strategy()._resolve({"model": models, "model_blessing": blessings},
                               "model", "model_blessing")


def test_the_best_blessed_model_wins_over_newer_and_unblessed_ones():
    models = [_model(i) for i in (1, 2, 3)]
    blessings = [_blessing(11, 1, 0.90, True), _blessing(12, 2, 0.895, True),
                 _blessing(13, 3, 0.95, False)]
    resolved = _resolve(BestBlessedModelStrategy, models, blessings)
    assert [m.id for m in resolved["model"]] == [1]
    assert [b.id for b in resolved["model_blessing"]] == [11]
    assert [m.id for m in _resolve(LatestBlessedModelStrategy, models, blessings)["model"]] == [2]


def test_ties_go_to_the_newest_model_and_nothing_blessed_resolves_nothing():
    models = [_model(1), _model(2)]
    tied = [_blessing(11, 1, 0.9, True), _blessing(12, 2, 0.9, True)]
    assert [m.id for m in _resolve(BestBlessedModelStrategy, models, tied)["model"]] == [2]
    refused = [_blessing(11, 1, 0.9, False)]
    assert _resolve(BestBlessedModelStrategy, models, refused) == {"model": [],
                                                                   "model_blessing": []}


def _bless_series(strategy, test_f1s, tolerance=0.01):
    """Runs the resolver and the decision as the pipeline does, one model per run."""
    models, blessings, decisions = [], [], []
    for run, f1 in enumerate(test_f1s, start=1):
        baseline = _resolve(strategy, list(models), list(blessings))["model_blessing"]
        baseline_f1 = baseline[0].get_float_custom_property("test_entity_f1") if baseline else None
        blessed, _ = blessing.blessing_decision(f1, 0.8, baseline_f1, tolerance)
        models.append(_model(run))
        blessings.append(_blessing(100 + run, run, f1, blessed))
        decisions.append(blessed)
    return decisions


def test_a_slow_slide_is_stopped_at_the_best_minus_the_tolerance():
    slide = (0.900, 0.895, 0.891, 0.889, 0.886)
    assert _bless_series(BestBlessedModelStrategy, slide) == [True, True, True, False, False]
    # What the latest-blessed baseline would have let through.
    assert _bless_series(LatestBlessedModelStrategy, slide) == [True] * 5
