"""Batch prediction's output lines: one JSON line per unit, with the fields of
``ner-pipeline predict --json`` (contracts/padded_outputs.py names them)."""

import json
from typing import Any, Dict, List, Mapping

from contracts.padded_outputs import unpad
from serving.batch_inputs import Unit


def format_unit(unit: Unit) -> str:
    """The line of a unit that needs no model: an error, or a result without words."""
    if unit.error is not None:
        return json.dumps({"line": unit.line, "error": unit.error}, ensure_ascii=False)
    return _record(unit, [], [])


def format_result(unit: Unit, outputs: Mapping[str, Any]) -> str:
    """The unit's line from its row of the signature's outputs, padding cut off."""
    return _record(unit, *unpad(outputs))


def _record(unit: Unit, words: List[Dict[str, Any]], entities: List[Dict[str, Any]]) -> str:
    record = {"line": unit.line, "text": unit.text, "words": words, "entities": entities}
    if unit.gold_tags is not None:
        record["gold_tags"] = list(unit.gold_tags)
    return json.dumps(record, ensure_ascii=False)
