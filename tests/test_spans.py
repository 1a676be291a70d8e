"""Span folders: layout detection, the span TFX will ingest, the training window
and the held-out set, the span options and their errors. No component runs."""

import os

import pytest
from tfx.components.example_gen import utils

from components.conll_example_gen import spans, window
from components.conll_example_gen.split_files import MissingSplitError
from contracts.spans import (
    DATED, NONE, NUMBERED, SpanSettings, check_span_value, parse_train_spans, span_number)
from pipeline import cli, local_runner
from pipeline.config import PipelineConfig
from pipeline.errors import data_error_message
from tests.conftest import TINY_EVAL, TINY_TEST, TINY_TRAIN, write_conll_dir

SPLITS = {"train.txt": TINY_TRAIN, "valid.txt": TINY_EVAL, "test.txt": TINY_TEST}


def write_spans(data_dir, folders):
    """``folders``: folder name -> {file name: text}; returns ``data_dir``."""
    for name, files in folders.items():
        write_conll_dir(data_dir / name, files)
    return data_dir


@pytest.fixture
def three_spans(tmp_path):
    """span-1 and span-2 complete; span-3 has only a train file."""
    return write_spans(tmp_path / "data", {"span-1": SPLITS, "span-2": SPLITS,
                                           "span-3": {"train.txt": TINY_TRAIN}})


def plan(data_dir, span, train_spans="1", eval_dir="", layout=NUMBERED):
    return window.plan_inputs(str(data_dir), SpanSettings(
        layout=layout, train_spans=train_spans, eval_dir=eval_dir), span)


def relative(data_dir, files):
    return [os.path.relpath(file.path, data_dir) for file in files]


# --- option values ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, count", [("1", 1), ("3", 3), ("all", None), ("ALL", None)])
def test_train_spans_is_a_count_or_all(value, count):
    assert parse_train_spans(value) == count


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "newest", ""])
def test_train_spans_refuses_anything_else(value):
    with pytest.raises(ValueError, match=r"must be a positive whole number or 'all'"):
        parse_train_spans(value)


def test_span_is_a_number_or_a_date():
    assert check_span_value("3") == "3" and check_span_value("2026-12-01") == "2026-12-01"
    for value in ("span-3", "2026-13-01", "2026-1-5", "-1"):
        with pytest.raises(ValueError, match="must be a span number"):
            check_span_value(value)


def test_dated_span_numbers_are_tfxs():
    assert span_number("2026-12-01", DATED) == utils.date_to_span_number(2026, 12, 1)
    assert span_number("7", NUMBERED) == 7
    with pytest.raises(ValueError, match="--span 7: dated span folders are named YYYY-MM-DD; "
                                         "give a date"):
        span_number("7", DATED)
    with pytest.raises(ValueError, match="numbered span folders are named span-<n>"):
        span_number("2026-12-01", NUMBERED)


def test_span_options_need_span_folders():
    config = PipelineConfig(data_dir="d", span="2", train_spans="all", eval_dir="held-out")
    with pytest.raises(ValueError, match=r"^--span, --train-spans, --eval-dir need span "
                                         r"folders in --data-dir"):
        config.span_settings(NONE)
    assert PipelineConfig(data_dir="d").span_settings(NONE) == SpanSettings()
    assert config.span_settings(NUMBERED) == SpanSettings(NUMBERED, 2, "all", "held-out")


# --- layouts ---------------------------------------------------------------------------------

def test_layout_is_detected_from_the_folders(tmp_path, three_spans):
    assert spans.detect_layout(str(three_spans)) == NUMBERED
    dated = write_spans(tmp_path / "dated", {"2026-12-01": SPLITS, "2026-12-08": SPLITS})
    assert spans.detect_layout(str(dated)) == DATED
    plain = write_conll_dir(tmp_path / "plain", SPLITS)
    (plain / "notes").mkdir()
    assert spans.detect_layout(str(plain)) == NONE
    (tmp_path / "empty").mkdir()
    assert spans.detect_layout(str(tmp_path / "empty")) == NONE


