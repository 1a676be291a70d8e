"""The evaluation report: error analysis (pandas), charts (PNG), the training
curves and the Markdown that ties them together."""

import pandas as pd
import pytest

from components.ner_evaluator import charts, error_analysis, metrics, report
from contracts.drift import TAG_DIVERGENCE, UNSEEN_WORDS, DriftCheck, Measure
from contracts.files import STEP_CURVE
from modules.trainer import plots
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
    return error_analysis.error_table(TOKENS, GOLD, PREDICTED)


def test_classify_tells_error_kinds_apart():
    assert error_analysis.classify(GOLD[0], PREDICTED[0]) == [
        (error_analysis.TYPE, "ORG → LOC", [("ORG", 0, 1)], [("LOC", 0, 1)])]
    assert [error[:2] for error in error_analysis.classify(GOLD[1], PREDICTED[1])] == [
        (error_analysis.BOUNDARY, "PER too short"), (error_analysis.BOUNDARY, "LOC too short")]
    assert error_analysis.classify(GOLD[2], PREDICTED[2]) == [
        (error_analysis.MISSED, "LOC missed", [("LOC", 0, 1)], [])]
    assert error_analysis.classify(GOLD[3], PREDICTED[3]) == [
        (error_analysis.SPURIOUS, "spurious PER", [], [("PER", 0, 1)])]
    assert error_analysis.classify(GOLD[4], PREDICTED[4]) == [
        (error_analysis.BOUNDARY_AND_TYPE, "ORG → LOC+ORG (split)", [("ORG", 0, 3)],
         [("ORG", 0, 1), ("LOC", 2, 3)])]
    assert [error[:2] for error in error_analysis.classify(GOLD[5], PREDICTED[5])] == [
        (error_analysis.BOUNDARY, "ORG too long")]
    assert error_analysis.classify(GOLD[6], PREDICTED[6]) == []


def test_classify_shapes_shifted_and_merged():
    assert error_analysis.classify(["O", "B-PER", "I-PER", "O"],
                                   ["O", "O", "B-PER", "I-PER"])[0][1] == "PER shifted"
    assert error_analysis.classify(["B-LOC", "B-LOC"], ["B-LOC", "I-LOC"])[0][1] == "LOC merged"
    # An I- tag after O starts an entity, as seqeval reads it.
    assert error_analysis.classify(["O", "I-MISC"], ["O", "B-MISC"]) == []


def test_every_span_seqeval_misses_is_in_exactly_one_error(error_rows):
    """Exactly matched spans count once in the confusion matrix; the errors cover
    all the others: each gold span not correct, each predicted span not correct."""
    gold_spans = predicted_spans = correct = 0
    for gold_row, predicted_row in zip(GOLD, PREDICTED):
        gold = set(error_analysis.spans(gold_row))
        predicted = set(error_analysis.spans(predicted_row))
        gold_spans, predicted_spans = gold_spans + len(gold), predicted_spans + len(predicted)
        correct += len(gold & predicted)
    found = [error for g, p in zip(GOLD, PREDICTED) for error in error_analysis.classify(g, p)]
    assert sum(len(error[2]) for error in found) == gold_spans - correct
    assert sum(len(error[3]) for error in found) == predicted_spans - correct
    # The type confusions are the confusion matrix's off-diagonal cells of real types.
    confusion = metrics.entity_confusion(GOLD, PREDICTED, CONLL.types)
    assert confusion["ORG"]["LOC"] == sum(error[0] == error_analysis.TYPE for error in found) == 1


def test_error_table_rows_and_examples(error_rows):
    assert list(error_rows.columns) == error_analysis.ERROR_COLUMNS
    assert len(error_rows) == 7
    row = error_rows[error_rows["pattern"] == "PER too short"].iloc[0]
    assert row["sentence"] == 1
    assert row["gold"] == "[Peter Blackburn]PER"
    assert row["predicted"] == "[Peter]PER"
    assert row["words"] == "Peter Blackburn"
    assert row["gold_in_context"] == "[Peter Blackburn]PER visits New York City"
    assert row["predicted_in_context"] == "[Peter]PER Blackburn visits New York City"
    assert row["text"] == "Peter Blackburn visits New York City"
    spurious = error_rows[error_rows["category"] == error_analysis.SPURIOUS].iloc[0]
    assert spurious["gold"] == "" and spurious["words"] == "He"
    assert spurious["predicted_in_context"] == "[He]PER said so"


