"""In-graph BIO-to-span decoding agrees with seqeval's get_entities (conlleval)."""

import random

import pytest
import tensorflow as tf
from seqeval.metrics.sequence_labeling import get_entities

from modules.trainer.entities import decode_entities
from tests.conftest import CONLL


def decode(sentences):
    ids = tf.RaggedTensor.from_row_lengths(
        tf.constant([CONLL.label_to_id[tag] for tags in sentences for tag in tags], tf.int64),
        [len(tags) for tags in sentences])
    out = decode_entities(ids)
    return [(int(s), CONLL.types[int(t)], int(a), int(b)) for s, t, a, b in
            zip(out["sentence"], out["type"], out["first_word"], out["last_word"])]


def reference(sentences):
    return [(row, kind, start, end) for row, tags in enumerate(sentences)
            for kind, start, end in get_entities(list(tags))]


@pytest.mark.parametrize("tags, expected", [
    (["B-PER", "I-PER", "O"], [("PER", 0, 1)]),
    (["I-PER", "I-PER", "O"], [("PER", 0, 1)]),                 # I- without B- starts a chunk
    (["O", "I-LOC"], [("LOC", 1, 1)]),
    (["B-LOC", "B-LOC"], [("LOC", 0, 0), ("LOC", 1, 1)]),       # adjacent, same type
    (["B-LOC", "I-LOC", "B-LOC", "I-LOC"], [("LOC", 0, 1), ("LOC", 2, 3)]),
    (["B-ORG", "I-PER"], [("ORG", 0, 0), ("PER", 1, 1)]),       # type change splits
    (["B-MISC", "O", "I-MISC"], [("MISC", 0, 0), ("MISC", 2, 2)]),
    (["O", "O"], []),
])
def test_crafted_cases(tags, expected):
    assert decode([tags]) == [(0,) + span for span in expected]
    assert decode([tags]) == reference([tags])


def test_entities_never_cross_sentences():
    sentences = [["B-PER", "I-PER"], ["I-PER", "O"], [], ["I-ORG"]]
    assert decode(sentences) == reference(sentences) == [
        (0, "PER", 0, 1), (1, "PER", 0, 0), (3, "ORG", 0, 0)]


def test_random_sequences_match_seqeval():
    generator = random.Random(7)
    sentences = [[generator.choice(CONLL.labels) for _ in range(generator.randint(0, 12))]
                 for _ in range(500)]
    assert decode(sentences) == reference(sentences)
