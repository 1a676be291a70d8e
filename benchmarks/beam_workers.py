"""Beam stages in process against N DirectRunner worker processes (--beam-workers).

The data half of the real pipeline (ConllExampleGen, StatisticsGen,
InventorySchemaGen, ExampleValidator, ValidationGate, Transform) on the full
CoNLL-2003 files, run by LocalDagRunner with the Beam options a local run
gets (pipeline/beam_args.py, pipeline/local_runner.py). The two settings
alternate pass by pass, so drifting machine load hits both alike; each is
timed --repeats times and reported as min/median/max, for the whole run and
for each Beam component (from its MLMD execution). This is what chooses the
default of ``ner-pipeline run --beam-workers``.
"""

import argparse
import pathlib
import tempfile
import time
from typing import Dict, List

from tfx import v1 as tfx

from benchmarks.common import DEFAULT_DATA_DIR, spread, write_results
from pipeline import local_runner, run_summary
from pipeline.config import DEFAULT_CHECKPOINT, PipelineConfig
from pipeline.pipeline import create_pipeline

BEAM_COMPONENTS = ("ConllExampleGen", "StatisticsGen", "ExampleValidator", "Transform")
PIPELINE_NAME = "beam-workers-benchmark"


def timed_pass(data_dir: pathlib.Path, checkpoint: str, workers: int) -> Dict[str, float]:
    """Seconds of the whole data half and of each Beam component, one fresh run."""
    with tempfile.TemporaryDirectory() as root:
        config = PipelineConfig(data_dir=str(data_dir), pipeline_root=root,
                                pipeline_name=PIPELINE_NAME, checkpoint=checkpoint,
                                beam_workers=workers, enable_cache=False)
        placement = local_runner.placement(config)
        start = time.perf_counter()
        with local_runner.private_tempdir(root):
            tfx.orchestration.LocalDagRunner().run(
                create_pipeline(config, placement, training=False))
        seconds = {"run": time.perf_counter() - start}
        executions = run_summary.latest_run_executions(
            run_summary.open_store(config.resolved_metadata_path), PIPELINE_NAME)
        seconds.update({name: run_summary.execution_seconds(executions[name])
                        for name in BEAM_COMPONENTS})
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=pathlib.Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2],
                        help="--beam-workers settings to compare (0: in process)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    passes: Dict[int, List[Dict[str, float]]] = {workers: [] for workers in args.workers}
    for repeat in range(args.repeats):
        for workers in args.workers:
            seconds = timed_pass(args.data_dir, args.checkpoint, workers)
            passes[workers].append(seconds)
            print(f"pass {repeat + 1}/{args.repeats}, --beam-workers {workers}: "
                  + ", ".join(f"{name} {value:.1f} s" for name, value in seconds.items()),
                  flush=True)
    results = {"checkpoint": pathlib.PurePath(args.checkpoint).name, "repeats": args.repeats,
               "settings": {str(workers): {name: {**spread(p[name] for p in runs),
                                                  "passes": [round(p[name], 1) for p in runs]}
                                           for name in runs[0]}
                            for workers, runs in passes.items()}}
    for workers, setting in results["settings"].items():
        print(f"--beam-workers {workers}: data half {setting['run']['median']} s median "
              f"(min {setting['run']['min']}, max {setting['run']['max']})")
    print(f"results: {write_results('beam_workers', results)}")


if __name__ == "__main__":
    main()
