"""Writes the README's result sections from benchmarks/results/*.json.

Every figure in README.md's "Results" and "Benchmarks" sections comes from
here: ``python -m benchmarks.table`` rewrites the text between the
``<!-- generated:NAME -->`` and ``<!-- end:NAME -->`` markers, so the README
cannot drift from the committed results. ``--check`` fails if it would
change anything (the tests run it).
"""

import argparse
import json
import re
import statistics
import sys
from typing import Callable, Dict, List

from benchmarks.common import EARLIER_EPOCHS, EARLIER_PRECISION, RESULTS_DIR

README = RESULTS_DIR.parents[1] / "README.md"


def _load(name: str) -> dict:
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text())["results"] if path.exists() else {}


def _written(name: str) -> str:
    """When a results file was written, UTC, to the minute ("2026-11-27 04:40")."""
    return json.loads((RESULTS_DIR / f"{name}.json").read_text())["date"][:16].replace("T", " ")


def _table(header: List[str], rows: List[List[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _context(run: dict) -> str:
    pieces = run.get("document_context", 0)
    return f"{pieces} pieces" if pieces else "off"


def _casing(run: dict) -> str:
    return "on" if run.get("casing_embedding") else "off"


def _epochs(run: dict) -> int:
    return run.get("epochs", EARLIER_EPOCHS)


def _precision(run: dict) -> str:
    return run.get("mixed_precision", EARLIER_PRECISION)


def _settings(run: dict) -> str:
    return (f"document context {_context(run)}, casing embedding {_casing(run)}, "
            f"{_epochs(run)} epochs, {_precision(run)}")


def _mean_f1(runs: list) -> str:
    test = [run["splits"]["test"]["entity_f1"] for run in runs]
    evaluation = [run["splits"]["eval"]["entity_f1"] for run in runs]
    return (f"test entity F1 {statistics.mean(test):.4f}, eval "
            f"{statistics.mean(evaluation):.4f} (mean over {len(runs)} seed(s))")


def quality_section() -> str:
    quality = _load("quality")
    runs = quality.get("main_profile_runs", [])
    if not runs:
        return "No quality results yet: run `python -m benchmarks.quality`."
    ablation = quality.get("ablation_runs", [])
    written = _written("quality")[:10]
    rows = []
    for run in runs + ablation:
        for split in ("eval", "test"):
            values = run["splits"][split]
            rows.append([run.get("recorded_on", written), str(run["seed"]), _casing(run),
                         _context(run), str(_epochs(run)), str(run.get("batch_size", 32)),
                         _precision(run), split,
                         f"{values['entity_precision']:.4f}", f"{values['entity_recall']:.4f}",
                         f"**{values['entity_f1']:.4f}**", f"{values['accuracy']:.4f}",
                         f"{values['loss']:.4f}",
                         ", ".join(f"{kind} {f1:.4f}"
                                   for kind, f1 in values['per_type_f1'].items())])
    table = _table(["run of", "seed", "casing embedding", "document context", "epochs", "batch",
                    "precision", "split", "entity P", "entity R", "entity F1", "word accuracy",
                    "loss", "entity F1 per type"], rows)
    summary = f"Default configuration ({_settings(runs[0])}): {_mean_f1(runs)}."
    groups: Dict[str, list] = {}
    for run in ablation:
        groups.setdefault(_settings(run), []).append(run)
    summary += "".join(f" Ablation, {settings}: {_mean_f1(group)}."
                       for settings, group in groups.items())
    times = ", ".join(f"seed {run['seed']} ({_settings(run)}): Trainer "
                      f"{run['trainer_seconds'] / 60:.1f} min, whole run "
                      f"{run['run_seconds'] / 60:.1f} min" for run in runs + ablation)
    memory = (f"; peak resident memory of the benchmark process "
              f"{quality['peak_rss_mib']:,.0f} MiB" if "peak_rss_mib" in quality else "")
    return (f"{table}\n\n{summary} Wall time on the 2-core machine: {times}{memory}."
            f"{_beam_workers_run(quality)}"
            + (f" Note: {quality['note']}" if quality.get("note") else ""))


def _beam_workers_run(quality: dict) -> str:
    run = quality.get("beam_workers_run")
    if not run:
        return ""
    same = next((r for r in quality["main_profile_runs"] + quality.get("ablation_runs", [])
                 if r["seed"] == run["seed"] and _settings(r) == _settings(run)), None)
    test_f1 = run["splits"]["test"]["entity_f1"]
    compared = ("" if same is None else f" (in process: {same['run_seconds'] / 60:.1f} min, "
                f"test F1 {same['splits']['test']['entity_f1']:.4f})")
    return (f" Seed {run['seed']} again with `--beam-workers {run['beam_workers']}` "
            f"({_settings(run)}): whole run "
            f"{run['run_seconds'] / 60:.1f} min, test entity F1 {test_f1:.4f}{compared}.")


def natural_text_section() -> str:
    natural = _load("natural_text")
    if not natural:
        return "No natural-text results yet: run `python -m benchmarks.natural_text`."
    rows = [[label, f"{values['round_trip_rate']:.2%} ({values['round_trip_sentences']:,} "
                    f"of {values['sentences']:,})", f"{values['entity_precision']:.4f}",
             f"{values['entity_recall']:.4f}", f"**{values['entity_f1']:.4f}**"]
            for label, values in (("CoNLL tokens joined by spaces", natural["tokenized"]),
                                  ("ordinary text (detokenized)", natural["natural_text"]))]
    return _table(["test sentences sent as", "served words = gold tokens", "entity P",
                   "entity R", "entity F1"], rows) + (
        f"\n\nGap between the two: {natural['f1_gap'] * 100:.2f} F1 points "
        f"(model version {natural['model_version']}).")


def _spread(values: Dict[str, float], unit: str) -> str:
    return f"{values['median']}{unit} (min {values['min']}, max {values['max']})"


def export_section() -> str:
    export = _load("export_size")
    if not export:
        return "No export results yet: run `python -m benchmarks.export_size`."
    rows = [[label, f"{values['variables_mib']:,} MiB", f"{values['saved_variables']} "
                    f"({values['optimizer_variables']} optimizer)",
             _spread(values["load_seconds"], " s"), _spread(values["loaded_rss_mib"], " MiB")]
            for label, values in (("lean (exported now)", export["lean"]),
                                  ("with optimizer slots (before)", export["with_slots"]))]
    return _table(["exported model", "variables/", "saved variables", "server load time",
                   "server memory after load"], rows)


def beam_workers_section() -> str:
    beam = _load("beam_workers")
    if not beam:
        return "No Beam worker results yet: run `python -m benchmarks.beam_workers`."
    settings = beam["settings"]
    components = [name for name in next(iter(settings.values())) if name != "run"]
    rows = [["in process" if workers in ("0", "1") else f"{workers} worker processes",
             _spread(values["run"], " s"), *(f"{values[name]['median']} s" for name in components)]
            for workers, values in settings.items()]
    return _table(["`--beam-workers`", "data half of the pipeline (min, max)",
                   *(f"{name} (median)" for name in components)], rows) + (
        f"\n\nThe full CoNLL-2003 files, {beam['repeats']} passes per setting, alternating "
        f"(`python -m benchmarks.beam_workers`).")


def _speed_rows() -> List[List[str]]:
    rows = []
    speed = _load("training_speed")
    if speed:
        peaks = speed["matmul_peak_flops"]
        rows.append(["training sample", f"the first {speed['sentences']:,} sentences of "
                                        f"train.txt"])
        rows.append(["matmul peak (TensorFlow, best of 1024²-4096²)",
                     f"fp32 {peaks['float32'] / 1e9:.0f} GFLOP/s, "
                     f"bf16 {peaks['mixed_bfloat16'] / 1e9:.0f} GFLOP/s"])
        variants = speed["variants"]
        padding = {name: values["computed_tokens"] / values["real_tokens"]
                   for name, values in variants.items()}
        seed_style = next(iter(variants))
        rows.append(["computed tokens per real token (padding included)", ", ".join(
            f"{name}: {ratio:.2f}" for name, ratio in padding.items()) + (
            f"; at equal speed per computed token, the least padding would be "
            f"{padding[seed_style] / min(padding.values()):.2f}x the seed style")])
        for name, values in variants.items():
            tokens = values["real_tokens_per_second"]
            rows.append([f"training speed: {name}",
                         f"{tokens['median']:,.0f} real tokens/s median (min {tokens['min']:,.0f}, "
                         f"max {tokens['max']:,.0f}; {len(values['pass_seconds'])} passes) = "
                         f"{values['speedup_vs_seed_style']}x seed style; "
                         f"{values['fraction_of_matmul_peak']:.1%} of matmul peak"])
    profile = _load("training_profile")
    if profile:
        peak = profile["matmul_peak_flops"]
        for name, values in profile["optimizers"].items():
            shares = ", ".join(f"{kind} {share:.0%}" for kind, share in sorted(
                values["kernel_share"].items(), key=lambda item: -item[1]))
            passes = values["pass_seconds"]
            per_step = sum(values["kernel_seconds"].values()) / values["steps"]
            rows.append([f"profile of the default's training "
                         f"({profile['precision']}), {name}",
                         f"op kernel time {per_step * 1000:.0f} ms per step: {shares}; the "
                         f"multiplies' kernels at "
                         f"{values['matmul_kernel_flops_per_second'] / peak:.0%} of matmul peak "
                         f"(passes of {values['steps'] // values['passes']} steps: "
                         f"{passes['median']} s median, min {passes['min']}, max "
                         f"{passes['max']})"])
    return rows


def _serving_rows() -> List[List[str]]:
    rows = []
    serving = _load("serving")
    for name, values in serving.get("ways", {}).items():
        rows.append([f"serving: {name}",
                     f"single sentence p50 {values['p50_ms']} ms, p99 {values['p99_ms']} ms; "
                     f"batch 32: {values['batch32_sentences_per_second']:,} sentences/s"])
    if serving:
        load = serving["load_test"]
        rows.append([f"serving: REST load test, {load['clients']} clients, {load['seconds']:.0f} s",
                     f"{load['requests_per_second']} requests/s, p50 {load['p50_ms']} ms, "
                     f"p99 {load['p99_ms']} ms, {load['errors']} errors"])
        rows.append(["peak resident memory, server", f"{serving['server_peak_rss_mib']:.0f} MiB"])
    batch = _load("batch_inference")
    paths = (("beam_batch", "ner-pipeline predict --input (Beam RunInference), whole job"),
             ("beam_batch_steady", "ner-pipeline predict --input, without the job's start-up"),
             ("rest", "REST, batches of 32 (ner-pipeline serve)"))
    for key, label in paths:
        if key in batch:
            rows.append([f"tagging test.txt ({batch['sentences']:,} sentences): {label}",
                         f"{_spread(batch[key], '')} sentences/s over {batch['passes']} passes"])
    return rows


def _pipeline_rows() -> List[List[str]]:
    rows = []
    quality = _load("quality")
    if "quick_profile_end_to_end_seconds" in quality:
        rows.append(["quick profile end to end (fixed cost of a TFX run)",
                     f"{quality['quick_profile_end_to_end_seconds']:.0f} s"])
    throughputs = [
        ("transform", ("transform_component_all_splits", "sentences_per_second"),
         "Transform component, all splits"),
        ("transform", ("preprocessing_alone_train_sentences_per_second",),
         "Transform preprocessing alone, train"),
        ("ingestion", ("conll_example_gen_component", "sentences_per_second"),
         "ConllExampleGen component, all splits"),
        ("ingestion", ("reader_train_sentences_per_second",), "CoNLL reader alone, train"),
    ]
    for name, keys, label in throughputs:
        value = _load(name)
        for key in keys:
            value = (value or {}).get(key)
        if value is not None:
            rows.append([label, f"{value:,} sentences/s"])
    return rows


def _measured_on() -> str:
    """When each results file was written (benchmarks of different sessions may mix)."""
    dates = {path.stem: _written(path.stem) for path in sorted(RESULTS_DIR.glob("*.json"))}
    return "Written (UTC): " + ", ".join(f"`{name}` {date}" for name, date in dates.items()) + "."


def benchmark_section() -> str:
    rows = _speed_rows() + _serving_rows() + _pipeline_rows()
    return _table(["measure", "result"], rows) + "\n\n" + _measured_on()


def context_inference_section() -> str:
    results = _load("context_inference")
    if not results:
        return ("No results yet: run `python -m benchmarks.context_inference` on a run "
                "trained with document context.")
    rows = [[name, f"{scores['eval']['f1']:.4f}", f"**{scores['test']['f1']:.4f}**"]
            for name, scores in results["variants"].items()]
    return (_table(["read at inference as", "eval entity F1", "test entity F1"], rows)
            + f"\n\nOne model (seed {results['seed']}, trained with document context of "
              f"{results['document_context']} pieces).")


def own_data_section() -> str:
    results = _load("own_data")
    if not results:
        return "No results yet: run `python -m benchmarks.own_data` (see its docstring)."
    relabelling = results["relabelling"]
    renamed = ", ".join(f"{old} → {new}" for old, new in relabelling["rename"].items())
    rows = [[label, str(run["seed"]), _precision(run), ", ".join(run["served_entity_types"]),
             f"{run['splits']['eval']['entity_f1']:.4f}",
             f"**{run['splits']['test']['entity_f1']:.4f}**", f"{run['run_seconds'] / 60:.1f} min"]
            for label, key in (("CoNLL-2003", "conll2003_runs"),
                               (f"relabelled, {relabelling['scheme'].upper()}", "own_data_runs"))
            for run in results[key]]
    differences = ", ".join(f"{value:+.4f}" for value in results["test_f1_difference_same_seed"])
    return (_table(["data", "seed", "precision", "served entity types", "eval entity F1",
                    "test entity F1", "whole run"], rows)
            + f"\n\nRenamed: {renamed}. Test F1 relabelled minus CoNLL-2003, same seed: "
              f"{differences}; relabelled runs within the CoNLL-2003 seeds' range: "
              f"{'yes' if results['within_conll_seed_spread'] else 'no'}.")


def decoding_section() -> str:
    results = _load("decoding")
    if not results:
        return "No results yet: run `python -m benchmarks.decoding --pipeline-roots ROOT ...`."
    rows = [[str(run["seed"]), decoding, f"{run[decoding]['test_entity_f1']:.4f}",
             f"{run[decoding]['natural_text_entity_f1']:.4f}"]
            for run in results["runs"] for decoding in ("argmax", "viterbi")]
    rows += [["mean", decoding, f"**{values['test_entity_f1']:.4f}**",
              f"**{values['natural_text_entity_f1']:.4f}**"]
             for decoding, values in results["mean"].items()]
    return (_table(["seed", "decoding", "test entity F1", "natural-text entity F1"], rows)
            + f"\n\nBetter on average: {results['better']}.")


SECTIONS: Dict[str, Callable[[], str]] = {
    "own-data": own_data_section, "decoding": decoding_section,
    "quality": quality_section, "natural-text": natural_text_section,
    "context-inference": context_inference_section,
    "export": export_section, "beam-workers": beam_workers_section,
    "benchmarks": benchmark_section}


def render(readme: str) -> str:
    for name, section in SECTIONS.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n)(?:.*?\n)?(<!-- end:{name} -->)",
                             re.S)
        if not pattern.search(readme):
            raise ValueError(f"README.md lacks the markers of section '{name}'")
        readme = pattern.sub(
            lambda match, text=section(): match.group(1) + text + "\n" + match.group(2), readme)
    return readme


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="Exit 1 if README.md differs from what the results give")
    args = parser.parse_args()
    current = README.read_text(encoding="utf-8")
    rendered = render(current)
    if args.check:
        if rendered != current:
            print("README.md is out of date: run python -m benchmarks.table", file=sys.stderr)
            return 1
        return 0
    README.write_text(rendered, encoding="utf-8")
    print(f"Updated {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
