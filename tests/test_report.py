"""The evaluation report: error analysis (pandas), charts (PNG), the per-step loss
record of training and the Markdown that ties them together."""

import json

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
import tf_keras

from components.ner_evaluator import charts, errors, metrics, report
from contracts.files import STEP_CURVE
from modules.trainer import plots
from modules.trainer.callbacks import EpochValidation, StepLossLog, loss_record_interval
from tests.conftest import CONLL

# One sentence per kind of error, plus one without error.
TOKENS = [["EU", "rejects", "German", "call"],
          ["Peter", "Blackburn", "visits", "New", "York", "City"],
          ["Japan", "beat", "Syria", "."],
          ["He", "said", "so"],
          ["Bank", "of", "England", "staff"],
          ["The", "Nasdaq", "fell"],
          ["Blackburn", "wins"]]
GOLD = [["B-ORG", "O", "B-MISC", "O"],
        ["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "I-LOC"],
        ["B-LOC", "O", "B-LOC", "O"],
        ["O", "O", "O"],
        ["B-ORG", "I-ORG", "I-ORG", "O"],
        ["O", "B-ORG", "O"],
        ["B-PER", "O"]]
PREDICTED = [["B-LOC", "O", "B-MISC", "O"],                 # type confusion ORG → LOC
             ["B-PER", "O", "O", "B-LOC", "I-LOC", "O"],     # PER too short, LOC too short
             ["O", "O", "B-LOC", "O"],                       # LOC missed
             ["B-PER", "O", "O"],                            # spurious PER
             ["B-ORG", "O", "B-LOC", "O"],                   # ORG → LOC+ORG (split)
             ["B-ORG", "I-ORG", "O"],                        # ORG too long
             ["B-PER", "O"]]                                 # correct


@pytest.fixture(scope="module")
def error_rows():
    return errors.error_table(TOKENS, GOLD, PREDICTED)


def test_classify_tells_error_kinds_apart():
    assert errors.classify(GOLD[0], PREDICTED[0]) == [
        (errors.TYPE, "ORG → LOC", [("ORG", 0, 1)], [("LOC", 0, 1)])]
    assert [error[:2] for error in errors.classify(GOLD[1], PREDICTED[1])] == [
        (errors.BOUNDARY, "PER too short"), (errors.BOUNDARY, "LOC too short")]
    assert errors.classify(GOLD[2], PREDICTED[2]) == [
        (errors.MISSED, "LOC missed", [("LOC", 0, 1)], [])]
    assert errors.classify(GOLD[3], PREDICTED[3]) == [
        (errors.SPURIOUS, "spurious PER", [], [("PER", 0, 1)])]
    assert errors.classify(GOLD[4], PREDICTED[4]) == [
        (errors.BOUNDARY_AND_TYPE, "ORG → LOC+ORG (split)", [("ORG", 0, 3)],
         [("ORG", 0, 1), ("LOC", 2, 3)])]
    assert [error[:2] for error in errors.classify(GOLD[5], PREDICTED[5])] == [
        (errors.BOUNDARY, "ORG too long")]
    assert errors.classify(GOLD[6], PREDICTED[6]) == []


def test_classify_shapes_shifted_and_merged():
    assert errors.classify(["O", "B-PER", "I-PER", "O"], ["O", "O", "B-PER", "I-PER"])[0][1] == \
        "PER shifted"
    assert errors.classify(["B-LOC", "B-LOC"], ["B-LOC", "I-LOC"])[0][1] == "LOC merged"
    # An I- tag after O starts an entity, as seqeval reads it.
    assert errors.classify(["O", "I-MISC"], ["O", "B-MISC"]) == []


def test_every_span_seqeval_misses_is_in_exactly_one_error(error_rows):
    """Exactly matched spans count once in the confusion matrix; the errors cover
    all the others: each gold span not correct, each predicted span not correct."""
    gold_spans = predicted_spans = correct = 0
    for gold_row, predicted_row in zip(GOLD, PREDICTED):
        gold, predicted = set(errors.spans(gold_row)), set(errors.spans(predicted_row))
        gold_spans, predicted_spans = gold_spans + len(gold), predicted_spans + len(predicted)
        correct += len(gold & predicted)
    found = [error for g, p in zip(GOLD, PREDICTED) for error in errors.classify(g, p)]
    assert sum(len(error[2]) for error in found) == gold_spans - correct
    assert sum(len(error[3]) for error in found) == predicted_spans - correct
    # The type confusions are the confusion matrix's off-diagonal cells of real types.
    confusion = metrics.entity_confusion(GOLD, PREDICTED, CONLL.types)
    assert confusion["ORG"]["LOC"] == sum(error[0] == errors.TYPE for error in found) == 1


def test_error_table_rows_and_examples(error_rows):
    assert list(error_rows.columns) == errors.ERROR_COLUMNS
    assert len(error_rows) == 7
    row = error_rows[error_rows["pattern"] == "PER too short"].iloc[0]
    assert row["sentence"] == 1
    assert row["gold"] == "[Peter Blackburn]PER"
    assert row["predicted"] == "[Peter]PER"
    assert row["words"] == "Peter Blackburn"
    assert row["gold_in_context"] == "[Peter Blackburn]PER visits New York City"
    assert row["predicted_in_context"] == "[Peter]PER Blackburn visits New York City"
    assert row["text"] == "Peter Blackburn visits New York City"
    spurious = error_rows[error_rows["category"] == errors.SPURIOUS].iloc[0]
    assert spurious["gold"] == "" and spurious["words"] == "He"
    assert spurious["predicted_in_context"] == "[He]PER said so"


def test_context_is_cut_with_ellipses():
    tokens = [f"w{i}" for i in range(12)]
    gold = ["O"] * 12
    predicted = ["O"] * 6 + ["B-MISC"] + ["O"] * 5
    row = errors.error_table([tokens], [gold], [predicted], context=2).iloc[0]
    assert row["predicted_in_context"] == "… w4 w5 [w6]MISC w7 w8 …"
    assert row["gold_in_context"] == "… w4 w5 w6 w7 w8 …"


def test_category_and_pattern_counts(error_rows):
    categories = errors.category_table(error_rows)
    assert list(categories["category"]) == list(errors.CATEGORIES)
    assert dict(zip(categories["category"], categories["errors"])) == {
        errors.TYPE: 1, errors.BOUNDARY: 3, errors.BOUNDARY_AND_TYPE: 1, errors.MISSED: 1,
        errors.SPURIOUS: 1}
    assert categories["share"].sum() == pytest.approx(1.0)

    many = errors.error_table(TOKENS * 3 + [["Syria", "lost"]], GOLD * 3 + [["B-LOC", "O"]],
                              PREDICTED * 3 + [["O", "O"]])
    patterns = errors.pattern_table(many, examples=2)
    top = patterns.iloc[0]
    assert (top["pattern"], top["category"], top["errors"]) == ("LOC missed", errors.MISSED, 4)
    assert top["share"] == pytest.approx(4 / 22)
    assert top["frequent_words"] == "Japan (3), Syria"
    # Examples prefer distinct words: Japan, then Syria (sentence 21), not Japan again.
    assert [example["sentence"] for example in top["examples"]] == [2, 21]
    assert top["examples"][1] == {"sentence": 21, "gold": "[Syria]LOC lost",
                                  "predicted": "Syria lost"}
    assert list(patterns["errors"]) == sorted(patterns["errors"], reverse=True)
    assert errors.pattern_table(errors.error_table([["a"]], [["O"]], [["O"]])).empty


def test_analyse_writes_csv_tables(tmp_path):
    tables = errors.analyse(TOKENS, GOLD, PREDICTED, str(tmp_path), "test")
    assert tables["files"] == ["errors-test.csv", "error-patterns-test.csv",
                               "error-categories-test.csv"]
    every = pd.read_csv(tmp_path / "errors-test.csv")
    assert len(every) == 7 and list(every.columns) == errors.ERROR_COLUMNS
    patterns = pd.read_csv(tmp_path / "error-patterns-test.csv")
    assert list(patterns.columns[:5]) == ["category", "pattern", "errors", "share",
                                         "frequent_words"]
    assert "example_1_gold" in patterns.columns and "example_1_predicted" in patterns.columns
    assert patterns["errors"].sum() == 7
    categories = pd.read_csv(tmp_path / "error-categories-test.csv")
    assert categories["errors"].sum() == 7


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _results():
    splits = {}
    for split in ("eval", "test"):
        splits[split] = {"entities": metrics.entity_scores(GOLD, PREDICTED, CONLL.types),
                         "confusion": metrics.entity_confusion(GOLD, PREDICTED, CONLL.types),
                         "loss": 0.1, "accuracy": 0.9}
    return {"splits": splits}


def test_charts_are_written(tmp_path):
    names = charts.write_charts(_results(), str(tmp_path))
    assert names == [charts.PER_TYPE_CHART, charts.CONFUSION_CHART]
    for name in names:
        width, height = _png_size(tmp_path / name)
        assert width > 600 and height > 300
        assert (tmp_path / name).stat().st_size > 10_000


HISTORY = [{"epoch": 1, "step": 40, "loss": 0.5, "eval_loss": 0.3, "eval_entity_f1": 0.62},
           {"epoch": 2, "step": 80, "loss": 0.2, "eval_loss": 0.2, "eval_entity_f1": 0.81},
           {"epoch": 3, "step": 100, "loss": 0.1, "eval_loss": 0.18, "eval_entity_f1": 0.84}]


def test_step_curve_is_written(tmp_path):
    steps = list(range(4, 101, 4))
    record = {"every": 4, "steps": steps, "losses": [2.0 * 0.96 ** step for step in steps]}
    path = plots.save_step_curve(record, HISTORY, str(tmp_path), best_epoch=3)
    assert path.endswith(STEP_CURVE)
    width, height = _png_size(tmp_path / STEP_CURVE)
    assert (width, height) == (900, 480)
    assert (tmp_path / STEP_CURVE).stat().st_size > 10_000


def test_markdown_report_links_pictures_and_error_table(tmp_path):
    results = _results()
    tables = {split: errors.analyse(TOKENS, GOLD, PREDICTED, str(tmp_path), split)
              for split in results["splits"]}
    text = report.markdown_report(results, True, "fine", [STEP_CURVE, "loss.png"],
                                  [charts.PER_TYPE_CHART, charts.CONFUSION_CHART], tables,
                                  top_errors=3)
    for name in (STEP_CURVE, "loss.png", charts.PER_TYPE_CHART, charts.CONFUSION_CHART,
                 "errors-test.csv", "error-patterns-eval.csv"):
        assert f"]({name})" in text
    assert "### Errors on test (7 errors)" in text
    assert "Top 3 of 7 patterns:" in text
    # All patterns occur once here: the order is then alphabetical.
    assert ("| 1 | LOC missed | missed | 1 | 14.3% | Japan | gold: [Japan]LOC beat Syria ."
            "<br>predicted: Japan beat Syria . |") in text
    assert "| 3 | ORG too long |" in text and "| 4 |" not in text
    # Without charts or errors the report still renders (as before this change).
    assert "## Error analysis" not in report.markdown_report(results, False, "low", [])


def test_step_loss_log_records_exact_window_means():
    """With a zero learning rate every batch's loss is known in advance: the record
    must be the example-weighted mean of each window, partial last batch included."""
    tf_keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(22, 3)).astype("float32")
    y = np.random.default_rng(1).normal(size=(22, 1)).astype("float32")
    model = tf_keras.Sequential([tf_keras.layers.Dense(1, input_shape=(3,))])
    model.compile(tf_keras.optimizers.SGD(0.0), "mse", run_eagerly=True)  # no tracing: fast
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)  # 5 of 4, one of 2
    kernel, bias = model.get_weights()
    per_example = ((x @ kernel + bias - y) ** 2)[:, 0]
    batch_losses = [per_example[i:i + 4] for i in range(0, 22, 4)]
    log = StepLossLog(every=4)
    model.fit(batches, epochs=2, callbacks=[log], verbose=0)
    every_step = batch_losses * 2
    expected = [np.concatenate(every_step[i:i + 4]).mean() for i in range(0, 12, 4)]
    assert log.record() == {"every": 4, "steps": [4, 8, 12], "losses": pytest.approx(
        [float(value) for value in expected], rel=1e-5)}
    json.dumps(log.record())  # history.json takes it as it is


def test_step_loss_interval_and_validation():
    assert loss_record_interval(150) == 1
    assert loss_record_interval(2634) == 17
    with pytest.raises(ValueError):
        StepLossLog(every=0)


def test_epoch_validation_records_the_step():
    validation = EpochValidation(eval_batches=None, patience=2, labels=CONLL.labels)
    validation.evaluate = lambda: {"eval_loss": 0.5, "eval_accuracy": 0.9,
                                   "eval_entity_f1": 0.7}
    validation.set_model(tf_keras.Sequential([tf_keras.layers.Dense(1, input_shape=(1,))]))
    for batch in range(3):
        validation.on_train_batch_end(batch)
    validation.on_epoch_end(0, {"loss": 1.0})
    assert validation.history == [{"epoch": 1, "step": 3, "loss": 1.0, "eval_loss": 0.5,
                                   "eval_accuracy": 0.9, "eval_entity_f1": 0.7}]
