"""Transform throughput on CoNLL-2003 and the length distribution of input_ids.

Side by side in one run:
  * preprocessing alone: the in-graph tokenizer (tf.function) over the train split;
  * the whole Transform component (LocalDagRunner, DirectRunner: analyze train,
    transform train/eval/test, write TFRecords), timed from its MLMD execution.
"""

import argparse
import dataclasses
import pathlib
import tempfile
import time

import numpy as np
import tensorflow as tf
from tfx import v1 as tfx

from benchmarks.common import DEFAULT_DATA_DIR, write_results
from contracts.conll_format import decode_lines, read_sentences
from modules.transform.tokenization import WordPieceTokenizer
from contracts.checkpoint import resolve_checkpoint
from pipeline import local_runner, run_summary
from pipeline.config import DEFAULT_CHECKPOINT, PipelineConfig
from pipeline.pipeline import create_pipeline

PIPELINE_NAME = "transform-benchmark"


def time_tokenizer(sentences, checkpoint, batch_size: int = 1024):
    tokenizer = WordPieceTokenizer(checkpoint.vocab_file, checkpoint.lower_case,
                                   checkpoint.strip_accents)
    encode = tf.function(lambda words: tokenizer.encode(words)["input_ids"].row_lengths())
    batches = [tf.ragged.constant(sentences[i:i + batch_size])
               for i in range(0, len(sentences), batch_size)]
    encode(batches[0])  # trace once
    start = time.perf_counter()
    lengths = np.concatenate([encode(batch).numpy() for batch in batches])
    return len(sentences) / (time.perf_counter() - start), lengths


def time_component(data_dir: pathlib.Path, checkpoint: str):
    with tempfile.TemporaryDirectory() as root:
        config = PipelineConfig(data_dir=str(data_dir), pipeline_root=root,
                                pipeline_name=PIPELINE_NAME, checkpoint=checkpoint,
                                enable_cache=False)
        # In process and with no other Beam option, as this benchmark has always measured.
        placement = dataclasses.replace(local_runner.placement(config),
                                        beam_pipeline_args=["--direct_running_mode=in_memory"])
        tfx.orchestration.LocalDagRunner().run(create_pipeline(config, placement, training=False))
        store = run_summary.open_store(config.resolved_metadata_path)
        executions = run_summary.latest_run_executions(store, PIPELINE_NAME)
        examples = run_summary.output_artifacts(store, executions["ConllExampleGen"])["examples"]
        sentences = sum(examples.custom_properties[f"{split}_sentences"].int_value
                        for split in ("train", "eval", "test"))
        seconds = run_summary.execution_seconds(executions["Transform"])
    return {"seconds": round(seconds, 2), "sentences": sentences,
            "sentences_per_second": round(sentences / seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=pathlib.Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    args = parser.parse_args()
    checkpoint = resolve_checkpoint(args.checkpoint)
    path = args.data_dir / "train.txt"
    sentences = [list(s.tokens) for s in read_sentences(decode_lines(path.read_bytes(), str(path)),
                                                         str(path))]
    alone, lengths = time_tokenizer(sentences, checkpoint)
    component = time_component(args.data_dir, args.checkpoint)
    distribution = {"sentences": len(lengths), "pieces_with_specials": int(lengths.sum()),
                    "pieces_without_specials": int(lengths.sum() - 2 * len(lengths)),
                    "max": int(lengths.max()), "p50": float(np.percentile(lengths, 50)),
                    "p99": float(np.percentile(lengths, 99)), "mean": round(float(lengths.mean()), 2)}
    results = {"checkpoint": pathlib.PurePath(args.checkpoint).name,
               "preprocessing_alone_train_sentences_per_second": round(alone),
               "transform_component_all_splits": component,
               "train_input_ids_length": distribution}
    print(f"preprocessing alone (train, tf.function, batch 1024): {alone:>9,.0f} sentences/s")
    print(f"Transform component (analyze train, transform all):   "
          f"{component['sentences_per_second']:>9,} sentences/s "
          f"({component['sentences']:,} sentences in {component['seconds']} s)")
    print("train input_ids length (with [CLS]/[SEP]): "
          + ", ".join(f"{key} {value}" for key, value in distribution.items()))
    print(f"results: {write_results('transform', results)}")


if __name__ == "__main__":
    main()