@pytest.mark.parametrize("folders, message", [
    ({"span-1": SPLITS, "train.txt": None}, "mixes span-<n> folders (span-1/) and split files "
                                            "(train.txt); keep one layout"),
    ({"span-1": SPLITS, "2026-12-01": SPLITS}, "mixes YYYY-MM-DD folders (2026-12-01/) and "
                                               "span-<n> folders (span-1/)"),
    ({"span-01": SPLITS, "span-2": SPLITS}, "cannot read span folder(s) span-01; name them "
                                            "span-<n> without zero padding"),
    ({"2026-12-01": SPLITS, "2026-13-01": SPLITS}, "cannot read span folder(s) 2026-13-01; "
                                                   "name them YYYY-MM-DD"),
])
def test_mixed_or_unreadable_folders_are_refused_naming_the_directory(tmp_path, folders,
                                                                       message):
    data_dir = tmp_path / "data"
    for name, files in folders.items():
        if files is None:
            write_conll_dir(data_dir, {name: TINY_TRAIN})
        else:
            write_conll_dir(data_dir / name, files)
    with pytest.raises(spans.SpanLayoutError) as caught:
        spans.detect_layout(str(data_dir))
    assert str(data_dir) in str(caught.value)
    assert message in str(caught.value)


def test_an_explicit_layout_is_checked_and_none_reads_nothing(tmp_path, three_spans):
    assert spans.resolve_layout(str(three_spans), "auto") == NUMBERED
    assert spans.resolve_layout(str(three_spans), NUMBERED) == NUMBERED
    with pytest.raises(spans.SpanLayoutError, match=r"--span-layout dated: data directory .* "
                                                    r"has no YYYY-MM-DD folder"):
        spans.resolve_layout(str(three_spans), DATED)
    assert spans.resolve_layout(str(tmp_path / "not-there"), NONE) == NONE


def test_split_patterns_are_the_same_for_every_split():
    for layout, pattern in ((NUMBERED, "span-{SPAN}/*"), (DATED, "{YYYY}-{MM}-{DD}/*"),
                            (NONE, "*")):
        config = spans.input_config_for(layout)
        assert [split.name for split in config.splits] == ["train", "eval", "test"]
        assert {split.pattern for split in config.splits} == {pattern}
    assert spans.range_config_for(None) is None
    static = spans.range_config_for(2).static_range
    assert (static.start_span_number, static.end_span_number) == (2, 2)


# --- the span TFX will ingest ----------------------------------------------------------------

def test_the_newest_span_with_files_or_the_one_asked_for(three_spans):
    (three_spans / "span-4").mkdir()  # no files yet: TFX's glob does not see it
    assert spans.resolve_span(str(three_spans), NUMBERED, None) == 3
    assert spans.resolve_span(str(three_spans), NUMBERED, 2) == 2


def test_a_span_that_does_not_exist_names_the_directory_and_the_spans(three_spans):
    with pytest.raises(spans.SpanLayoutError) as caught:
        spans.resolve_span(str(three_spans), NUMBERED, 7)
    assert str(caught.value) == (f"Data directory {three_spans} has no span folder span-7 with "
                                 f"files; its span folders: span-1, span-2, span-3")


# --- the window and the held-out set ---------------------------------------------------------

@pytest.mark.parametrize("span, train_spans, window_folders", [
    (3, "1", ["span-3"]), (3, "2", ["span-2", "span-3"]), (3, "5", ["span-1", "span-2", "span-3"]),
    (3, "all", ["span-1", "span-2", "span-3"]), (2, "all", ["span-1", "span-2"]),
    (1, "2", ["span-1"]),
])
def test_the_window_is_the_newest_spans_up_to_the_ingested_one(three_spans, span, train_spans,
                                                               window_folders):
    planned = plan(three_spans, span, train_spans)
    assert planned.train_spans == tuple(window_folders)
    assert relative(three_spans, planned.files["train"]) == [
        f"{folder}/train.txt" for folder in window_folders]
    assert [file.document_prefix for file in planned.files["train"]] == [
        f"{folder}/" for folder in window_folders]


def test_held_out_is_the_newest_span_with_valid_and_test_up_to_the_ingested_one(three_spans):
    planned = plan(three_spans, 3)
    assert planned.eval_source == "span-2"
    assert relative(three_spans, planned.files["eval"]) == ["span-2/valid.txt"]
    assert relative(three_spans, planned.files["test"]) == ["span-2/test.txt"]
    write_conll_dir(three_spans / "span-3", {"valid.txt": TINY_EVAL})  # no test: not eligible
    assert plan(three_spans, 3).eval_source == "span-2"
    assert plan(three_spans, 1).eval_source == "span-1"


