"""The Evaluator's predictions: length-sorted batches for a model that tags sentences
alone give what whole-document batches give, in document order."""

import pathlib

import numpy as np
import pytest
import tensorflow as tf

from components.ner_evaluator import predictions
from contracts import features
from contracts.inventory import served_inventory
from contracts.signatures import DOCUMENT_CONTEXT
from pipeline import run_summary
from tests.test_pipeline_local import latest_executions


@pytest.fixture(scope="module")
def served(quick_pipeline):
    """(the quick pipeline's pushed model, loaded; its test split's directory)"""
    (version,) = pathlib.Path(quick_pipeline.serving_dir).iterdir()
    store, executions = latest_executions(quick_pipeline)
    examples = run_summary.output_artifacts(store, executions["ConllExampleGen"])["examples"]
    return tf.saved_model.load(str(version)), f"{examples.uri}/Split-{features.TEST_SPLIT}"


def test_the_export_records_that_it_reads_sentences_alone(served):
    model, _ = served
    assert int(getattr(model, DOCUMENT_CONTEXT).numpy()) == 0
    assert predictions.reads_sentences_alone(model)
    assert not predictions.reads_sentences_alone(tf.Module())  # an export without the record


def test_length_sorted_batches_cover_every_sentence_once_shortest_first(served):
    _, test_dir = served
    batches = list(predictions.length_sorted_batches(test_dir))
    positions = np.concatenate([batch_positions for batch_positions, _ in batches])
    document_order = [record for _, records in predictions.document_batches(test_dir)
                      for record in records]
    assert sorted(positions.tolist()) == list(range(len(document_order)))
    for batch_positions, records in batches:
        assert records == [document_order[position] for position in batch_positions]
    lengths = np.concatenate([predictions._word_counts(records) for _, records in batches])
    assert (np.diff(lengths) >= 0).all()
    assert max(len(records) for _, records in batches) == predictions.SENTENCE_BATCH_SIZE


def test_sorted_batches_predict_what_document_batches_do(served, monkeypatch):
    model, test_dir = served
    labels = served_inventory(model).labels
    by_length = predictions.predict_split(model, test_dir, labels)
    monkeypatch.setattr(predictions, "reads_sentences_alone", lambda model: False)
    by_document = predictions.predict_split(model, test_dir, labels)
    assert by_length.tokens == by_document.tokens
    assert by_length.gold == by_document.gold
    assert by_length.predicted == by_document.predicted
    assert by_length.argmax == by_document.argmax
    np.testing.assert_allclose(by_length.gold_probabilities, by_document.gold_probabilities,
                               atol=1e-5)