def test_context_is_cut_with_ellipses():
    tokens = [f"w{i}" for i in range(12)]
    gold = ["O"] * 12
    predicted = ["O"] * 6 + ["B-MISC"] + ["O"] * 5
    row = error_analysis.error_table([tokens], [gold], [predicted], context=2).iloc[0]
    assert row["predicted_in_context"] == "… w4 w5 [w6]MISC w7 w8 …"
    assert row["gold_in_context"] == "… w4 w5 w6 w7 w8 …"


def test_category_and_pattern_counts(error_rows):
    categories = error_analysis.category_table(error_rows)
    assert list(categories["category"]) == list(error_analysis.CATEGORIES)
    assert dict(zip(categories["category"], categories["errors"])) == {
        error_analysis.TYPE: 1, error_analysis.BOUNDARY: 3, error_analysis.BOUNDARY_AND_TYPE: 1,
        error_analysis.MISSED: 1, error_analysis.SPURIOUS: 1}
    assert categories["share"].sum() == pytest.approx(1.0)

    many = error_analysis.error_table(TOKENS * 3 + [["Syria", "lost"]],
                                      GOLD * 3 + [["B-LOC", "O"]], PREDICTED * 3 + [["O", "O"]])
    patterns = error_analysis.pattern_table(many, examples=2)
    top = patterns.iloc[0]
    assert (top["pattern"], top["category"], top["errors"]) == (
        "LOC missed", error_analysis.MISSED, 4)
    assert top["share"] == pytest.approx(4 / 22)
    assert top["frequent_words"] == "Japan (3), Syria"
    # Examples prefer distinct words: Japan, then Syria (sentence 21), not Japan again.
    assert [example["sentence"] for example in top["examples"]] == [2, 21]
    assert top["examples"][1] == {"sentence": 21, "gold": "[Syria]LOC lost",
                                  "predicted": "Syria lost"}
    assert list(patterns["errors"]) == sorted(patterns["errors"], reverse=True)
    assert error_analysis.pattern_table(
        error_analysis.error_table([["a"]], [["O"]], [["O"]])).empty


def test_analysed_tables_are_written_as_csv(tmp_path):
    tables = error_analysis.analyse(TOKENS, GOLD, PREDICTED)
    assert error_analysis.write_tables(tables, str(tmp_path), "test") == [
        "errors-test.csv", "error-patterns-test.csv", "error-categories-test.csv"]
    every = pd.read_csv(tmp_path / "errors-test.csv")
    assert len(every) == 7 and list(every.columns) == error_analysis.ERROR_COLUMNS
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
    analysed = error_analysis.analyse(TOKENS, GOLD, PREDICTED)
    tables = {split: {**analysed, "files": error_analysis.write_tables(analysed, str(tmp_path),
                                                                       split)}
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


def test_the_report_shows_the_drift_check_of_the_training_span():
    check = DriftCheck("span-3", "span-2", (Measure(TAG_DIVERGENCE, 0.0111, 0.006),
                                            Measure(UNSEEN_WORDS, 0.0303, 0.08)))
    text = report.markdown_report(_results(), True, "fine", [], drift=check)
    assert text.index("## Data drift") < text.index("## Metrics")
    assert ("**DRIFT**: span-3 against span-2: tag distribution (Jensen-Shannon divergence "
            "of ner_tags) 0.0111 above 0.006") in text
    assert ("| tag distribution | Jensen-Shannon divergence of ner_tags | 0.0111 | 0.006 | yes |"
            in text)
    assert "| unseen words |" in text and "| 0.0303 | 0.08 | no |" in text
    first = report.markdown_report(_results(), True, "fine", [], drift=DriftCheck("span-1"))
    assert "Passed: no previous span before span-1: nothing to compare" in first
    assert "| measure |" not in first
    assert "## Data drift" not in report.markdown_report(_results(), True, "fine", [])
