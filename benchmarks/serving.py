"""Serving latency and throughput, in process and over REST, against the plain way.

Side by side in one run, same exported model (--model-dir, a Pusher version
directory), sentences drawn from valid.txt (mixed lengths):

  in-graph   the SavedModel's serving_default signature (tokenization,
             windows, tags, entity spans all inside the graph);
  plain way  HF BertTokenizerFast in Python + the same classifier weights
             (the SavedModel's classifier, fed each piece's word casing) +
             first-piece tags and seqeval spans in Python: what one writes
             without the pipeline;
  REST       `ner-pipeline serve` in a subprocess, over HTTP on loopback,
             plus a load test: concurrent clients for a fixed time.

Reports single-sentence p50/p99 latency, sentences/s at batch 32, the load
test's requests/s, latency and errors, and the server's peak resident memory.
"""

import argparse
import concurrent.futures
import json
import pathlib
import random
import time
from typing import Callable, Dict, List

import numpy as np
import requests
import tensorflow as tf
import tensorflow_text  # noqa: F401  (ops of the exported model)
from seqeval.metrics.sequence_labeling import get_entities
from transformers import BertTokenizerFast

from benchmarks.common import DEFAULT_DATA_DIR, write_results
from benchmarks.server_process import free_port, start_server
from contracts.conll_format import decode_lines, read_sentences
from contracts.checkpoint import resolve_checkpoint
from contracts.inventory import served_inventory
from modules.transform.tokenization import word_casings
from pipeline.config import DEFAULT_CHECKPOINT


def latency(call: Callable[[List[str]], object], sentences: List[str]) -> Dict[str, float]:
    times = []
    for sentence in sentences:
        start = time.perf_counter()
        call([sentence])
        times.append(time.perf_counter() - start)
    return {"p50_ms": round(1000 * float(np.percentile(times, 50)), 2),
            "p99_ms": round(1000 * float(np.percentile(times, 99)), 2)}


def throughput(call: Callable[[List[str]], object], sentences: List[str], batch: int = 32):
    start = time.perf_counter()
    for index in range(0, len(sentences), batch):
        call(sentences[index:index + batch])
    return round(len(sentences) / (time.perf_counter() - start), 1)


def plain_way(model_dir: str, checkpoint):
    """Python tokenizer + the exported classifier + Python alignment and spans."""
    loaded = tf.saved_model.load(model_dir)
    classifier, labels = loaded.classifier, served_inventory(loaded).labels
    tokenizer = BertTokenizerFast(checkpoint.vocab_file, do_lower_case=checkpoint.lower_case)

    def call(sentences: List[str]):
        words = [sentence.split() for sentence in sentences]
        encoded = tokenizer(words, is_split_into_words=True, padding=True, truncation=True,
                            return_tensors="np")
        casing = [word_casings(tf.constant(row, tf.string)).numpy() for row in words]
        piece_casing = [[0 if word is None else casing[row][word]
                         for word in encoded.word_ids(row)] for row in range(len(words))]
        logits = classifier({"input_ids": tf.constant(encoded["input_ids"], tf.int64),
                             "attention_mask": tf.constant(encoded["attention_mask"], tf.int64),
                             "casing": tf.constant(piece_casing, tf.int64)}).numpy()
        results = []
        for row in range(len(words)):
            tags, previous = [], None
            for position, word in enumerate(encoded.word_ids(row)):
                if word is not None and word != previous:
                    tags.append(labels[int(logits[row, position].argmax())])
                previous = word
            results.append((tags, get_entities(tags)))
        return results

    return call


def in_graph(model_dir: str):
    signature = tf.saved_model.load(model_dir).signatures["serving_default"]
    return lambda sentences: signature(sentences=tf.constant(sentences))


def peak_rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def load_test(url: str, sentences: List[str], clients: int, seconds: float) -> Dict:
    def client(seed: int):
        session, generator = requests.Session(), random.Random(seed)
        times, errors = [], 0
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            body = json.dumps({"instances": [generator.choice(sentences)]})
            start = time.perf_counter()
            response = session.post(url, data=body, timeout=60)
            times.append(time.perf_counter() - start)
            errors += response.status_code != 200
        return times, errors

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        outcomes = list(pool.map(client, range(clients)))
    times = [t for outcome in outcomes for t in outcome[0]]
    return {"clients": clients, "seconds": seconds, "requests": len(times),
            "errors": sum(outcome[1] for outcome in outcomes),
            "requests_per_second": round(len(times) / seconds, 1),
            "p50_ms": round(1000 * float(np.percentile(times, 50)), 1),
            "p99_ms": round(1000 * float(np.percentile(times, 99)), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serving-dir", required=True,
                        help="The Pusher's directory; its newest version is measured.")
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT),
                        help="The checkpoint the model was trained from (for the HF tokenizer).")
    parser.add_argument("--data-dir", type=pathlib.Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    model_dir = str(max(pathlib.Path(args.serving_dir).iterdir(), key=lambda p: int(p.name)))
    path = args.data_dir / "valid.txt"
    texts = [" ".join(s.tokens) for s in read_sentences(decode_lines(path.read_bytes(), str(path)),
                                                         str(path))]
    sample = random.Random(0).sample(texts, args.requests)
    batch_sample = random.Random(1).sample(texts, 32 * 20)

    ways = {"in-graph signature": in_graph(model_dir),
            "plain way (HF tokenizer + model)": plain_way(model_dir,
                                                          resolve_checkpoint(args.checkpoint))}
    port = free_port()
    server = start_server(args.serving_dir, port)
    url = f"http://127.0.0.1:{port}/v1/models/ner:predict"
    session = requests.Session()
    ways["REST (ner-pipeline serve)"] = lambda sentences: session.post(
        url, data=json.dumps({"instances": sentences}), timeout=60).raise_for_status()
    results = {"model_version": pathlib.PurePath(model_dir).name, "ways": {}}
    try:
        for name, call in ways.items():
            call(sample[:8])  # warm up
            results["ways"][name] = {**latency(call, sample),
                                     "batch32_sentences_per_second": throughput(call, batch_sample)}
            print(f"{name:<34} single p50 {results['ways'][name]['p50_ms']:>7} ms, p99 "
                  f"{results['ways'][name]['p99_ms']:>7} ms; batch 32: "
                  f"{results['ways'][name]['batch32_sentences_per_second']:>7} sentences/s")
        results["load_test"] = load_test(url, texts, args.clients, args.seconds)
        results["server_peak_rss_mib"] = peak_rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    load = results["load_test"]
    print(f"load test: {load['clients']} clients x {load['seconds']:.0f} s: {load['requests']} "
          f"requests, {load['errors']} errors, {load['requests_per_second']} requests/s, "
          f"p50 {load['p50_ms']} ms, p99 {load['p99_ms']} ms")
    print(f"server peak resident memory: {results['server_peak_rss_mib']} MiB")
    print(f"results: {write_results('serving', results)}")


if __name__ == "__main__":
    main()
