"""A Trainer killed mid-epoch resumes: ``ner-pipeline run`` (quick profile, a small data
set) is SIGKILLed once training has passed a backup, and the rerun trains only the steps
that were left, publishes one model and cancels the killed execution."""

import json
import os
import pathlib
import re
import signal
import subprocess
import sys

import pytest
from ml_metadata.proto import metadata_store_pb2

from pipeline import run_summary

EVERY = 25
SPLIT_SENTENCES = {"train.txt": 1500, "valid.txt": 200, "test.txt": 200}
# A progress line at step 100: backups at steps 25, 50, 75 and at the first epoch's end
# (53 batches) are done; the second epoch is under way.
KILL_AFTER = re.compile(r"Training step 100/\d+:")


def first_sentences(source: pathlib.Path, count: int) -> str:
    """The first ``count`` sentences (blank-line separated blocks) of a CoNLL file."""
    blocks = source.read_text(encoding="utf-8").split("\n\n")
    return "\n\n".join(blocks[:count]) + "\n"


@pytest.fixture
def small_data(shared_conll_dir, tmp_path) -> pathlib.Path:
    """The first sentences of CoNLL-2003's splits: 53 batches per epoch on the quick profile."""
    directory = tmp_path / "data"
    directory.mkdir()
    for name, count in SPLIT_SENTENCES.items():
        (directory / name).write_text(first_sentences(shared_conll_dir / name, count),
                                      encoding="utf-8")
    return directory


def published_dirs(store) -> set:
    """The directories ML Metadata's artifacts name (a value artifact names a file in one)."""
    return {os.path.dirname(a.uri) if a.uri.endswith("/value") else a.uri
            for a in store.get_artifacts()}


def output_dirs(root: pathlib.Path) -> set:
    """<node>/<output key>/<execution id> directories under the pipeline root."""
    return {str(path) for path in root.glob("*/*/*") if path.is_dir()
            and not any(part.startswith(".") for part in path.relative_to(root).parts)
            and path.relative_to(root).parts[0] not in ("checkpoints", "tmp")}


@pytest.mark.slow
def test_a_killed_trainer_resumes_from_its_last_backup(small_data, tiny_checkpoint, tmp_path):
    root = tmp_path / "root"
    command = [str(pathlib.Path(sys.executable).with_name("ner-pipeline")), "run",
               "--profile", "quick", "--data-dir", str(small_data), "--pipeline-root", str(root),
               "--serving-dir", str(tmp_path / "serving"), "--checkpoint", str(tiny_checkpoint),
               "--epochs", "3", "--max-steps", "0", "--checkpoint-every", str(EVERY)]

    killed = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, cwd=tmp_path)
    log = []
    for line in killed.stdout:
        log.append(line)
        if KILL_AFTER.search(line):
            os.kill(killed.pid, signal.SIGKILL)
            break
    killed.wait(timeout=60)
    assert killed.returncode == -signal.SIGKILL, "".join(log[-40:])

    rerun = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=900,
                           check=False)
    assert rerun.returncode == 0, rerun.stderr[-4000:]

    (history_file,) = root.glob("Trainer/model_run/*/history.json")
    history = json.loads(history_file.read_text())
    resumed, total = history["resumed_from_step"], history["total_steps"]
    # The backup of step 75 or 100, or, had the kill come late, the second epoch's end.
    assert 75 <= resumed < total and (resumed % EVERY == 0
                                      or resumed % history["steps_per_epoch"] == 0)
    assert history["trained_steps"] == total == 3 * history["steps_per_epoch"]
    assert [epoch["epoch"] for epoch in history["epochs"]] == [1, 2, 3]
    assert f"Resuming from the backup at step {resumed}" in rerun.stderr
    assert f"Training resumed at step {resumed} of {total}" in rerun.stdout

    store = run_summary.open_store(str(root / "metadata.sqlite"))
    trainer = store.get_context_by_type_and_name("node", "conll-ner.Trainer")
    states = sorted(e.last_known_state for e in store.get_executions_by_context(trainer.id))
    assert states == [metadata_store_pb2.Execution.COMPLETE, metadata_store_pb2.Execution.CANCELED]
    assert len(store.get_artifacts_by_type("Model")) == 1
    assert len(list(root.glob("Trainer/model/*"))) == 1
    # Every output directory on disk is a published artifact's: the killed run's are gone.
    assert output_dirs(root) == published_dirs(store)
    # The backup is deleted once the model is exported.
    assert not any((root / "checkpoints" / "Trainer").iterdir())
