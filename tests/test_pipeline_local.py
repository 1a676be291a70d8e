"""The local pipeline end to end (LocalDagRunner, DirectRunner, SQLite MLMD)."""

import pytest

from components.validation_gate.component import DataAnomaliesError
from pipeline import local_runner, run_summary
from pipeline.config import PipelineConfig
from tests.conftest import TINY_EVAL, TINY_TEST, write_conll_dir


def latest_states(config):
    store = run_summary.open_store(config.resolved_metadata_path)
    executions = run_summary.latest_run_executions(store, config.pipeline_name)
    return {node: run_summary._STATES[e.last_known_state] for node, e in executions.items()}


def test_full_conll2003_counts_validation_and_cache(shared_conll_dir, tmp_path):
    config = PipelineConfig(data_dir=str(shared_conll_dir), pipeline_root=str(tmp_path / "root"))
    local_runner.run(config)
    assert set(latest_states(config).values()) == {"ran"}
    summary = run_summary.summarize(config.resolved_metadata_path, config.pipeline_name)
    rows = {line.split()[0]: line.split()[1:] for line in summary.splitlines()[-3:]}
    assert rows == {"train": ["14041", "203621", "23499", "0"],
                    "eval": ["3250", "51362", "5942", "0"],
                    "test": ["3453", "46435", "5648", "0"]}

    local_runner.run(config)
    states = latest_states(config)
    assert states.pop("ValidationGate") in ("cached", "ran")
    assert set(states.values()) == {"cached"}


def test_unknown_tag_stops_the_run_naming_tag_and_file(tmp_path):
    data_dir = write_conll_dir(tmp_path / "conll", {
        "train.txt": "Monday B-DATE\nEU B-ORG\n", "valid.txt": TINY_EVAL, "test.txt": TINY_TEST})
    config = PipelineConfig(data_dir=str(data_dir), pipeline_root=str(tmp_path / "root"))
    with pytest.raises(DataAnomaliesError) as caught:
        local_runner.run(config)
    message = str(caught.value)
    assert "B-DATE" in message
    assert str(data_dir / "train.txt") in message
    assert "ner_tags" in message
