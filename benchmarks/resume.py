"""Resume after a crash, on the main profile: the run is SIGKILLed once its Trainer has
passed --kill-at of its steps, then the same command runs again and resumes from the
last backup. Compared with an uninterrupted run of the same options.

    python -m benchmarks.resume --work-dir bench_runs/resume -- --mixed-precision float32

The uninterrupted run is made under ``<work-dir>/uninterrupted``, unless
``--uninterrupted-root`` names a finished run with the same training settings (one of
``benchmarks.main_run``'s, say). Recorded: the step of the kill and the step the rerun
resumed from, the Trainer's seconds before the kill (from its start, as the log shows
it, to the kill) and in the rerun, their sum against the uninterrupted Trainer's, the
optimizer steps each trained, and test entity F1.
"""

import argparse
import os
import pathlib
import re
import signal
import subprocess
import time

from benchmarks.common import DEFAULT_DATA_DIR, write_results
from benchmarks.main_run import run_command, run_times, timed_run
from benchmarks.quality import latest_run

TRAINER_STARTS = "Component Trainer is running."
PROGRESS = re.compile(r"Training step (\d+)/(\d+):")


def killed_run(command, log: pathlib.Path, kill_at: float) -> dict:
    """Runs ``command`` until its Trainer reports a step at or past ``kill_at`` of its
    total, then SIGKILLs its process group: the step and the Trainer's seconds so far."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    trainer_started = None
    with open(log, "w") as handle:
        for line in process.stdout:
            handle.write(line)
            if TRAINER_STARTS in line:
                trainer_started = time.monotonic()
            progress = PROGRESS.search(line)
            if progress and int(progress[1]) >= kill_at * int(progress[2]):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return {"killed_at_step": int(progress[1]),
                        "trainer_seconds_before_kill": round(
                            time.monotonic() - trainer_started, 1)}
    raise RuntimeError(f"the run ended (exit {process.wait()}) before step {kill_at:.0%} of "
                       f"its training; see {log}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=pathlib.Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--work-dir", type=pathlib.Path, required=True)
    parser.add_argument("--kill-at", type=float, default=0.6,
                        help="fraction of the Trainer's steps after which to kill the run")
    parser.add_argument("--uninterrupted-root", type=pathlib.Path,
                        help="pipeline root of a finished run with the same options")
    parser.add_argument("options", nargs="*", help="ner-pipeline run options, after --")
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)

    uninterrupted_root = args.uninterrupted_root
    if uninterrupted_root is None:
        uninterrupted_root = args.work_dir / "uninterrupted" / "root"
        print("uninterrupted run", flush=True)
        timed_run(run_command(args.data_dir, uninterrupted_root.parent, args.options),
                  args.work_dir / "uninterrupted.log")
    uninterrupted = run_times(uninterrupted_root)

    command = run_command(args.data_dir, args.work_dir / "resumed", args.options)
    print(f"run to kill at {args.kill_at:.0%} of training", flush=True)
    killed = killed_run(command, args.work_dir / "killed.log", args.kill_at)
    print(f"  killed at step {killed['killed_at_step']}; rerun", flush=True)
    timed_run(command, args.work_dir / "rerun.log")
    rerun = run_times(args.work_dir / "resumed" / "root")
    if (latest_run(str(uninterrupted_root))[0].training
            != latest_run(str(args.work_dir / "resumed" / "root"))[0].training):
        raise SystemExit("the uninterrupted run trained with other settings than the "
                         "resumed one: compare like with like")

    total = round(killed["trainer_seconds_before_kill"] + rerun["trainer_seconds"], 1)
    results = {"options": args.options, "kill_at": args.kill_at, **killed,
               "resumed_from_step": rerun["resumed_from_step"],
               "steps_trained_twice": killed["killed_at_step"] - rerun["resumed_from_step"],
               "rerun": rerun, "uninterrupted": uninterrupted,
               "trainer_seconds_killed_plus_rerun": total,
               "trainer_seconds_uninterrupted": uninterrupted["trainer_seconds"],
               "extra_trainer_seconds": round(total - uninterrupted["trainer_seconds"], 1)}
    print(f"resumed from step {rerun['resumed_from_step']} of {rerun['total_steps']} "
          f"(killed at {killed['killed_at_step']}); Trainer {total:.0f} s in all "
          f"({killed['trainer_seconds_before_kill']:.0f} s before the kill + "
          f"{rerun['trainer_seconds']:.0f} s rerun) against {uninterrupted['trainer_seconds']:.0f}"
          f" s uninterrupted; test F1 {rerun['test_entity_f1']:.4f} against "
          f"{uninterrupted['test_entity_f1']:.4f}", flush=True)
    print(f"results: {write_results('resume', results)}")


if __name__ == "__main__":
    main()
