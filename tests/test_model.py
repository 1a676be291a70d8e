"""The token classifier's casing embedding, its frozen embeddings, and its float32 copy for export."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from modules.trainer.losses import masked_loss
from modules.trainer.model import (
    TokenClassifier, has_weights, inference_copy, load_token_classifier)
from modules.transform.tokenization import CASINGS, IGNORED_LABEL
from tests.conftest import CONLL


@pytest.fixture(scope="module")
def inputs():
    ids = tf.constant([[101, 2149, 2057, 102, 0], [101, 3000, 102, 0, 0]], tf.int64)
    mask = tf.cast(ids != 0, tf.int64)
    casing = tf.constant([[0, 4, 2, 0, 0], [0, 3, 0, 0, 0]], tf.int64)
    return {"input_ids": ids, "attention_mask": mask, "casing": casing}


def test_casing_embedding_starts_as_the_checkpoint(tiny_checkpoint, inputs):
    """Zero-initialised: before training, casing changes nothing."""
    bert = load_token_classifier(str(tiny_checkpoint), CONLL.labels)
    with_casing = TokenClassifier(bert, casing=True)
    without = TokenClassifier(bert)
    np.testing.assert_allclose(with_casing(inputs).numpy(), without(inputs).numpy(), atol=1e-5)
    assert with_casing.casing_embedding.get_weights()[0].shape == (
        len(CASINGS), bert.config.hidden_size)


def test_casing_reaches_the_logits_once_learned(tiny_checkpoint, inputs):
    classifier = TokenClassifier(load_token_classifier(str(tiny_checkpoint), CONLL.labels), casing=True)
    weights = np.random.default_rng(0).normal(
        size=(len(CASINGS), classifier.bert.config.hidden_size))
    classifier.casing_embedding.set_weights([weights.astype(np.float32)])
    recased = dict(inputs, casing=tf.where(inputs["casing"] == 4, 2, inputs["casing"]))
    before, after = classifier(inputs).numpy(), classifier(recased).numpy()
    assert not np.allclose(before[0], after[0], atol=1e-3)
    # Only the first row's casing changed.
    np.testing.assert_allclose(before[1], after[1], atol=1e-5)
    # The casing ids are ignored by a classifier without the embedding.
    plain = TokenClassifier(classifier.bert)
    np.testing.assert_allclose(plain(inputs).numpy(), plain(recased).numpy(), atol=1e-5)


def test_inference_copy_keeps_the_casing_embedding_in_float32(tiny_checkpoint, inputs):
    classifier = TokenClassifier(load_token_classifier(str(tiny_checkpoint), CONLL.labels), casing=True)
    classifier.casing_embedding.set_weights(
        [np.full((len(CASINGS), classifier.bert.config.hidden_size), 0.5, np.float32)])
    copy = inference_copy(classifier)
    assert copy.casing_embedding is not None
    assert all(weight.dtype == tf.float32 for weight in copy.weights)
    np.testing.assert_allclose(copy(inputs).numpy(), classifier(inputs).numpy(), atol=1e-5)


def test_frozen_embeddings_stay_as_loaded_while_the_rest_trains(tiny_checkpoint, inputs):
    classifier = TokenClassifier(load_token_classifier(str(tiny_checkpoint), CONLL.labels),
                                 casing=True, freeze_embeddings=True)
    classifier.compile(optimizer=tf_keras.optimizers.SGD(0.5), loss=masked_loss)
    embeddings = classifier.bert.get_input_embeddings()
    before = {id(v): v.numpy() for v in classifier.variables}
    labels = tf.where(inputs["attention_mask"] == 1, 1, IGNORED_LABEL)
    classifier.train_on_batch(inputs, labels)
    frozen = {id(v) for v in embeddings.weights}
    assert frozen and not frozen & {id(v) for v in classifier.trainable_variables}
    for variable in classifier.variables:
        changed = not np.array_equal(before[id(variable)], variable.numpy())
        assert changed == (id(variable) not in frozen), variable.name


def test_inference_copy_of_a_classifier_with_frozen_embeddings_computes_the_same(
        tiny_checkpoint, inputs):
    """Keras orders a frozen layer's weights last: the copy must follow the same order."""
    classifier = TokenClassifier(load_token_classifier(str(tiny_checkpoint), CONLL.labels),
                                 casing=True, freeze_embeddings=True)
    rng = np.random.default_rng(1)
    classifier.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.1
                            for w in classifier.get_weights()])
    copy = inference_copy(classifier)
    np.testing.assert_allclose(copy(inputs).numpy(), classifier(inputs).numpy(), atol=1e-4)


def test_only_a_checkpoint_with_weights_has_embeddings_worth_freezing(tiny_checkpoint, tmp_path):
    assert not has_weights(str(tiny_checkpoint))  # config.json and a vocab: random values
    (tmp_path / "model.safetensors").write_bytes(b"")
    assert has_weights(str(tmp_path))
