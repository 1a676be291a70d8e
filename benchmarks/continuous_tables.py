"""README.md's sections on continuous training: drift between spans and warm start."""

from benchmarks.markdown import load_results, machine_of, markdown_table, written_at
from contracts.drift import LABELS


def span_drift_section() -> str:
    results = load_results("span_drift")
    if not results:
        return "No results yet: run `python -m benchmarks.span_drift`."
    thresholds = results["thresholds"]
    shifts = list(next(iter(results["spans"].values()))["shifted_smallest"])

    def cell(value: float, measure: str) -> str:
        return f"**{value}**" if value > thresholds[measure] else str(value)
    rows = [[f"{count} ({spans['sentences_per_span']:,})", LABELS[measure],
             str(thresholds[measure]), cell(spans["real_largest"][measure], measure)]
            + [cell(spans["shifted_smallest"][shift][measure], measure) for shift in shifts]
            for count, spans in results["spans"].items() for measure in thresholds]
    return (markdown_table(["spans (sentences a span)", "measure", "threshold",
                            "real spans, largest"] + [f"{shift}, smallest" for shift in shifts],
                           rows)
            + "\n\nEach span of CoNLL-2003's train file against the one before it, as it is "
              "and shifted; bold: above the threshold, i.e. drift.")


def _schedule(schedule: dict) -> str:
    return (f"{schedule['epochs']} epoch(s) at peak {schedule['learning_rate']:g}, warmup "
            f"{schedule['warmup_ratio']:g}")


def warm_start_section() -> str:
    results = load_results("warm_start")
    if not results or not results["comparison"]:
        return "No results yet: run `python -m benchmarks.warm_start --work-dir DIR`."
    first = {run["seed"]: run for run in results["runs"]
             if run["chain"] == "warm" and run["span"] == 1}
    rows = [[str(seed), "1", "cold", f"{run['test_entity_f1']:.4f}", "",
             str(run["optimizer_steps"]), "", ""] for seed, run in sorted(first.items())]
    rows += [[str(row["seed"]), row["window"], "warm vs cold",
              f"{row['warm_test_f1']:.4f} vs {row['cold_test_f1']:.4f}",
              f"{row['f1_difference']:+.4f}", f"{row['warm_steps']} vs {row['cold_steps']}",
              f"{row['step_ratio']:.2f}", "yes" if row["goal_met"] else "**no**"]
             for row in results["comparison"]]
    met = sum(row["goal_met"] for row in results["comparison"])
    precision = sorted({run["mixed_precision"] for run in results["runs"]})
    warm_schedules = sorted({_schedule(run["schedule"]) for run in results["runs"]
                             if run["initialized"] == "warm" and "schedule" in run})
    return (markdown_table(["seed", "spans trained on", "start", "test entity F1",
                            "warm - cold", "optimizer steps", "warm / cold steps",
                            f"goal (F1 within {results['f1_tolerance']}, at most half the "
                            "steps)"], rows)
            + f"\n\nGoal met in {met} of {len(results['comparison'])} comparisons. "
            + (f"Warm schedule: {'; '.join(warm_schedules)}. " if warm_schedules else "")
            + f"Main profile, {', '.join(precision)} on {machine_of('warm_start')}. Written "
              f"{written_at('warm_start')} UTC by `python -m benchmarks.warm_start`.")
