"""Offline batch inference (Beam RunInference) against the REST path, on CoNLL test.txt.

Same model (--serving-dir, its newest version), same 3,453 sentences, output
written as JSON Lines either way:

  Beam batch  what `ner-pipeline predict --input test.txt --format conll` runs
              (serving.batch_predict.run), DirectRunner in this process. A pass
              is the whole job: building the pipeline, loading the model in the
              worker, reading, tagging, writing the output in input order. The
              same job on an empty file measures the fixed cost (pipeline and
              model loading), which the steady rate leaves out.
  REST        `ner-pipeline serve` in a subprocess, loaded and warmed up before
              timing; NerClient sends the sentences (tokens joined by spaces)
              in batches of 32 and the results are written as JSON lines.

Each way runs --passes times; reports min/median/max sentences/s, and for
Beam also the steady rate (each pass minus the median fixed cost).
"""

import argparse
import dataclasses
import json
import os
import pathlib
import statistics
import tempfile
import time
from typing import Callable, Dict, List

from benchmarks.common import DEFAULT_DATA_DIR, spread, write_results
from benchmarks.server_process import free_port, start_server
from contracts.conll_format import decode_lines, read_sentences
from serving import batch_predict
from serving.batch_model import resolve_model_dir
from serving.client import NerClient


def timed_passes(run_pass: Callable[[], int], passes: int, sentences: int) -> List[float]:
    """Seconds of each pass; every pass must write one line per sentence."""
    times = []
    for number in range(passes):
        start = time.perf_counter()
        lines = run_pass()
        times.append(time.perf_counter() - start)
        if lines != sentences:
            raise RuntimeError(f"pass {number} wrote {lines} lines for {sentences} sentences")
        print(f"  pass {number + 1}: {times[-1]:.1f} s")
    return times


def rates(sentences: int, times: List[float], fixed: float = 0.0) -> Dict:
    per_second = sorted(round(sentences / (seconds - fixed), 1) for seconds in times)
    return {"sentences_per_second": per_second, **spread(per_second)}


def measure_beam(job: batch_predict.BatchJob, passes: int, sentences: int,
                 work: pathlib.Path) -> Dict[str, Dict]:
    print(f"Beam batch (DirectRunner), {sentences} sentences:")
    times = timed_passes(lambda: batch_predict.run(job).lines, passes, sentences)
    (work / "empty.txt").write_bytes(b"")
    empty_job = dataclasses.replace(job, input_path=str(work / "empty.txt"))
    print("Beam batch, empty file (fixed cost):")
    fixed = statistics.median(timed_passes(lambda: batch_predict.run(empty_job).lines,
                                           passes, 0))
    return {"beam_batch": {**rates(sentences, times),
                           "seconds": [round(seconds, 2) for seconds in times],
                           "fixed_cost_seconds": round(fixed, 2)},
            "beam_batch_steady": rates(sentences, times, fixed)}


def measure_rest(serving_dir: str, texts: List[str], passes: int, batch_size: int,
                 work: pathlib.Path) -> Dict:
    port = free_port()
    server = start_server(serving_dir, port)
    client = NerClient(f"http://127.0.0.1:{port}", batch_size=batch_size)

    def rest_pass() -> int:
        lines = [json.dumps(dataclasses.asdict(result), ensure_ascii=False)
                 for result in client.predict(texts)]
        (work / "rest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return len(lines)

    try:
        client.predict(texts[:64])  # warm up
        print(f"REST (ner-pipeline serve), batches of {batch_size}:")
        times = timed_passes(rest_pass, passes, len(texts))
    finally:
        server.terminate()
        server.wait(30)
    return {**rates(len(texts), times), "seconds": [round(seconds, 2) for seconds in times]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serving-dir", required=True,
                        help="The Pusher's directory; its newest version is measured.")
    parser.add_argument("--data-dir", type=pathlib.Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    test_file = args.data_dir / "test.txt"
    texts = [" ".join(sentence.tokens) for sentence in read_sentences(
        decode_lines(test_file.read_bytes(), str(test_file)), str(test_file))]
    model_dir = resolve_model_dir(args.serving_dir)
    # The version's name, not the machine's path to it.
    results = {"model_version": pathlib.PurePath(model_dir).name,
               "sentences": len(texts), "batch_size": args.batch_size, "passes": args.passes}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="batch-inference-") as work:
        job = batch_predict.BatchJob(model_dir=args.serving_dir, input_path=str(test_file),
                                     output_path=f"{work}/beam.jsonl", input_format="conll",
                                     batch_size=args.batch_size)
        results.update(measure_beam(job, args.passes, len(texts), pathlib.Path(work)))
        results["rest"] = measure_rest(args.serving_dir, texts, args.passes, args.batch_size,
                                       pathlib.Path(work))
    # Other jobs on the machine skew the rates; the 1-minute load average tells.
    results["load_average_1min"] = {"start": load_before, "end": os.getloadavg()[0]}
    for name in ("beam_batch", "beam_batch_steady", "rest"):
        print(f"{name}: median {results[name]['median']} sentences/s "
              f"(min {results[name]['min']}, max {results[name]['max']})")
    print(f"results: {write_results('batch_inference', results)}")


if __name__ == "__main__":
    main()