def test_an_eval_dir_replaces_the_spans_held_out_files(tmp_path, three_spans):
    held_out = write_conll_dir(tmp_path / "held-out", {"eng.testa": TINY_EVAL,
                                                       "test.txt": TINY_TEST})
    planned = plan(three_spans, 3, eval_dir=str(held_out))
    assert planned.eval_source == str(held_out)
    assert [file.path for file in planned.files["eval"]] == [str(held_out / "eng.testa")]
    assert planned.files["test"][0].document_prefix == ""
    (held_out / "test.txt").unlink()
    with pytest.raises(MissingSplitError, match=rf"Data directory {held_out} has no file for "
                                                rf"split\(s\): test"):
        plan(three_spans, 3, eval_dir=str(held_out))


def test_no_held_out_set_is_one_clear_error(tmp_path):
    data_dir = write_spans(tmp_path / "data", {"span-1": {"train.txt": TINY_TRAIN},
                                               "span-2": {"train.txt": TINY_TRAIN}})
    with pytest.raises(MissingSplitError) as caught:
        plan(data_dir, 2)
    assert str(caught.value) == (
        f"No span folder up to span-2 in {data_dir} has both eval (valid.txt or eng.testa or "
        f"valid.jsonl) and test (test.txt or eng.testb or test.jsonl); add them to a span or "
        f"pass --eval-dir")


def test_a_window_span_without_train_is_named(three_spans):
    (three_spans / "span-2" / "train.txt").unlink()
    with pytest.raises(MissingSplitError, match=r"Span folder .*span-2 has no file for split "
                                                r"train \(train.txt or eng.train"):
        plan(three_spans, 3, "2")


def test_dated_spans_count_folders_not_days(tmp_path):
    data_dir = write_spans(tmp_path / "data", {"2026-11-03": SPLITS, "2026-12-01": SPLITS,
                                               "2026-12-08": {"train.txt": TINY_TRAIN}})
    newest = spans.resolve_span(str(data_dir), DATED, None)
    assert newest == utils.date_to_span_number(2026, 12, 8)
    planned = plan(data_dir, newest, "2", layout=DATED)
    assert planned.train_spans == ("2026-12-01", "2026-12-08")
    assert planned.eval_source == "2026-12-01"
    assert spans.resolve_span(str(data_dir), DATED, span_number("2026-11-03", DATED)) == \
        utils.date_to_span_number(2026, 11, 3)


# --- what a local run decides ----------------------------------------------------------------

def test_a_plain_directory_keeps_its_settings(tiny_conll_dir):
    assert local_runner.span_settings(PipelineConfig(data_dir=str(tiny_conll_dir))) == \
        SpanSettings()


def test_the_data_fingerprint_covers_the_window_and_the_eval_dir(tmp_path, three_spans):
    held_out = write_conll_dir(tmp_path / "held-out", SPLITS)
    config = PipelineConfig(data_dir=str(three_spans), train_spans="2", eval_dir=str(held_out))
    settings = local_runner.span_settings(config)
    assert settings == SpanSettings(NUMBERED, None, "2", str(held_out),
                                    settings.data_fingerprint)
    touched = []
    for path in (three_spans / "span-1" / "train.txt", three_spans / "span-2" / "train.txt",
                 held_out / "test.txt"):
        path.write_text(path.read_text() + "\nMore O\n")
        touched.append(local_runner.span_settings(config).data_fingerprint)
    # span-1 is outside the window; span-2's train file and the eval dir are in it.
    assert touched[0] == settings.data_fingerprint
    assert len({settings.data_fingerprint, *touched}) == 3


def test_a_missing_span_ends_the_run_in_one_line(three_spans, tmp_path, capsys):
    code = cli.main(["run", "--data-dir", str(three_spans), "--span", "7",
                     "--pipeline-root", str(tmp_path / "root")])
    assert code == 1
    error = capsys.readouterr().err
    assert error == (f"ner-pipeline: error: Data directory {three_spans} has no span folder "
                     f"span-7 with files; its span folders: span-1, span-2, span-3\n")


@pytest.mark.parametrize("options, message", [
    ({"train_spans": "2"}, "--train-spans needs span folders in --data-dir"),
    ({"span_layout": NUMBERED}, "has no span-<n> folder"),
])
def test_span_options_on_a_plain_directory_are_refused(tiny_conll_dir, options, message):
    config = PipelineConfig(data_dir=str(tiny_conll_dir), **options)
    with pytest.raises(spans.SpanLayoutError) as caught:
        local_runner.span_settings(config)
    assert message in data_error_message(caught.value)
