"""Shared plumbing for benchmarks: machine description and the results file."""

import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys
from importlib import metadata
import statistics
from typing import Any, Dict, Iterable, List

PROJECT_DIR = pathlib.Path(__file__).resolve().parents[1]
RESULTS_DIR = PROJECT_DIR / "benchmarks" / "results"
DEFAULT_DATA_DIR = PROJECT_DIR.parent / "shared" / "data" / "conll2003"
_SPEED_FLAGS = frozenset({"avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16",
                          "amx_tile"})
_VERSIONED = ("tfx", "tensorflow", "tensorflow-text", "tensorflow-transform", "apache-beam",
              "transformers")


def machine() -> Dict[str, Any]:
    """The CPU (with the flags that decide its speed: vector width, bf16), the load
    when the results were written (other work on a shared machine), versions."""
    # Here, not at the top: the README tables import this module without TensorFlow.
    from modules.trainer.precision import BF16_CPU_FLAGS, CPUINFO, cpu_flags
    cpu = next((line.split(":", 1)[1].strip() for line in open(CPUINFO)
                if line.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(),
            "cpu_flags": sorted(_SPEED_FLAGS & set(cpu_flags())),
            "bf16_native": bool(BF16_CPU_FLAGS & set(cpu_flags())),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
            "versions": {name: metadata.version(name) for name in _VERSIONED}}


def write_results(name: str, results: Dict[str, Any]) -> pathlib.Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"benchmark": name, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec="seconds"), "machine": machine(), "results": results}
    # Paths under the project are recorded relative to it: no machine's paths in results.
    text = json.dumps(payload, indent=2).replace(json.dumps(str(PROJECT_DIR) + os.sep)[1:-1], "")
    path.write_text(text + "\n")
    return path


def profile_results_name(precision: str) -> str:
    """benchmarks.training_profile's results, one file per precision."""
    return f"training_profile_{precision}"


def other_precision(policy: str) -> str:
    """The precision policy the precision ablation compares ``policy`` with."""
    return "float32" if policy == "mixed_bfloat16" else "mixed_bfloat16"


def spread(values: Iterable[float], digits: int = 1) -> Dict[str, float]:
    """min, median and max of repeated measurements (never one run on a noisy machine)."""
    values = sorted(values)
    return {"min": round(values[0], digits), "median": round(statistics.median(values), digits),
            "max": round(values[-1], digits)}


RESULT_PREFIX = "RESULT "


def print_result(values: Dict[str, Any]) -> None:
    """What a variant run by ``in_fresh_process`` prints for its parent."""
    print(RESULT_PREFIX + json.dumps(values), flush=True)


def in_fresh_process(module: str, arguments: List[str], python: str = sys.executable
                     ) -> Dict[str, Any]:
    """Runs ``python -m module arguments`` and returns what it ``print_result``-ed: each
    variant in its own process, so that one cannot slow the next through
    TensorFlow's process state (``python``: another environment's interpreter)."""
    output = subprocess.run([python, "-m", module, *arguments], check=True,
                            capture_output=True, text=True, cwd=PROJECT_DIR).stdout
    return json.loads(next(line for line in output.splitlines()
                           if line.startswith(RESULT_PREFIX))[len(RESULT_PREFIX):])
