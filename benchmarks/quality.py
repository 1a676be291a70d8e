"""Model quality on CoNLL-2003: the main profile with several seeds, the same
seeds on the other side of each switch (document context, casing embedding,
one epoch fewer, the other precision: the ablations), plus the quick profile's
end-to-end time (the fixed cost of a TFX run) and the first seed's run again with
--beam-workers (its wall time; the workers write the examples in another
order, so training shuffles them differently and F1 moves a little).

Each run is the real pipeline (LocalDagRunner) into its own pipeline root;
the numbers are read back from ML Metadata: eval and test entity F1 (micro and
per type), word accuracy, and wall time of the Trainer and of the whole run.
Peak resident memory is this process's, i.e. of the in-process training run.
"""

import argparse
import dataclasses
import datetime
import json
import pathlib
import resource
import time
from typing import Dict, List, Optional, Tuple

from benchmarks.common import (
    DEFAULT_DATA_DIR, RESULTS_DIR, other_precision,
    write_results)
from components.ner_evaluator.metrics import types_of
from contracts import console
from contracts.checkpoint import write_tiny_checkpoint
from contracts.files import HISTORY_FILE
from contracts.training import TRAINING_CONFIG_KEY, TrainingConfig
from modules.trainer import precision
from pipeline import local_runner, run_summary
from pipeline.config import DEFAULT_CHECKPOINT, PipelineConfig, config_for_profile

# The ablations run the same seeds on the other side of one switch each. The
# document-context side: windows of 256 pieces in batches of 4 (about the
# pieces of a batch of 32 sentences), or each sentence alone in batches of 32.
WITH_CONTEXT = {"document_context": 256, "batch_size": 4}
WITHOUT_CONTEXT = {"document_context": 0, "batch_size": 32}


def ablations() -> Dict[str, dict]:
    """Training overrides, by switch, that flip that switch of the default configuration
    (for the schedule: one epoch fewer, the time the whole run saves and what it costs;
    for the precision: float32 against bf16, or bf16 where the default is float32)."""
    default = default_training()
    return {"context": WITHOUT_CONTEXT if default["document_context"] else WITH_CONTEXT,
            "casing": {"casing_embedding": not default["casing_embedding"]},
            "schedule": {"epochs": default["epochs"] - 1},
            "precision": {"mixed_precision": other_precision(default["mixed_precision"])}}


def default_training() -> dict:
    """The default training settings, with the precision policy they resolve to on
    this machine (runs record the policy they trained with)."""
    default = dataclasses.asdict(TrainingConfig())
    return {**default, "mixed_precision": precision.training_policy(default["mixed_precision"])}


def switches(training: dict) -> Tuple[bool, bool, int, str]:
    """(document context on, casing embedding on, epochs, precision policy) of a
    run's training settings."""
    return (bool(training["document_context"]), bool(training["casing_embedding"]),
            training["epochs"], training["mixed_precision"])


def by_configuration(runs: List[dict]) -> dict:
    """Runs of the default configuration's switches, and the ablation runs."""
    default = switches(default_training())
    grouped = {"main_profile_runs": [], "ablation_runs": []}
    for run in runs:
        main = switches(run) == default
        grouped["main_profile_runs" if main else "ablation_runs"].append(run)
    return grouped


def run_profile(profile: str, root: pathlib.Path, data_dir: pathlib.Path, **overrides) -> dict:
    config = config_for_profile(profile, data_dir=str(data_dir), pipeline_root=str(root / "root"),
                                serving_dir=str(root / "serving"), enable_cache=False, **overrides)
    start = time.perf_counter()
    local_runner.run(config)
    return recorded_run(config, time.perf_counter() - start)


