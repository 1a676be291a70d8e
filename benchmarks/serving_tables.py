"""serving/README.md's measured sections: server-side batching and rollout under load."""

from typing import Dict, List

from benchmarks.markdown import load_results, markdown_table, written_at


def _spread(values: Dict[str, float]) -> str:
    return f"{values['min']:g} / {values['median']:g} / {values['max']:g}"


def _machine_line(name: str) -> str:
    return f"Written {written_at(name)} UTC by `python -m benchmarks.{name}`."


def server_batching_section() -> str:
    results = load_results("server_batching")
    if not results:
        return ("No results yet: run `python -m benchmarks.server_batching --serving-dir DIR`.")
    configurations = results["configurations"]
    names = list(configurations)
    scenarios = list(configurations[names[0]])
    rows = [[scenario] + [_spread(configurations[name][scenario]["requests_per_second"])
                          for name in names]
            + [f"{configurations[name][scenario]['p50_ms']['median']:g} / "
               f"{configurations[name][scenario]['p99_ms']['median']:g}" for name in names]
            for scenario in scenarios]
    header = (["clients × sentences per request"] + [f"{name}: req/s" for name in names]
              + [f"{name}: p50 / p99 ms" for name in names])
    lines = [markdown_table(header, rows), "",
             f"Requests per second as min / median / max of {results['passes']} passes of "
             f"{results['seconds']:g} s; latencies as the median pass's. Model: "
             f"`{results['model_dir']}`. {_machine_line('server_batching')}"]
    if {"unbatched", "batched"} <= set(names) and "16 clients x 1" in scenarios:
        lines += ["", _goal_line(configurations["unbatched"], configurations["batched"],
                                 results["batching_parameters"])]
    return "\n".join(lines)


def _goal_line(unbatched: dict, batched: dict, parameters: str) -> str:
    """The issue's goal, at 16 one-sentence clients: throughput, p99 and single-client p50."""
    before, after = unbatched["16 clients x 1"], batched["16 clients x 1"]
    ratio = after["requests_per_second"]["median"] / before["requests_per_second"]["median"]
    timeout_ms = _timeout_micros(parameters) / 1000
    single = (batched["1 clients x 1"]["p50_ms"]["median"]
              - unbatched["1 clients x 1"]["p50_ms"]["median"])
    return (f"At 16 clients sending one sentence each, batching gives **{ratio:.2f}×** the "
            f"unbatched throughput (median {after['requests_per_second']['median']:g} against "
            f"{before['requests_per_second']['median']:g} requests/s), with p99 "
            f"{after['p99_ms']['median']:g} against {before['p99_ms']['median']:g} ms. A "
            f"single client's p50 changes by {single:+.1f} ms (batch timeout "
            f"{timeout_ms:g} ms).")


def _timeout_micros(parameters: str) -> float:
    for line in parameters.splitlines():
        if line.startswith("batch_timeout_micros"):
            return float(line.split("value:")[1].strip(" }"))
    return 0.0


_ROLLOUT_ROWS = (
    ("failed requests (of all)", "failed"),
    ("push → V+1 `AVAILABLE` (s)", "load_s"),
    ("push → newest-version URL on V+1 (s)", "latest_switch_s"),
    ("push → last request V may have served ended (s)", "latest_all_new_s"),
    ("relabel command → `stable` on V+1 (s)", "label_switch_s"),
    ("predict p99 before the push (ms)", "predict_before_push_p99_ms"),
    ("predict p99 while V+1 loads (ms)", "predict_while_loading_p99_ms"),
    ("predict max while V+1 loads (ms)", "predict_while_loading_max_ms"),
    ("predict p99 after the switch (ms)", "predict_after_switch_p99_ms"),
    ("predict max after the switch (ms)", "predict_after_switch_max_ms"),
    ("predict p99 after the relabel (ms)", "predict_after_relabel_p99_ms"),
    ("predict max after the relabel (ms)", "predict_after_relabel_max_ms"),
)


def rollout_section() -> str:
    runs = {label: load_results(name) for label, name in (("no warm-up file", "rollout"),
                                                          ("with warm-up file", "rollout_warmup"))}
    runs = {label: results for label, results in runs.items() if results}
    if not runs:
        return "No results yet: run `python -m benchmarks.rollout --model-dir DIR`."
    repeats = {results["repeats"] for results in runs.values()}
    rows: List[List[str]] = [[label] + [_spread(results["summary"][key])
                                        for results in runs.values()]
                             for label, key in _ROLLOUT_ROWS]
    clients = ", ".join(sorted({str(results["clients"]) for results in runs.values()}))
    return (markdown_table([f"min / median / max of {'/'.join(map(str, sorted(repeats)))}"]
                           + list(runs), rows)
            + f"\n\n{clients} clients; model version "
              f"{next(iter(runs.values()))['model_version']}. Written "
            + ", ".join(f"{written_at(name)} UTC" for name in ("rollout", "rollout_warmup")
                        if load_results(name))
            + " by `python -m benchmarks.rollout` (`--warmup` for the second column).")
