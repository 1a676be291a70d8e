"""Reading the exported model's padded outputs (modules/trainer/export.py).

The text signatures return dense outputs so that TF Serving can answer them:
per-word outputs are padded to the batch's longest sentence, per-entity outputs
to the most entities, and WORD_COUNT / ENTITY_COUNT say how many are real.
Every reader (the REST client, batch prediction, benchmarks) cuts the padding
here, so they cannot disagree on it. Works on one row of NumPy arrays (the
SavedModel called in Python) and on one row of TF Serving's JSON alike.
"""

import numbers
from typing import Any, Dict, List, Mapping, Tuple

from contracts.signatures import (
    ENTITY_COUNT, ENTITY_ENDS, ENTITY_SCORES, ENTITY_STARTS, ENTITY_TEXTS, ENTITY_TYPES, SCORES,
    TAGS, WORD_COUNT, WORD_ENDS, WORD_STARTS, WORDS)

# Field of a word / an entity (the fields of ``ner-pipeline predict --json``) -> output name.
WORD_FIELDS = {"text": WORDS, "tag": TAGS, "score": SCORES, "start": WORD_STARTS,
               "end": WORD_ENDS}
ENTITY_FIELDS = {"type": ENTITY_TYPES, "text": ENTITY_TEXTS, "start": ENTITY_STARTS,
                 "end": ENTITY_ENDS, "score": ENTITY_SCORES}

Record = Dict[str, Any]


def rows(outputs: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """A batch's outputs (one array per output name) as one mapping per instance."""
    return [{name: values[row] for name, values in outputs.items()}
            for row in range(len(outputs[WORD_COUNT]))]


def unpad(row: Mapping[str, Any]) -> Tuple[List[Record], List[Record]]:
    """One instance's words and entities, as dicts of WORD_FIELDS / ENTITY_FIELDS,
    without the padding and as plain Python values."""
    return (_records(row, WORD_FIELDS, int(row[WORD_COUNT])),
            _records(row, ENTITY_FIELDS, int(row[ENTITY_COUNT])))


def _records(row: Mapping[str, Any], fields: Dict[str, str], count: int) -> List[Record]:
    columns = {field: row[name][:count] for field, name in fields.items()}
    return [{field: _plain(values[index]) for field, values in columns.items()}
            for index in range(count)]


def _plain(value: Any) -> Any:
    """str for TensorFlow's bytes, int or float for NumPy scalars. A float32 becomes its
    shortest decimal (0.9634486, not 0.9634485840797424), as TF Serving writes it."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(str(value))
    return value