def recorded_run(config, seconds: Optional[float] = None) -> dict:
    """Seed, precision, wall times and eval/test metrics of the latest run, from MLMD;
    without ``seconds``, the run's time is the span of its executions."""
    store = run_summary.open_store(config.resolved_metadata_path)
    executions = run_summary.latest_run_executions(store, config.pipeline_name)
    if seconds is None:
        seconds = (max(e.last_update_time_since_epoch for e in executions.values())
                   - min(e.create_time_since_epoch for e in executions.values())) / 1000
    evaluation = run_summary.output_artifacts(store, executions["NerEvaluator"])["evaluation"]
    with open(pathlib.Path(evaluation.uri) / "metrics.json") as handle:
        metrics = json.load(handle)
    # Runs made before the Trainer recorded its policy asked for one, never 'auto'.
    policy = trainer_history(store, executions).get("precision_policy",
                                                    config.training.mixed_precision)
    return {
        "seed": config.training.seed,
        "mixed_precision": policy,
        "document_context": config.training.document_context,
        "casing_embedding": config.training.casing_embedding,
        "freeze_embeddings": config.training.freeze_embeddings,
        "epochs": config.training.epochs,
        "batch_size": config.training.batch_size,
        "run_seconds": round(seconds, 1),
        "trainer_seconds": round(run_summary.execution_seconds(executions["Trainer"]), 1),
        "splits": {split: {"entity_f1": values["entities"]["micro"]["f1"],
                           "entity_precision": values["entities"]["micro"]["precision"],
                           "entity_recall": values["entities"]["micro"]["recall"],
                           "per_type_f1": {kind: values["entities"][kind]["f1"]
                                           for kind in types_of(values["entities"])},
                           "argmax_entity_f1": values["argmax_entity_f1"],
                           "accuracy": values["accuracy"], "loss": values["loss"]}
                   for split, values in metrics["splits"].items()},
    }


def trainer_history(store, executions) -> dict:
    """The Trainer's history.json (steps, epochs, how it started, its seconds)."""
    model_run = run_summary.output_artifacts(store, executions["Trainer"])["model_run"]
    return json.loads((pathlib.Path(model_run.uri) / HISTORY_FILE).read_text())


def latest_run(pipeline_root: str):
    """(config carrying the run's training settings, MLMD store, node id -> execution)
    of the latest run under ``pipeline_root``, made by whatever command."""
    config = PipelineConfig(data_dir="", pipeline_root=pipeline_root)
    store = run_summary.open_store(config.resolved_metadata_path)
    executions = run_summary.latest_run_executions(store, config.pipeline_name)
    training = trainer_config(executions)[TRAINING_CONFIG_KEY]
    # Runs made before --casing-embedding existed trained without it, and those made
    # before --freeze-embeddings trained the embeddings.
    config.training = TrainingConfig(**{"casing_embedding": False, "freeze_embeddings": False,
                                        **training})
    return config, store, executions


def trainer_config(executions) -> dict:
    """The Trainer's custom_config (training settings, checkpoint) as the run used it."""
    return json.loads(executions["Trainer"].custom_properties["custom_config"].string_value)


def merged_note(previous: Optional[str], note: str, replace: bool) -> str:
    return f"{previous} {note}" if previous and not replace else note


def record_finished_runs(roots, note: Optional[str], merge: bool,
                         replace_note: bool = False) -> None:
    """Quality results of runs made outside this benchmark, read back from their MLMD:
    runs on the other side of one of the default's switches are the ablation.
    With ``merge``, the results file keeps the runs the recorded ones do not
    replace (same seed and settings), each recorded run carries the day it
    was recorded, and ``note`` extends the file's note (or, with
    ``replace_note``, replaces it, when the runs it described are gone)."""
    recorded_on = datetime.date.today().isoformat()
    runs = [{**recorded_run(latest_run(root)[0]), **({"recorded_on": recorded_on} if merge else {})}
            for root in roots]
    results = {}
    if merge:
        previous = json.loads((RESULTS_DIR / "quality.json").read_text())
        results = previous["results"]
        kept = [{"recorded_on": previous["date"][:10], **run}
                for key in ("main_profile_runs", "ablation_runs")
                for run in results.pop(key, [])]

        def key(run):
            return run["seed"], switches(run), run["batch_size"]

        replaced = {key(run) for run in runs}
        runs = [run for run in kept if key(run) not in replaced] + runs
    results.update(by_configuration(runs))
    if note:
        results["note"] = merged_note(results.get("note") if merge else None, note,
                                      replace_note)
    print(f"results: {write_results('quality', results)}")


