"""Ingestion throughput on CoNLL-2003 (sentences per second).

Measured side by side in one run: the pure CoNLL reader on the full train
file, and the ConllExampleGen component run by LocalDagRunner on the full
train/valid/test directory (parse, serialize, write gzipped TFRecords, count
back, record in MLMD).
"""

import argparse
import pathlib
import tempfile
import time

from tfx import v1 as tfx

from benchmarks.common import DEFAULT_DATA_DIR, write_results
from components.conll_example_gen.component import ConllExampleGen
from contracts.conll_format import decode_lines, read_sentences
from contracts import features
from pipeline import run_summary


def time_reader(path: pathlib.Path, repeats: int) -> float:
    data = path.read_bytes()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        count = sum(1 for _ in read_sentences(decode_lines(data, str(path)), str(path)))
        best = min(best, time.perf_counter() - start)
    return count / best


def time_component(data_dir: pathlib.Path) -> dict:
    with tempfile.TemporaryDirectory() as root:
        metadata_path = f"{root}/metadata.sqlite"
        pipeline = tfx.dsl.Pipeline(
            pipeline_name="ingestion-benchmark", pipeline_root=root,
            components=[ConllExampleGen(data_dir=str(data_dir))],
            metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
                metadata_path),
            beam_pipeline_args=["--direct_running_mode=in_memory"])
        start = time.perf_counter()
        tfx.orchestration.LocalDagRunner().run(pipeline)
        seconds = time.perf_counter() - start
        store = run_summary.open_store(metadata_path)
        execution = run_summary.latest_run_executions(store, "ingestion-benchmark")["ConllExampleGen"]
        examples = run_summary.output_artifacts(store, execution)["examples"]
        sentences = sum(examples.custom_properties[f"{split}_sentences"].int_value
                        for split in features.SPLIT_FILE_NAMES)
    return {"seconds": round(seconds, 2), "sentences": sentences,
            "sentences_per_second": round(sentences / seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=pathlib.Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    reader = time_reader(args.data_dir / "train.txt", repeats=3)
    component = time_component(args.data_dir)
    results = {"reader_train_sentences_per_second": round(reader),
               "conll_example_gen_component": component}
    print(f"CoNLL reader alone (train.txt):          {reader:>10,.0f} sentences/s")
    print(f"ConllExampleGen component (all splits):  {component['sentences_per_second']:>10,}"
          f" sentences/s  ({component['sentences']:,} sentences in {component['seconds']} s,"
          f" TFX and Beam start-up included)")
    print(f"results: {write_results('ingestion', results)}")


if __name__ == "__main__":
    main()
