"""Server-side batching (``ner-pipeline serve --enable_batching``) against a model call per request.

Each configuration serves the real model with ``ner-pipeline serve`` in a
subprocess. Concurrent clients (1, 4, 16, 64 threads with a requests.Session
each, as benchmarks/serving.py's load test) send sentences drawn from
valid.txt (mixed lengths), one per request and then 8 per request, for a few
seconds per scenario. Every pass starts each server afresh and the passes
alternate the configurations, so that the machine's other load falls on all
of them alike. Reported per scenario, as min/median/max over the passes:
requests/s, sentences/s, p50 and p99 latency, and the server's CPU time per
sentence.

  unbatched       one model call per request, default thread pools (the server
                  without batching)
  batched         --enable_batching --batching_parameters_file
                  serving/batching_parameters.txt (or --parameters-file)
                  --tensorflow_intra_op_parallelism=1
  batched, pools  the same with TensorFlow's default thread pools, to show what one
                  intra-op thread per model call does
  one bucket      batched, but all lengths in one queue per signature and a request's
                  rows kept together (the server's length_bucket replaced by a
                  constant), to show what the length buckets do
"""

import argparse
import concurrent.futures
import json
import os
import pathlib
import random
import subprocess
import sys
import time
from typing import Dict, List

import numpy as np
import requests

from benchmarks.common import DEFAULT_DATA_DIR, spread, write_results
from benchmarks.server_process import start_server
from contracts.conll_format import decode_lines, read_sentences

PARAMETERS_FILE = pathlib.Path(__file__).resolve().parents[1] / "serving" / \
    "batching_parameters.txt"
ONE_THREAD_PER_CALL = "--tensorflow_intra_op_parallelism=1"
CONFIGURATIONS = ("unbatched", "batched", "batched, pools", "one bucket")
_ONE_BUCKET_FLAG = "--serve-with-one-bucket"


def start_configuration(serving_dir: str, port: int, configuration: str,
                        parameters_file: pathlib.Path) -> subprocess.Popen:
    options = []
    if configuration != "unbatched":
        options += ["--enable_batching", f"--batching_parameters_file={parameters_file}"]
    if configuration in ("batched", "one bucket"):
        options.append(ONE_THREAD_PER_CALL)
    one_bucket = [sys.executable, "-m", "benchmarks.server_batching", _ONE_BUCKET_FLAG]
    return start_server(serving_dir, port, options,
                        one_bucket if configuration == "one bucket" else None)


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(url: str, texts: List[str], clients: int, per_request: int, seconds: float,
         server_pid: int) -> Dict[str, float]:
    def client(seed: int):
        session, generator = requests.Session(), random.Random(seed)
        times, errors = [], 0
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            body = json.dumps({"instances": generator.sample(texts, per_request)})
            start = time.perf_counter()
            response = session.post(url, data=body, timeout=120)
            times.append(time.perf_counter() - start)
            errors += response.status_code != 200
        return times, errors

    cpu_before = cpu_seconds(server_pid)
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        outcomes = list(pool.map(client, range(clients)))
    cpu = cpu_seconds(server_pid) - cpu_before
    times = [t for outcome in outcomes for t in outcome[0]]
    return {"requests_per_second": len(times) / seconds,
            "sentences_per_second": len(times) * per_request / seconds,
            "p50_ms": 1000 * float(np.percentile(times, 50)),
            "p99_ms": 1000 * float(np.percentile(times, 99)),
            "server_cpu_ms_per_sentence": 1000 * cpu / (len(times) * per_request),
            "machine_load_1min": os.getloadavg()[0],  # others' work shows here
            "errors": sum(outcome[1] for outcome in outcomes)}


def serve_with_one_bucket(serve_args: List[str]) -> int:
    """The server, with every length in one bucket: the ablation of length buckets."""
    from pipeline import cli
    from serving import server_batching
    server_batching.length_bucket = lambda words: 0
    return cli.main(serve_args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serving-dir", required=True, help="The Pusher's directory")
    parser.add_argument("--data-dir", type=pathlib.Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--per-request", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--configurations", nargs="+", default=list(CONFIGURATIONS),
                        choices=CONFIGURATIONS)
    parser.add_argument("--parameters-file", type=pathlib.Path, default=PARAMETERS_FILE,
                        help="The batching parameters of the batched configurations")
    parser.add_argument("--seconds", type=float, default=8.0, help="Per scenario and pass")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--port", type=int, default=8517)
    args = parser.parse_args()
    path = args.data_dir / "valid.txt"
    texts = [" ".join(s.tokens) for s in read_sentences(decode_lines(path.read_bytes(), str(path)),
                                                         str(path))]
    url = f"http://127.0.0.1:{args.port}/v1/models/ner:predict"
    scenarios = [(clients, per_request) for per_request in args.per_request
                 for clients in args.clients]
    runs: Dict[str, Dict[str, List[Dict[str, float]]]] = {
        name: {f"{c} clients x {k}": [] for c, k in scenarios} for name in args.configurations}
    for number in range(args.passes):
        order = args.configurations[number % len(args.configurations):] + \
            args.configurations[:number % len(args.configurations)]
        for name in order:
            server = start_configuration(args.serving_dir, args.port, name, args.parameters_file)
            try:
                load(url, texts, 4, 8, 2.0, server.pid)  # warm up
                for clients, per_request in scenarios:
                    outcome = load(url, texts, clients, per_request, args.seconds, server.pid)
                    runs[name][f"{clients} clients x {per_request}"].append(outcome)
                    print(f"pass {number + 1} {name:<14} {clients:>2} clients x {per_request}: "
                          f"{outcome['requests_per_second']:7.1f} req/s, p50 "
                          f"{outcome['p50_ms']:6.1f} ms, p99 {outcome['p99_ms']:6.1f} ms, "
                          f"{outcome['errors']} errors", flush=True)
            finally:
                server.terminate()
                server.wait(60)
    results = {"model_dir": args.serving_dir, "seconds": args.seconds, "passes": args.passes,
               "batching_parameters": args.parameters_file.read_text(),
               "one_thread_per_call": ONE_THREAD_PER_CALL, "configurations": {
                   name: {scenario: {key: spread([p[key] for p in passes])
                                     for key in passes[0]}
                          for scenario, passes in by_scenario.items()}
                   for name, by_scenario in runs.items()}}
    print(f"results: {write_results('server_batching', results)}")


if __name__ == "__main__":
    if sys.argv[1:2] == [_ONE_BUCKET_FLAG]:
        sys.exit(serve_with_one_bucket(sys.argv[2:]))
    main()
