"""Wall time of the main profile as a user runs it, and where that time goes.

    python -m benchmarks.main_run --work-dir bench_runs/main-run --seeds 42 7 \\
        -- --mixed-precision float32

One ``ner-pipeline run --no-enable-cache`` per seed on the whole data set (main
profile, plus the options after ``--``), each under its own pipeline root, one after
the other: two timings, and test F1 on two seeds.
Recorded per run: the command's wall time, the pipeline's (first execution's start to
the last one's end, from ML Metadata), each component's, the Trainer's training loop
and export, test entity F1 and the precision trained in. The goal of issue 24: the
pipeline within 12 minutes on 2 cores with ``--mixed-precision float32``.

``--results-name`` keeps a comparison beside the default's results, e.g. the
same runs with ``--no-freeze-embeddings`` in ``main_run_trained_embeddings.json``.
"""

import argparse
import pathlib
import subprocess
import sys
import time
from typing import List

from benchmarks.common import DEFAULT_DATA_DIR, spread, write_results
from benchmarks.quality import latest_run, recorded_run, trainer_history
from pipeline import run_summary

GOAL_SECONDS = 12 * 60


def run_command(data_dir: pathlib.Path, root: pathlib.Path, options: List[str]) -> List[str]:
    """``ner-pipeline run`` with its own pipeline root and serving directory under ``root``."""
    return [sys.executable, "-m", "pipeline.cli", "run", "--data-dir", str(data_dir),
            "--pipeline-root", str(root / "root"), "--serving-dir", str(root / "serving"),
            *options]


def run_times(pipeline_root: pathlib.Path) -> dict:
    """The latest run under ``pipeline_root``: its pipeline and component seconds (ML
    Metadata), the Trainer's fit and export seconds and steps (history.json), test F1."""
    config, store, executions = latest_run(str(pipeline_root))
    recorded = recorded_run(config)
    history = trainer_history(store, executions)
    return {"pipeline_seconds": recorded["run_seconds"],
            "component_seconds": {node: round(run_summary.execution_seconds(execution), 1)
                                  for node, execution in sorted(executions.items())},
            "trainer_seconds": recorded["trainer_seconds"],
            "fit_seconds": history.get("seconds", {}).get("fit"),
            "export_seconds": history.get("seconds", {}).get("export"),
            "trained_steps": history["trained_steps"], "total_steps": history["total_steps"],
            "resumed_from_step": history.get("resumed_from_step", 0),
            "mixed_precision": recorded["mixed_precision"], "seed": recorded["seed"],
            "test_entity_f1": recorded["splits"]["test"]["entity_f1"],
            # Each word's most probable tag: how runs before Viterbi decoding were scored.
            "test_argmax_entity_f1": recorded["splits"]["test"]["argmax_entity_f1"]}


def timed_run(command: List[str], log: pathlib.Path) -> float:
    """Runs ``command`` with its output in ``log``; its wall seconds."""
    started = time.monotonic()
    with open(log, "w") as handle:
        subprocess.run(command, check=True, stdout=handle, stderr=subprocess.STDOUT)
    return round(time.monotonic() - started, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=pathlib.Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--work-dir", type=pathlib.Path, required=True,
                        help="where each run's pipeline root and log go")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7])
    parser.add_argument("--results-name", default="main_run",
                        help="results file name, main_run or main_run_<what differs>")
    parser.add_argument("options", nargs="*", help="ner-pipeline run options, after --")
    args = parser.parse_args()
    runs = []
    for seed in args.seeds:
        root = args.work_dir / f"seed-{seed}"
        root.mkdir(parents=True, exist_ok=True)
        log = root / "run.log"
        print(f"seed {seed}: log in {log}", flush=True)
        wall = timed_run(run_command(args.data_dir, root, [
            *args.options, "--seed", str(seed), "--no-enable-cache"]), log)
        run = {"command_seconds": wall, **run_times(root / "root")}
        runs.append(run)
        print(f"  pipeline {run['pipeline_seconds']:.0f} s (goal {GOAL_SECONDS} s), Trainer "
              f"{run['trainer_seconds']:.0f} s (fit {run['fit_seconds']:.0f} s, export "
              f"{run['export_seconds']:.0f} s), NerEvaluator "
              f"{run['component_seconds']['NerEvaluator']:.0f} s, test F1 "
              f"{run['test_entity_f1']:.4f}, {run['mixed_precision']}", flush=True)
    results = {"options": args.options, "goal_seconds": GOAL_SECONDS, "runs": runs,
               "pipeline_seconds": spread(run["pipeline_seconds"] for run in runs),
               "goal_met": all(run["pipeline_seconds"] <= GOAL_SECONDS for run in runs)}
    print(f"results: {write_results(args.results_name, results)}")


if __name__ == "__main__":
    main()
