"""benchmarks.resume's kill: a stand-in run prints the Trainer's start and progress lines
as ``ner-pipeline run`` does; the kill lands at the first step past the fraction."""

import sys
import time

import pytest

from benchmarks.resume import killed_run

# Step lines every 10 of 100, then a long sleep: only a kill ends it in time.
FAKE_RUN = """
import sys, time
print("12:00:00 INFO Component Trainer is running.", flush=True)
for step in range(10, 101, 10):
    time.sleep(0.05)
    print(f"12:00:01 INFO Training step {step}/100: loss 0.5, 1 s elapsed", flush=True)
time.sleep(600)
"""


def test_the_run_is_killed_at_the_first_step_past_the_fraction(tmp_path):
    started = time.monotonic()
    killed = killed_run([sys.executable, "-c", FAKE_RUN], tmp_path / "killed.log", 0.55)
    assert killed["killed_at_step"] == 60
    assert 0 < killed["trainer_seconds_before_kill"] < time.monotonic() - started < 60
    assert "Training step 60/100" in (tmp_path / "killed.log").read_text()


def test_a_run_that_ends_before_the_fraction_is_an_error(tmp_path):
    with pytest.raises(RuntimeError, match="before step 60%"):
        killed_run([sys.executable, "-c", "print('Training step 10/100:')"],
                   tmp_path / "killed.log", 0.6)
