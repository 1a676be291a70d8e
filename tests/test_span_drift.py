"""Drift between spans on CoNLL-2003 cut into three spans by document: real spans
do not drift, a span lower-cased or without MISC entities does. SpanDrift's
executor writes the check, the DriftGate stops on it, the pipeline wires them,
and ``ner-pipeline run --drift-gate`` ends in one line before Transform."""

import os
import pathlib
import shutil

import pytest
from tensorflow_data_validation.utils import anomalies_util
from tfx.types import artifact_utils, standard_artifacts

from benchmarks.split_spans import split_spans
from components.span_drift.check import check_span
from components.span_drift.component import ANOMALIES_FILE_NAME, SpanDrift
from components.span_drift.gate import DataDriftError, DriftGate
from contracts.checkpoint import deferred
from contracts.drift import (
    CHECK_PROPERTY, DRIFTED_PROPERTY, TAG_DIVERGENCE, UNSEEN_WORDS, DriftCheck)
from contracts.spans import NONE, NUMBERED, SpanSettings
from pipeline import cli, run_summary
from pipeline.config import DEFAULT_SCHEMA_FILE, PipelineConfig
from pipeline.errors import data_error_message
from pipeline.pipeline import create_components
from pipeline.placement import Placement
from tests.conftest import TINY_EVAL, TINY_TEST, write_conll_dir
from tests.test_pipeline_local import latest_executions

# The shared CoNLL-2003 copy's tagging scheme, as ingestion detects it.
SCHEME = "IOB2"


def _lower_cased(columns):
    return [columns[0].lower()] + columns[1:]


def _without_misc(columns):
    return columns[:-1] + ["O" if columns[-1].endswith("-MISC") else columns[-1]]


def shifted_copy(spans: pathlib.Path, target: pathlib.Path, shift) -> pathlib.Path:
    """``spans`` with span-3's train file rewritten token line by token line."""
    shutil.copytree(spans, target)
    train = target / "span-3" / "train.txt"
    lines = []
    for line in train.read_text(encoding="utf-8").splitlines(keepends=True):
        columns = line.split()
        keep = not columns or columns[0] == "-DOCSTART-"
        lines.append(line if keep else " ".join(shift(columns)) + "\n")
    train.write_text("".join(lines), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def spans(shared_conll_dir, tmp_path_factory) -> pathlib.Path:
    """span-1 .. span-3 of about 4,700 sentences each; valid and test in span-3."""
    root = tmp_path_factory.mktemp("drift")
    split_spans(shared_conll_dir, root / "spans", 3)
    return root / "spans"


@pytest.fixture(scope="module")
def lower_cased(spans) -> pathlib.Path:
    return shifted_copy(spans, spans.parent / "lower-cased", _lower_cased)


def drifted(check: DriftCheck) -> set:
    return {measure.name for measure in check.measures if measure.drifted}


@pytest.mark.parametrize("span, previous", [(2, "span-1"), (3, "span-2")])
def test_real_spans_do_not_drift(spans, span, previous):
    check, anomalies = check_span(str(spans), NUMBERED, span, SCHEME)
    assert (check.span, check.previous_span) == (f"span-{span}", previous)
    assert check.measures and not check.drifted, check.measures
    assert not anomalies.anomaly_info


def test_the_first_span_and_a_plain_directory_have_nothing_to_compare(spans):
    assert check_span(str(spans), NUMBERED, 1, SCHEME) == (DriftCheck("span-1"), None)
    assert check_span(str(spans / "span-3"), NONE, None, SCHEME) == (DriftCheck(), None)


@pytest.mark.parametrize("shift, measure", [(_lower_cased, UNSEEN_WORDS),
                                            (_without_misc, TAG_DIVERGENCE)])
def test_a_shifted_span_drifts_in_the_measure_it_moves(spans, tmp_path, shift, measure):
    shifted = shifted_copy(spans, tmp_path / "shifted", shift)
    check, anomalies = check_span(str(shifted), NUMBERED, 3, SCHEME)
    assert drifted(check) == {measure}
    assert len(anomalies.anomaly_info) == 1


def examples_of_span(span: int, tmp_path) -> standard_artifacts.Examples:
    """An Examples artifact with what SpanDrift reads: the span and the tagging scheme."""
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "examples")
    examples.set_int_custom_property("span", span)
    examples.set_string_custom_property("tag_scheme", SCHEME)
    return examples


