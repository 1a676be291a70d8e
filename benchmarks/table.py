"""Writes the READMEs' result sections from benchmarks/results/*.json.

Every figure in README.md's "Results" and "Benchmarks" sections, and in
serving/README.md's measured sections, comes from here: ``python -m
benchmarks.table`` rewrites the text between the ``<!-- generated:NAME -->``
and ``<!-- end:NAME -->`` markers, so the READMEs cannot drift from the
committed results. ``--check`` fails if it would change anything (the tests
run it).
"""

import argparse
import pathlib
import re
import statistics
import sys
from typing import Callable, Dict

from benchmarks.common import RESULTS_DIR
from benchmarks.continuous_tables import span_drift_section, warm_start_section
from benchmarks.markdown import load_results, markdown_table, min_median_max, written_at
from benchmarks.serving_tables import rollout_section, server_batching_section
from benchmarks.run_time_tables import main_run_section, resume_section
from benchmarks.speed_table import benchmark_section

README = RESULTS_DIR.parents[1] / "README.md"
SERVING_README = RESULTS_DIR.parents[1] / "serving" / "README.md"


def _context(run: dict) -> str:
    pieces = run["document_context"]
    return f"{pieces} pieces" if pieces else "off"


def _casing(run: dict) -> str:
    return "on" if run["casing_embedding"] else "off"


def _settings(run: dict) -> str:
    # Runs recorded before --freeze-embeddings trained the embedding layer.
    embeddings = "frozen" if run.get("freeze_embeddings") else "trained"
    return (f"document context {_context(run)}, casing embedding {_casing(run)}, "
            f"embedding layer {embeddings}, {run['epochs']} epochs, {run['mixed_precision']}")


def _mean_f1(runs: list) -> str:
    test = [run["splits"]["test"]["entity_f1"] for run in runs]
    evaluation = [run["splits"]["eval"]["entity_f1"] for run in runs]
    return (f"test entity F1 {statistics.mean(test):.4f}, eval "
            f"{statistics.mean(evaluation):.4f} (mean over {len(runs)} seed(s))")


