"""Prints the README's benchmark table (Markdown) from benchmarks/results/*.json."""

import json
from typing import List

from benchmarks.common import RESULTS_DIR


def _load(name: str) -> dict:
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _rows() -> List[List[str]]:
    rows = []
    quality = _load("quality").get("results", {})
    for run in quality.get("main_profile_runs", []):
        test, evaluation = run["splits"]["test"], run["splits"]["eval"]
        per_type = ", ".join(f"{k} {v:.4f}" for k, v in test["per_type_f1"].items())
        rows.append([f"quality, main profile, seed {run['seed']}",
                     f"eval F1 {evaluation['entity_f1']:.4f}, test F1 {test['entity_f1']:.4f} "
                     f"(test per type: {per_type}); test word accuracy {test['accuracy']:.4f}; "
                     f"Trainer {run['trainer_seconds'] / 60:.1f} min, run {run['run_seconds'] / 60:.1f} min"])
    if quality:
        rows.append(["quick profile end to end (fixed cost of a TFX run)",
                     f"{quality['quick_profile_end_to_end_seconds']:.0f} s"])
        rows.append(["peak resident memory, training runs", f"{quality['peak_rss_mib']:.0f} MiB"])
    speed = _load("training_speed").get("results", {})
    if speed:
        peaks = speed["matmul_peak_flops"]
        rows.append(["matmul peak (TensorFlow, best of 1024²-4096²)",
                     f"fp32 {peaks['float32'] / 1e9:.0f} GFLOP/s, bf16 {peaks['mixed_bfloat16'] / 1e9:.0f} GFLOP/s"])
        for name, values in speed["variants"].items():
            rows.append([f"training speed: {name}",
                         f"{values['real_tokens_per_second']:,.0f} real tokens/s = "
                         f"{values['speedup_vs_seed_style']}x seed style; "
                         f"{values['fraction_of_matmul_peak']:.1%} of matmul peak"])
    serving = _load("serving").get("results", {})
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
        value = _load(name).get("results")
        for key in keys:
            value = (value or {}).get(key)
        if value is not None:
            rows.append([label, f"{value:,} sentences/s"])
    return rows


def main() -> None:
    print("| measure | result |")
    print("|---|---|")
    for measure, result in _rows():
        print(f"| {measure} | {result} |")


if __name__ == "__main__":
    main()