def run_span_drift(data_dir, layout: str, tmp_path) -> standard_artifacts.ExampleAnomalies:
    drift = standard_artifacts.ExampleAnomalies()
    drift.uri = str(tmp_path / "drift")
    SpanDrift.EXECUTOR_SPEC.executor_class().Do(
        {"examples": [examples_of_span(3, tmp_path)]}, {"drift": [drift]},
        {"data_dir": str(data_dir), "span_layout": layout})
    return drift


def run_gate(drift) -> None:
    DriftGate.EXECUTOR_SPEC.executor_class().Do({"drift": [drift]}, {}, {})


def test_span_drift_records_the_check_and_the_gate_stops_on_it(lower_cased, tmp_path):
    drift = run_span_drift(lower_cased, NUMBERED, tmp_path)
    check = DriftCheck.from_json(drift.get_string_custom_property(CHECK_PROPERTY))
    assert drifted(check) == {UNSEEN_WORDS}
    assert drift.get_int_custom_property(DRIFTED_PROPERTY) == 1
    anomalies = anomalies_util.load_anomalies_binary(os.path.join(
        artifact_utils.get_split_uri([drift], "train"), ANOMALIES_FILE_NAME))
    assert set(anomalies.anomaly_info) == {"tokens"}
    with pytest.raises(DataDriftError) as caught:
        run_gate(drift)
    message = data_error_message(caught.value)
    assert message.startswith("Data drift: span-3 against span-2: unseen words (share of")
    assert message.endswith("or run without --drift-gate to train on it anyway")
    assert "\n" not in message


def test_without_drift_or_spans_the_gate_lets_the_run_go_on(spans, tmp_path):
    calm = run_span_drift(spans, NUMBERED, tmp_path / "spans")
    assert calm.get_int_custom_property(DRIFTED_PROPERTY) == 0
    run_gate(calm)
    plain = run_span_drift(spans / "span-3", NONE, tmp_path / "plain")
    assert DriftCheck.from_json(plain.get_string_custom_property(CHECK_PROPERTY)) == DriftCheck()
    assert not os.path.exists(os.path.join(plain.uri, "Split-train"))
    run_gate(plain)


def nodes(tmp_path, drift_gate: bool):
    placement = Placement(schema_file=str(DEFAULT_SCHEMA_FILE), checkpoint=deferred("bert"),
                          serving_dir=str(tmp_path / "serving"),
                          spans=SpanSettings(layout=NUMBERED))
    config = PipelineConfig(data_dir=str(tmp_path / "data"), drift_gate=drift_gate)
    return {node.id: node for node in create_components(config, placement)}


def test_the_pipeline_checks_every_span_and_gates_only_with_drift_gate(tmp_path):
    reported = nodes(tmp_path, drift_gate=False)
    span_drift = reported["SpanDrift"]
    assert span_drift.exec_properties["data_dir"] == str(tmp_path / "data")
    assert span_drift.exec_properties["span_layout"] == NUMBERED
    assert reported["NerEvaluator"].inputs["drift"] is span_drift.outputs["drift"]
    assert "DriftGate" not in reported
    assert "SpanDrift" not in {node.id for node in reported["Transform"].upstream_nodes}

    gated = nodes(tmp_path, drift_gate=True)
    assert gated["DriftGate"] in gated["Transform"].upstream_nodes
    assert gated["DriftGate"].inputs["drift"] is gated["SpanDrift"].outputs["drift"]


def test_drift_gate_stops_a_run_before_transform_in_one_line(
        lower_cased, tiny_checkpoint, tmp_path, capsys):
    root = tmp_path / "root"
    # Tiny held-out files: the run ingests span-3's train file, and little else.
    held_out = write_conll_dir(tmp_path / "held-out", {"valid.txt": TINY_EVAL,
                                                        "test.txt": TINY_TEST})
    assert cli.main(["run", "--profile", "quick", "--data-dir", str(lower_cased),
                     "--eval-dir", str(held_out), "--pipeline-root", str(root),
                     "--serving-dir", str(tmp_path / "serving"),
                     "--checkpoint", str(tiny_checkpoint), "--drift-gate"]) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("ner-pipeline: error: Data drift: span-3 against span-2: unseen words")
    config = PipelineConfig(data_dir=str(lower_cased), pipeline_root=str(root))
    _, executions = latest_executions(config)
    assert "Transform" not in executions and not (tmp_path / "serving").exists()
    summary = run_summary.summarize(config.resolved_metadata_path, config.pipeline_name)
    assert "DRIFT: span-3 against span-2: unseen words" in summary
