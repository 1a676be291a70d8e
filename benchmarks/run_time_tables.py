"""README.md's sections on whole runs: the main profile's wall time and where it goes
(benchmarks.main_run), and a killed run resumed (benchmarks.resume)."""

from typing import List

from benchmarks.common import RESULTS_DIR
from benchmarks.markdown import (
    load_machine, load_results, machine_of, markdown_table, written_at)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def _cpu_kind(machine: dict) -> str:
    """Whether float32 was the CPU's own choice: its vector flags and native bf16."""
    bf16 = "computes bf16 natively" if machine["bf16_native"] else "no native bf16"
    return f"{', '.join(machine['cpu_flags'])}; {bf16}"


def _other_seconds(run: dict) -> float:
    """The pipeline's time outside the Trainer and the Evaluator."""
    return (run["pipeline_seconds"] - run["trainer_seconds"]
            - run["component_seconds"]["NerEvaluator"])


def _main_run_names() -> List[str]:
    """``main_run`` (the default's runs) first, then its comparisons (``--results-name``)."""
    return sorted((path.stem for path in RESULTS_DIR.glob("main_run*.json")),
                  key=lambda name: (name != "main_run", name))


def main_run_section() -> str:
    names = _main_run_names()
    if not names:
        return "No results yet: run `python -m benchmarks.main_run --work-dir DIR`."
    rows, notes = [], []
    for name in names:
        results = load_results(name)
        options = " ".join(results["options"]) or "(none)"
        rows += [[str(run["seed"]), f"`{options}`",
                  f"**{run['pipeline_seconds']:.1f} s** ({_minutes(run['pipeline_seconds'])})",
                  _minutes(run["command_seconds"]), _minutes(run["trainer_seconds"]),
                  _minutes(run["fit_seconds"]), f"{run['export_seconds']:.0f} s",
                  f"{run['component_seconds']['NerEvaluator']:.0f} s",
                  f"{_other_seconds(run):.0f} s",
                  f"{run['test_entity_f1']:.4f}", f"{run['test_argmax_entity_f1']:.4f}"]
                 for run in results["runs"]]
        met = sum(run["pipeline_seconds"] <= results["goal_seconds"] for run in results["runs"])
        notes.append(f"`{options}`: the pipeline within {results['goal_seconds']} s in {met} of "
                     f"{len(results['runs'])} runs, in {results['runs'][0]['mixed_precision']}, "
                     f"on {machine_of(name)} ({_cpu_kind(load_machine(name))}); written "
                     f"{written_at(name)} UTC to {name}.json")
    return (markdown_table(["seed", "options", "pipeline", "command", "Trainer", "of it: fit",
                            "of it: export", "NerEvaluator", "other components",
                            "test entity F1", "argmax decoding"], rows)
            + "\n\nBy `python -m benchmarks.main_run`: " + "; ".join(notes) + ".")


def resume_section() -> str:
    results = load_results("resume")
    if not results:
        return "No results yet: run `python -m benchmarks.resume --work-dir DIR`."
    rerun, uninterrupted = results["rerun"], results["uninterrupted"]
    rows = [[f"killed at {results['kill_at']:.0%} of training, then rerun",
             f"killed at {results['killed_at_step']}, resumed from "
             f"{results['resumed_from_step']}; {rerun['trained_steps']} of "
             f"{rerun['total_steps']}",
             f"{results['trainer_seconds_before_kill']:.0f} s + {rerun['trainer_seconds']:.0f} s "
             f"= **{results['trainer_seconds_killed_plus_rerun']:.0f} s**",
             f"{rerun['test_entity_f1']:.4f}"],
            ["uninterrupted", f"{uninterrupted['trained_steps']} of "
                              f"{uninterrupted['total_steps']}",
             f"**{uninterrupted['trainer_seconds']:.0f} s**",
             f"{uninterrupted['test_entity_f1']:.4f}"]]
    options = " ".join(results["options"]) or "(none)"
    return (markdown_table(["run", "optimizer steps", "Trainer", "test entity F1"], rows)
            + f"\n\nThe kill and the resume cost {results['extra_trainer_seconds']:.0f} s of "
              f"Trainer time; {results['steps_trained_twice']} steps were trained twice. Main "
              f"profile, options `{options}`, on {machine_of('resume')}; written "
              f"{written_at('resume')} UTC by `python -m benchmarks.resume`.")
