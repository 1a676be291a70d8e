"""contracts/padded_outputs.py: one row of the model's padded outputs, cut to its words
and entities, read the same from NumPy (the SavedModel in Python) and from TF Serving's JSON."""

import numpy as np

from contracts.padded_outputs import rows, unpad

WORDS = [{"text": "Peter", "tag": "B-PER", "score": 0.9848795, "start": 0, "end": 5},
         {"text": "Blackburn", "tag": "I-PER", "score": 0.5, "start": 6, "end": 15}]
ENTITIES = [{"type": "PER", "text": "Peter Blackburn", "start": 0, "end": 15,
             "score": 0.7424398}]


def numpy_batch() -> dict:
    """serving_default's outputs for "Peter Blackburn" and "Rome ." (padded to 2 words)."""
    return {
        "word_count": np.array([2, 1]), "words": np.array([[b"Peter", b"Blackburn"],
                                                           [b"Rome", b""]], dtype=object),
        "tags": np.array([[b"B-PER", b"I-PER"], [b"B-LOC", b""]], dtype=object),
        "scores": np.array([[0.9848795, 0.5], [0.25, 0.0]], np.float32),
        "word_starts": np.array([[0, 6], [0, -1]]), "word_ends": np.array([[5, 15], [4, -1]]),
        "entity_count": np.array([1, 0]),
        "entity_types": np.array([[b"PER"], [b""]], dtype=object),
        "entity_texts": np.array([[b"Peter Blackburn"], [b""]], dtype=object),
        "entity_starts": np.array([[0], [-1]]), "entity_ends": np.array([[15], [-1]]),
        "entity_scores": np.array([[0.7424398], [0.0]], np.float32),
    }


def test_numpy_rows_become_python_values_without_padding():
    first, second = rows(numpy_batch())
    assert unpad(first) == (WORDS, ENTITIES)  # float32 scores as their shortest decimals
    words, entities = unpad(second)
    assert (words, entities) == ([{"text": "Rome", "tag": "B-LOC", "score": 0.25, "start": 0,
                                   "end": 4}], [])
    assert all(type(value) in (str, int, float) for record in sum(unpad(first), [])
               for value in record.values())


def test_a_json_row_reads_the_same():
    prediction = {name: values.tolist() for name, values in numpy_batch().items()}
    first = {name: values[0] for name, values in prediction.items()}
    first.update(words=["Peter", "Blackburn"], tags=["B-PER", "I-PER"],
                 scores=[0.9848795, 0.5], entity_types=["PER"],
                 entity_texts=["Peter Blackburn"], entity_scores=[0.7424398])
    assert unpad(first) == (WORDS, ENTITIES)
