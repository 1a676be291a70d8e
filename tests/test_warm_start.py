"""Warm start: when a blessed model's weights fit a run, and copying them in."""

import numpy as np
import pytest
import tensorflow as tf

from contracts.training import TrainingConfig
from contracts.weights import COLD, WARM, Initialization
from modules.trainer import warm_start
from modules.trainer.export import ServedClassifier
from modules.trainer.model import TokenClassifier, inference_copy, load_token_classifier
from modules.trainer.run import initialize
from tests.conftest import CONLL

LABELS = list(CONLL.labels)
CHECKPOINT = "models/some-checkpoint"
TRAIN = ["root/Transform/transformed_examples/7/Split-train/*"]


def _blessed(tmp_path, name="model", **changes):
    """A base model's Format-Serving path, with a training record beside it."""
    serving = tmp_path / name / "Format-Serving"
    serving.mkdir(parents=True)
    record = warm_start.training_record(
        "sha-1", LABELS, True, ["root/Transform/transformed_examples/5/Split-train/*"],
        Initialization(COLD, CHECKPOINT))
    record.update(changes)
    warm_start.write_record(str(serving), record)
    return str(serving)


def _decide(base_model, warm=True, labels=LABELS, train_files=TRAIN, fingerprint="sha-1",
            casing=True):
    return warm_start.decide(warm, base_model, CHECKPOINT, fingerprint, labels, casing,
                             train_files)


def test_a_fitting_blessed_model_on_an_older_window_gives_a_warm_start(tmp_path):
    base = _blessed(tmp_path)
    assert _decide(base) == Initialization(WARM, base)


@pytest.mark.parametrize("arguments, reason", [
    ({"warm": False}, ""),
    ({"base_model": None}, "no blessed model yet"),
    ({"fingerprint": "sha-2"}, "fine-tuned from another checkpoint"),
    ({"labels": LABELS[:3]}, "entity inventory"),
    ({"casing": False}, "trained with the casing embedding"),
])
def test_cold_starts_say_why(tmp_path, arguments, reason):
    base = arguments.pop("base_model", _blessed(tmp_path))
    decision = _decide(base, **arguments)
    assert (decision.kind, decision.source) == (COLD, CHECKPOINT)
    assert reason in decision.reason and bool(decision.reason) == bool(reason)
    assert decision.describe().startswith(f"cold start from {CHECKPOINT}")


def test_a_model_without_a_record_predates_warm_start(tmp_path):
    serving = tmp_path / "old" / "Format-Serving"
    serving.mkdir(parents=True)
    assert "predates warm start" in _decide(str(serving)).reason


def test_a_rerun_on_the_same_window_starts_where_the_blessed_model_started(tmp_path):
    origin = _blessed(tmp_path, "origin")
    warm_base = _blessed(tmp_path, "warm", trained_on=TRAIN,
                         initialized=Initialization(WARM, origin).as_record())
    assert _decide(warm_base) == Initialization(WARM, origin)
    cold_base = _blessed(tmp_path, "cold", trained_on=TRAIN)
    decision = _decide(cold_base)
    assert decision.kind == COLD and "same window" in decision.reason


def test_the_warm_schedule_replaces_epochs_rate_and_warmup_only():
    hp = TrainingConfig(epochs=3, learning_rate=1e-4, warmup_ratio=0.1, warm_epochs=1,
                        warm_learning_rate=2e-5, warm_warmup_ratio=0.05, batch_size=8)
    warm = hp.warm_schedule()
    assert (warm.epochs, warm.learning_rate, warm.warmup_ratio) == (1, 2e-5, 0.05)
    assert warm.batch_size == 8 and (hp.epochs, hp.learning_rate) == (3, 1e-4)


def _export_classifier(tiny_checkpoint, directory, labels, seed, freeze_embeddings=False):
    tf.keras.utils.set_random_seed(seed)
    classifier = TokenClassifier(load_token_classifier(str(tiny_checkpoint), labels), casing=True,
                                 freeze_embeddings=freeze_embeddings)
    classifier.casing_embedding.set_weights(
        [np.full(classifier.casing_embedding.get_weights()[0].shape, 0.25, np.float32)])
    root = tf.Module()
    root.classifier = ServedClassifier(inference_copy(classifier))
    tf.saved_model.save(root, str(directory))
    return classifier


def test_load_weights_copies_every_variable_of_the_export(tiny_checkpoint, tmp_path):
    trained = _export_classifier(tiny_checkpoint, tmp_path / "export", LABELS, seed=1)
    tf.keras.utils.set_random_seed(2)
    fresh = TokenClassifier(load_token_classifier(str(tiny_checkpoint), LABELS), casing=True)
    head = fresh.bert.classifier.weights[0]
    assert not np.allclose(head.numpy(), trained.bert.classifier.weights[0].numpy())
    warm_start.load_weights(fresh, str(tmp_path / "export"))
    for expected, actual in zip(trained.variables, fresh.variables):
        np.testing.assert_array_equal(expected.numpy(), actual.numpy())


def test_load_weights_matches_variables_by_name_across_frozen_embeddings(tiny_checkpoint,
                                                                        tmp_path):
    """A model trained with frozen embeddings lists them last; one without, first."""
    trained = _export_classifier(tiny_checkpoint, tmp_path / "export", LABELS, seed=1,
                                 freeze_embeddings=True)
    fresh = TokenClassifier(load_token_classifier(str(tiny_checkpoint), LABELS), casing=True)
    unscoped = lambda variable: variable.name.split("/", 1)[-1]  # noqa: E731
    assert [*map(unscoped, trained.variables)] != [*map(unscoped, fresh.variables)]
    warm_start.load_weights(fresh, str(tmp_path / "export"))
    expected = {unscoped(variable): variable.numpy() for variable in trained.variables}
    for variable in fresh.variables:
        np.testing.assert_array_equal(expected[unscoped(variable)], variable.numpy())


def test_a_model_that_does_not_load_gives_a_cold_start(tiny_checkpoint, tmp_path):
    _export_classifier(tiny_checkpoint, tmp_path / "export", LABELS, seed=1)
    fewer_labels = TokenClassifier(load_token_classifier(str(tiny_checkpoint), LABELS[:3]),
                                   casing=True)
    before = [variable.numpy() for variable in fewer_labels.variables]
    decision = initialize(fewer_labels, Initialization(WARM, str(tmp_path / "export")),
                          CHECKPOINT)
    assert (decision.kind, decision.source) == (COLD, CHECKPOINT)
    assert "does not load" in decision.reason and "classifier/kernel" in decision.reason
    for expected, variable in zip(before, fewer_labels.variables):
        np.testing.assert_array_equal(expected, variable.numpy())
