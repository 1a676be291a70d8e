"""The README's "Benchmarks" table: training speed, serving and pipeline figures."""

from typing import List

from benchmarks.common import RESULTS_DIR, profile_results_name
from benchmarks.markdown import load_results, markdown_table, min_median_max, written_at
from contracts.training import TRAINING_POLICIES


def _speed_rows() -> List[List[str]]:
    rows = []
    speed = load_results("training_speed")
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
            peak = values.get("fraction_of_matmul_peak")
            rows.append([f"training speed: {name}",
                         f"{tokens['median']:,.0f} real tokens/s median (min {tokens['min']:,.0f}, "
                         f"max {tokens['max']:,.0f}; {len(values['pass_seconds'])} passes) = "
                         f"{values['speedup_vs_seed_style']}x seed style"
                         + (f"; {peak:.1%} of matmul peak" if peak is not None else "")])
        if "float32_speedup_vs_pytorch" in speed:
            rows.append(["training speed, ours in float32 against the plain PyTorch loop",
                         f"{speed['float32_speedup_vs_pytorch']}x (median real tokens/s)"])
    for profile in filter(None, map(load_results, map(profile_results_name, TRAINING_POLICIES))):
        peak = profile["matmul_peak_flops"]
        for name, values in profile["optimizers"].items():
            shares = ", ".join(f"{kind} {share:.0%}" for kind, share in sorted(
                values["kernel_share"].items(), key=lambda item: -item[1]))
            passes = values["pass_seconds"]
            per_step = sum(values["kernel_seconds"].values()) / values["steps"]
            rows.append([f"profile of training "
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
    serving = load_results("serving")
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
    batch = load_results("batch_inference")
    paths = (("beam_batch", "ner-pipeline predict --input (Beam RunInference), whole job"),
             ("beam_batch_steady", "ner-pipeline predict --input, without the job's start-up"),
             ("rest", "REST, batches of 32 (ner-pipeline serve)"))
    for key, label in paths:
        if key in batch:
            rows.append([f"tagging test.txt ({batch['sentences']:,} sentences): {label}",
                         f"{min_median_max(batch[key], '')} sentences/s over "
                         f"{batch['passes']} passes"])
    return rows


def _pipeline_rows() -> List[List[str]]:
    rows = []
    quality = load_results("quality")
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
    evaluator = load_results("evaluator_batches")
    if evaluator:
        rows.append([f"Evaluator predictions, eval and test ({evaluator['sentences']:,} "
                     f"sentences)", "; ".join(
                         f"{way}: {min_median_max(seconds, ' s')}"
                         for way, seconds in evaluator["seconds"].items())
                     + f" ({evaluator['passes']} passes, same tags: "
                       f"{'yes' if evaluator['same_tags'] else 'no'})"])
    for name, keys, label in throughputs:
        value = load_results(name)
        for key in keys:
            value = (value or {}).get(key)
        if value is not None:
            rows.append([label, f"{value:,} sentences/s"])
    return rows


def _measured_on() -> str:
    """When each results file was written (benchmarks of different sessions may mix)."""
    dates = {path.stem: written_at(path.stem) for path in sorted(RESULTS_DIR.glob("*.json"))}
    return "Written (UTC): " + ", ".join(f"`{name}` {date}" for name, date in dates.items()) + "."


def benchmark_section() -> str:
    rows = _speed_rows() + _serving_rows() + _pipeline_rows()
    return markdown_table(["measure", "result"], rows) + "\n\n" + _measured_on()
