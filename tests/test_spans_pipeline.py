"""The quick pipeline end to end on span folders: three small spans of CoNLL-2003,
the newest ingested, a window of two trained on, eval and test from the held-out
span; a rerun with nothing added comes from the cache. About 3.5 minutes here
(two pipeline runs), hence slow; tests/test_spans.py and
tests/test_conll_example_gen_spans.py cover the same logic in seconds."""

import pathlib
import re

import pytest

from benchmarks.split_spans import split_spans
from components.conll_example_gen.executor import EVAL_SOURCE_PROPERTY, TRAIN_SPANS_PROPERTY
from contracts.conll_format import decode_lines, read_sentences
from pipeline import local_runner, run_summary
from pipeline.config import config_for_profile
from tests.test_pipeline_local import latest_executions, states

pytestmark = pytest.mark.slow

# Documents of each CoNLL-2003 file kept: 10 train documents per span.
DOCUMENTS = 30


def sentence_count(path: pathlib.Path) -> int:
    return sum(1 for _ in read_sentences(decode_lines(path.read_bytes(), str(path)), str(path)))


@pytest.fixture(scope="module")
def span_run(shared_conll_dir, tiny_checkpoint, tmp_path_factory):
    root = tmp_path_factory.mktemp("spans-pipeline")
    split_spans(shared_conll_dir, root / "data", 3, DOCUMENTS)
    config = config_for_profile("quick", data_dir=str(root / "data"), train_spans="2",
                                pipeline_root=str(root / "root"),
                                serving_dir=str(root / "serving"),
                                checkpoint=str(tiny_checkpoint))
    local_runner.run(config)
    return config


def examples_of(config):
    store, executions = latest_executions(config)
    return run_summary.output_artifacts(store, executions["ConllExampleGen"])["examples"]


def test_the_newest_span_is_ingested_with_a_window_of_two(span_run):
    data = pathlib.Path(span_run.data_dir)
    properties = examples_of(span_run).custom_properties
    assert properties["span"].int_value == 3
    assert properties[TRAIN_SPANS_PROPERTY].string_value == "span-2,span-3"
    assert properties[EVAL_SOURCE_PROPERTY].string_value == "span-3"
    assert properties["train_sentences"].int_value == sum(
        sentence_count(data / folder / "train.txt") for folder in ("span-2", "span-3"))
    assert properties["test_sentences"].int_value == sentence_count(data / "span-3" / "test.txt")
    summary = run_summary.summarize(span_run.resolved_metadata_path, span_run.pipeline_name)
    assert "  span 3; train from 2 span(s): span-2, span-3; eval and test from span-3" in summary


def test_the_span_is_checked_against_the_previous_one_in_summary_and_report(span_run):
    """Spans of 10 documents differ by chance: drift or not, the check is shown."""
    summary = run_summary.summarize(span_run.resolved_metadata_path, span_run.pipeline_name)
    assert re.search(r"^(Drift|DRIFT): span-3 against span-2: ", summary, re.M), summary
    report = pathlib.Path(re.search(r"^Report: (.*)$", summary, re.M).group(1)).read_text()
    assert "## Data drift" in report and "| unseen words |" in report


def test_a_rerun_with_no_new_span_comes_from_the_cache(span_run):
    first = examples_of(span_run).id
    local_runner.run(span_run)
    _, executions = latest_executions(span_run)
    assert states(executions)["ConllExampleGen"] == "cached"
    assert states(executions)["Transform"] == "cached"
    assert examples_of(span_run).id == first
