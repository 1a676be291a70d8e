"""Warm start against cold start as spans arrive: test F1 and optimizer steps.

CoNLL-2003's train file is split into 3 spans by document (benchmarks/split_spans.py),
with valid and test held out so that every window is scored on the same data. For
each seed, two chains of ``ner-pipeline run`` on the main profile, each with its
own pipeline root:

- warm: ``--span 1``, ``--span 2``, ``--span 3``, all with ``--train-spans all
  --warm-start``; the first run finds no blessed model and starts cold, each later
  one starts from the latest blessed model on the warm schedule;
- cold: ``--span 2`` and ``--span 3`` with ``--train-spans all`` from the checkpoint
  (span 1 alone is the warm chain's first, cold, run).

    python -m benchmarks.warm_start --work-dir bench_runs/warm-start --seeds 42 7

Each run's log is ``<work-dir>/seed-S/<chain>-span-N.log``; the results file is
rewritten after every run, so an interrupted benchmark keeps what it measured, and
a rerun skips the runs it already recorded. The goal (issue 21): warm reaches cold's
test F1 within 0.003 in at most half the steps.
"""

import argparse
import json
import pathlib
import subprocess
import sys
from typing import Dict, List

from benchmarks.common import DEFAULT_DATA_DIR, RESULTS_DIR, write_results
from benchmarks.quality import latest_run, recorded_run, trainer_history
from benchmarks.split_spans import split_spans
from contracts.weights import WARM
from pipeline import run_summary

SPANS = 3
F1_TOLERANCE = 0.003
RESULTS_NAME = "warm_start"


def _chain_runs(chain: str) -> List[int]:
    return list(range(1, SPANS + 1)) if chain == "warm" else list(range(2, SPANS + 1))


def _run(work: pathlib.Path, seed: int, chain: str, span: int, extra: List[str]) -> dict:
    """One pipeline run, logged to a file; what it trained and scored, from MLMD."""
    root = work / f"seed-{seed}" / chain
    log = work / f"seed-{seed}" / f"{chain}-span-{span}.log"
    command = [sys.executable, "-m", "pipeline.cli", "run", "--data-dir", str(work / "spans"),
               "--eval-dir", str(work / "held-out"), "--span", str(span), "--train-spans", "all",
               "--seed", str(seed), "--pipeline-root", str(root / "root"),
               "--serving-dir", str(root / "serving"), *extra]
    print(f"seed {seed}, {chain} chain, span {span}: log in {log}", flush=True)
    with open(log, "w") as handle:
        subprocess.run(command, check=True, stdout=handle, stderr=subprocess.STDOUT)
    config, store, executions = latest_run(str(root / "root"))
    history = trainer_history(store, executions)
    blessing = run_summary.output_artifacts(store, executions["NerEvaluator"])["blessing"]
    recorded = recorded_run(config)
    kind = history["initialized"]["kind"]
    schedule = config.training.warm_schedule() if kind == WARM else config.training
    return {"seed": seed, "chain": chain, "span": span, "window": f"1-{span}",
            "initialized": kind,
            "schedule": {"epochs": schedule.epochs, "learning_rate": schedule.learning_rate,
                         "warmup_ratio": schedule.warmup_ratio},
            "optimizer_steps": history["trained_steps"],
            "test_entity_f1": recorded["splits"]["test"]["entity_f1"],
            "trainer_seconds": recorded["trainer_seconds"],
            "blessed": bool(blessing.custom_properties["blessed"].int_value),
            "mixed_precision": recorded["mixed_precision"]}


def compare(runs: List[dict]) -> List[dict]:
    """Per seed and window from 1-2 on: warm against cold, and whether the goal is met."""
    found = {(run["seed"], run["chain"], run["span"]): run for run in runs}
    rows = []
    for seed, _, span in sorted(key for key in found if key[1] == "warm" and key[2] > 1):
        warm, cold = found[(seed, "warm", span)], found.get((seed, "cold", span))
        if cold is None:
            continue
        difference = round(warm["test_entity_f1"] - cold["test_entity_f1"], 4)
        step_ratio = round(warm["optimizer_steps"] / cold["optimizer_steps"], 3)
        rows.append({"seed": seed, "window": f"1-{span}",
                     "cold_test_f1": cold["test_entity_f1"],
                     "warm_test_f1": warm["test_entity_f1"], "f1_difference": difference,
                     "cold_steps": cold["optimizer_steps"], "warm_steps": warm["optimizer_steps"],
                     "step_ratio": step_ratio,
                     "goal_met": difference >= -F1_TOLERANCE and step_ratio <= 0.5})
    return rows


def _previous_runs() -> List[dict]:
    path = RESULTS_DIR / f"{RESULTS_NAME}.json"
    return json.loads(path.read_text())["results"]["runs"] if path.exists() else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=pathlib.Path, default=DEFAULT_DATA_DIR,
                        help="CoNLL-2003 directory (train.txt, valid.txt, test.txt)")
    parser.add_argument("--work-dir", type=pathlib.Path, required=True,
                        help="where the spans, pipeline roots and logs go")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7])
    parser.add_argument("--fresh", action="store_true",
                        help="forget the runs recorded in the results file")
    args = parser.parse_args()
    if not (args.work_dir / "spans").exists():
        split_spans(args.source, args.work_dir / "spans", SPANS,
                    held_out=args.work_dir / "held-out")
    runs = [] if args.fresh else _previous_runs()
    done = {(run["seed"], run["chain"], run["span"]) for run in runs}
    for seed in args.seeds:
        (args.work_dir / f"seed-{seed}").mkdir(parents=True, exist_ok=True)
        for chain, extra in (("warm", ["--warm-start"]), ("cold", [])):
            for span in _chain_runs(chain):
                if (seed, chain, span) in done:
                    continue
                runs.append(_run(args.work_dir, seed, chain, span, extra))
                results: Dict = {"spans": SPANS, "f1_tolerance": F1_TOLERANCE, "runs": runs,
                                 "comparison": compare(runs)}
                print(write_results(RESULTS_NAME, results), flush=True)


if __name__ == "__main__":
    main()
