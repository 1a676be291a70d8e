"""Shared by the README's generated sections: results files and Markdown tables."""

import json
from typing import Dict, List

from benchmarks.common import RESULTS_DIR


def load_results(name: str) -> dict:
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text())["results"] if path.exists() else {}


def written_at(name: str) -> str:
    """When a results file was written, UTC, to the minute ("2026-11-27 04:40")."""
    return json.loads((RESULTS_DIR / f"{name}.json").read_text())["date"][:16].replace("T", " ")


def load_machine(name: str) -> dict:
    """The machine a results file was written on (benchmarks.common.machine)."""
    return json.loads((RESULTS_DIR / f"{name}.json").read_text())["machine"]


def machine_of(name: str) -> str:
    """The CPU and cores a results file was written on."""
    machine = load_machine(name)
    return f"{machine['cpu']}, {machine['cores']} cores"


def markdown_table(header: List[str], rows: List[List[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def min_median_max(values: Dict[str, float], unit: str) -> str:
    return f"{values['median']}{unit} (min {values['min']}, max {values['max']})"