def _report(label: str, run: dict) -> None:
    print(f"{label}: eval F1 {run['splits']['eval']['entity_f1']:.4f}, test F1 "
          f"{run['splits']['test']['entity_f1']:.4f}, trainer {run['trainer_seconds']:.0f} s",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=pathlib.Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--work-dir", type=pathlib.Path, default=pathlib.Path("bench_runs"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7])
    parser.add_argument("--beam-workers", type=int, default=2,
                        help="Run the first seed once more with this many Beam worker "
                             "processes (0 or 1: skip)")
    parser.add_argument("--note", help="Conditions of the runs worth knowing, kept with the "
                                           "results (e.g. other jobs sharing the cores)")
    parser.add_argument("--pipeline-roots", nargs="+", metavar="ROOT",
                        help="Record finished main-profile runs (ner-pipeline run "
                             "--pipeline-root ROOT) instead of running the seeds")
    parser.add_argument("--merge", action="store_true",
                        help="With --pipeline-roots: replace only the kind of runs recorded "
                             "(default configuration or ablation), keep the rest of the file")
    parser.add_argument("--replace-note", action="store_true",
                        help="With --merge: --note replaces the file's note instead of "
                             "extending it")
    args = parser.parse_args()
    if args.pipeline_roots:
        record_finished_runs(args.pipeline_roots, args.note, args.merge, args.replace_note)
        return
    if args.merge:
        parser.error("--merge needs --pipeline-roots")
    console.configure_logging(verbose=False)
    tiny = write_tiny_checkpoint(str(args.work_dir / "tiny-bert"), str(DEFAULT_CHECKPOINT))
    quick_start = time.perf_counter()
    run_profile("quick", args.work_dir / "quick", args.data_dir, checkpoint=tiny.directory)
    results = {"quick_profile_end_to_end_seconds": round(time.perf_counter() - quick_start, 1),
               "main_profile_runs": [], "ablation_runs": [],
               **({"note": args.note} if args.note else {})}
    for seed in args.seeds:
        run = run_profile("main", args.work_dir / f"main-seed{seed}", args.data_dir,
                          training={"seed": seed})
        results["main_profile_runs"].append(run)
        _report(f"seed {seed}", run)
    for switch, ablation in ablations().items():
        for seed in args.seeds:
            run = run_profile("main", args.work_dir / f"main-seed{seed}-{switch}-ablation",
                              args.data_dir, training={"seed": seed, **ablation})
            results["ablation_runs"].append(run)
            _report(f"seed {seed}, {ablation}", run)
    if args.beam_workers > 1:
        # The first seed again with Beam's stages on worker processes: the main
        # profile's wall time with and without --beam-workers.
        run = run_profile("main", args.work_dir / f"main-seed{args.seeds[0]}-beam-workers",
                          args.data_dir, training={"seed": args.seeds[0]},
                          beam_workers=args.beam_workers)
        results["beam_workers_run"] = {"beam_workers": args.beam_workers, **run}
        print(f"seed {args.seeds[0]} with --beam-workers {args.beam_workers}: whole run "
              f"{run['run_seconds']:.0f} s, test F1 {run['splits']['test']['entity_f1']:.4f}",
              flush=True)
    results["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(f"quick profile end to end: {results['quick_profile_end_to_end_seconds']} s; "
          f"peak resident memory {results['peak_rss_mib']} MiB")
    print(f"results: {write_results('quality', results)}")


if __name__ == "__main__":
    main()