def quality_section() -> str:
    quality = load_results("quality")
    runs = quality.get("main_profile_runs", [])
    if not runs:
        return "No quality results yet: run `python -m benchmarks.quality`."
    ablation = quality.get("ablation_runs", [])
    written_on = written_at("quality")[:10]
    rows = []
    for run in runs + ablation:
        for split in ("eval", "test"):
            values = run["splits"][split]
            rows.append([run.get("recorded_on", written_on), str(run["seed"]), _casing(run),
                         _context(run), str(run["epochs"]), str(run["batch_size"]),
                         run["mixed_precision"], split,
                         f"{values['entity_precision']:.4f}", f"{values['entity_recall']:.4f}",
                         f"**{values['entity_f1']:.4f}**", f"{values['accuracy']:.4f}",
                         f"{values['loss']:.4f}",
                         ", ".join(f"{kind} {f1:.4f}"
                                   for kind, f1 in values['per_type_f1'].items())])
    runs_table = markdown_table(
        ["run of", "seed", "casing embedding", "document context", "epochs", "batch",
         "precision", "split", "entity P", "entity R", "entity F1", "word accuracy",
         "loss", "entity F1 per type"], rows)
    summary = f"Main profile ({_settings(runs[0])}): {_mean_f1(runs)}."
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
    return (f"{runs_table}\n\n{summary} Wall time on the 2-core machine: {times}{memory}."
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
    natural = load_results("natural_text")
    if not natural:
        return "No natural-text results yet: run `python -m benchmarks.natural_text`."
    rows = [[label, f"{values['round_trip_rate']:.2%} ({values['round_trip_sentences']:,} "
                    f"of {values['sentences']:,})", f"{values['entity_precision']:.4f}",
             f"{values['entity_recall']:.4f}", f"**{values['entity_f1']:.4f}**"]
            for label, values in (("CoNLL tokens joined by spaces", natural["tokenized"]),
                                  ("ordinary text (detokenized)", natural["natural_text"]))]
    return markdown_table(["test sentences sent as", "served words = gold tokens", "entity P",
                   "entity R", "entity F1"], rows) + (
        f"\n\nGap between the two: {natural['f1_gap'] * 100:.2f} F1 points "
        f"(model version {natural['model_version']}).")


def export_section() -> str:
    export = load_results("export_size")
    if not export:
        return "No export results yet: run `python -m benchmarks.export_size`."
    rows = [[label, f"{values['variables_mib']:,} MiB", f"{values['saved_variables']} "
                    f"({values['optimizer_variables']} optimizer)",
             min_median_max(values["load_seconds"], " s"),
             min_median_max(values["loaded_rss_mib"], " MiB")]
            for label, values in (("lean (exported now)", export["lean"]),
                                  ("with optimizer slots (before)", export["with_slots"]))]
    return markdown_table(["exported model", "variables/", "saved variables", "server load time",
                   "server memory after load"], rows)


def beam_workers_section() -> str:
    beam = load_results("beam_workers")
    if not beam:
        return "No Beam worker results yet: run `python -m benchmarks.beam_workers`."
    settings = beam["settings"]
    components = [name for name in next(iter(settings.values())) if name != "run"]
    rows = [["in process" if workers in ("0", "1") else f"{workers} worker processes",
             min_median_max(values["run"], " s"),
             *(f"{values[name]['median']} s" for name in components)]
            for workers, values in settings.items()]
    return markdown_table(["`--beam-workers`", "data half of the pipeline (min, max)",
                   *(f"{name} (median)" for name in components)], rows) + (
        f"\n\nThe full CoNLL-2003 files, {beam['repeats']} passes per setting, alternating "
        f"(`python -m benchmarks.beam_workers`).")


def context_inference_section() -> str:
    results = load_results("context_inference")
    if not results:
        return ("No results yet: run `python -m benchmarks.context_inference` on a run "
                "trained with document context.")
    rows = [[name, f"{scores['eval']['f1']:.4f}", f"**{scores['test']['f1']:.4f}**"]
            for name, scores in results["variants"].items()]
    return (markdown_table(["read at inference as", "eval entity F1", "test entity F1"], rows)
            + f"\n\nOne model (seed {results['seed']}, trained with document context of "
              f"{results['document_context']} pieces).")


def own_data_section() -> str:
    results = load_results("own_data")
    if not results:
        return "No results yet: run `python -m benchmarks.own_data` (see its docstring)."
    relabelling = results["relabelling"]
    renamed = ", ".join(f"{old} → {new}" for old, new in relabelling["rename"].items())
    rows = [[label, str(run["seed"]), run["mixed_precision"], ", ".join(run["served_entity_types"]),
             f"{run['splits']['eval']['entity_f1']:.4f}",
             f"**{run['splits']['test']['entity_f1']:.4f}**", f"{run['run_seconds'] / 60:.1f} min"]
            for label, key in (("CoNLL-2003", "conll2003_runs"),
                               (f"relabelled, {relabelling['scheme'].upper()}", "own_data_runs"))
            for run in results[key]]
    differences = ", ".join(f"{value:+.4f}" for value in results["test_f1_difference_same_seed"])
    return (markdown_table(["data", "seed", "precision", "served entity types", "eval entity F1",
                    "test entity F1", "whole run"], rows)
            + f"\n\nRenamed: {renamed}. Test F1 relabelled minus CoNLL-2003, same seed: "
              f"{differences}; relabelled runs within the CoNLL-2003 seeds' range: "
              f"{'yes' if results['within_conll_seed_spread'] else 'no'}.")


def decoding_section() -> str:
    results = load_results("decoding")
    if not results:
        return "No results yet: run `python -m benchmarks.decoding --pipeline-roots ROOT ...`."
    rows = [[str(run["seed"]), decoding, f"{run[decoding]['test_entity_f1']:.4f}",
             f"{run[decoding]['natural_text_entity_f1']:.4f}"]
            for run in results["runs"] for decoding in ("argmax", "viterbi")]
    rows += [["mean", decoding, f"**{values['test_entity_f1']:.4f}**",
              f"**{values['natural_text_entity_f1']:.4f}**"]
             for decoding, values in results["mean"].items()]
    return (markdown_table(["seed", "decoding", "test entity F1", "natural-text entity F1"], rows)
            + f"\n\nBetter on average: {results['better']}.")


Sections = Dict[str, Callable[[], str]]
DOCUMENTS: Dict[pathlib.Path, Sections] = {
    README: {"own-data": own_data_section, "decoding": decoding_section,
             "quality": quality_section, "natural-text": natural_text_section,
             "context-inference": context_inference_section,
             "export": export_section, "beam-workers": beam_workers_section,
             "span-drift": span_drift_section, "warm-start": warm_start_section,
             "benchmarks": benchmark_section, "main-run": main_run_section,
             "resume": resume_section},
    SERVING_README: {"server-batching": server_batching_section, "rollout": rollout_section}}


def render(readme: str, sections: Sections) -> str:
    for name, section in sections.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n)(?:.*?\n)?(<!-- end:{name} -->)",
                             re.S)
        if not pattern.search(readme):
            raise ValueError(f"the README lacks the markers of section '{name}'")
        readme = pattern.sub(
            lambda match, text=section(): match.group(1) + text + "\n" + match.group(2), readme)
    return readme


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="Exit 1 if a README differs from what the results give")
    args = parser.parse_args()
    stale = []
    for path, sections in DOCUMENTS.items():
        current = path.read_text(encoding="utf-8")
        rendered = render(current, sections)
        if rendered == current:
            continue
        if args.check:
            stale.append(path.relative_to(README.parent))
        else:
            path.write_text(rendered, encoding="utf-8")
            print(f"Updated {path.relative_to(README.parent)}")
    if stale:
        print(f"Out of date: {', '.join(map(str, stale))}: run python -m benchmarks.table",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
