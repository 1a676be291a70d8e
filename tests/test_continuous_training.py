"""Continuous training end to end on the quick profile: three spans arrive one at a time
under one data directory, and each run ingests the new span, trains on a window of
two spans warm-started from the latest blessed model, is judged on the same held-out
data, and pushes when blessed. Three pipeline runs, hence slow;
tests/test_warm_start.py covers the decisions in seconds."""

import json
import os
import shutil

import pytest

from benchmarks.split_spans import split_spans
from components.conll_example_gen.executor import TRAIN_SPANS_PROPERTY
from contracts.files import HISTORY_FILE
from contracts.weights import COLD, WARM
from pipeline import local_runner, run_summary
from pipeline.config import config_for_profile
from tests.test_pipeline_local import latest_executions
from tests.test_spans_pipeline import DOCUMENTS

pytestmark = pytest.mark.slow

SPANS = 3


def _outputs(config, node, key):
    store, executions = latest_executions(config)
    return run_summary.output_artifacts(store, executions[node])[key]


def _history(config):
    with open(os.path.join(_outputs(config, "Trainer", "model_run").uri, HISTORY_FILE)) as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def three_runs(shared_conll_dir, tiny_checkpoint, tmp_path_factory):
    """What each of the three runs left: its config, summary, Examples, Trainer model
    URI, training history and blessing."""
    root = tmp_path_factory.mktemp("continuous")
    split_spans(shared_conll_dir, root / "arriving", SPANS, DOCUMENTS, held_out=root / "held-out")
    config = config_for_profile(
        "quick", data_dir=str(root / "data"), eval_dir=str(root / "held-out"), train_spans="2",
        pipeline_root=str(root / "root"), serving_dir=str(root / "serving"),
        checkpoint=str(tiny_checkpoint), training={"warm_start": True})
    runs = []
    for span in range(1, SPANS + 1):
        shutil.copytree(root / "arriving" / f"span-{span}", root / "data" / f"span-{span}")
        local_runner.run(config)
        runs.append({
            "summary": run_summary.summarize(config.resolved_metadata_path,
                                             config.pipeline_name),
            "examples": _outputs(config, "ConllExampleGen", "examples"),
            "model": _outputs(config, "Trainer", "model").uri,
            "history": _history(config),
            "blessed": _outputs(config, "NerEvaluator", "blessing")
            .custom_properties["blessed"].int_value,
            "served": sorted(os.listdir(config.serving_dir)),
        })
    return runs


def test_each_run_ingests_its_new_span_and_trains_on_its_window(three_runs):
    windows = ["span-1", "span-1,span-2", "span-2,span-3"]
    for span, (run, window) in enumerate(zip(three_runs, windows), start=1):
        properties = run["examples"].custom_properties
        assert properties["span"].int_value == span
        assert properties[TRAIN_SPANS_PROPERTY].string_value == window
        assert f"span {span}; train from" in run["summary"]


def test_later_runs_warm_start_from_the_latest_blessed_model(three_runs):
    first = three_runs[0]["history"]["initialized"]
    assert (first["kind"], first["reason"]) == (COLD, "no blessed model yet")
    assert "Weights: cold start from" in three_runs[0]["summary"]
    latest_blessed = three_runs[0]["model"]
    for run in three_runs[1:]:
        initialized = run["history"]["initialized"]
        assert initialized == {"kind": WARM, "reason": "",
                               "source": os.path.join(latest_blessed, "Format-Serving")}
        assert f"Weights: warm start from {latest_blessed}" in run["summary"]
        if run["blessed"]:
            latest_blessed = run["model"]


def test_blessed_runs_push_and_refused_runs_do_not(three_runs):
    assert three_runs[0]["blessed"], "the first model has no baseline to lose to"
    pushed = 0
    for run in three_runs:
        pushed += run["blessed"]
        assert len(run["served"]) == pushed
        assert ("Pushed:" in run["summary"]) == bool(run["blessed"])
