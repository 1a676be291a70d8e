"""Viterbi decoding finds the best well-formed IOB2 sequence (brute force, numpy reference)."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from modules.trainer.decoding import (
    DECODERS, allowed_starts, allowed_transitions, argmax_decode, viterbi_decode)

SPEC = tf.RaggedTensorSpec([None, None, None], tf.float32, ragged_rank=1,
                           row_splits_dtype=tf.int64)


def label_names(types):
    """Label names in id order, per the layout of contracts/inventory.py."""
    return ("O",) + tuple(f"{prefix}-{kind}" for kind in types for prefix in "BI")


LABELS = label_names(["PER", "ORG", "LOC", "MISC"])
LABEL_TO_ID = {label: index for index, label in enumerate(LABELS)}
THREE_TYPES = label_names(["T0", "T1", "T2"])


def may_follow(previous, tag):
    """IOB2 from the tag names alone, independent of the id layout the decoder relies on."""
    return not tag.startswith("I-") or previous[2:] == tag[2:]


def is_iob2(tags):
    return all(may_follow(previous, tag) for previous, tag in zip(["O"] + list(tags), tags))


def batch(sentences, num_labels):
    """Ragged [sentences, words, labels] float32 from a list of [words, labels] arrays."""
    flat = np.concatenate([np.zeros([0, num_labels])] + list(sentences)).astype(np.float32)
    return tf.RaggedTensor.from_row_lengths(
        flat, tf.constant([len(sentence) for sentence in sentences], tf.int64))


def decode_one(decoder, probabilities):
    return decoder(batch([probabilities], probabilities.shape[1]))[0].numpy().tolist()


def random_probabilities(rng, words, num_labels):
    """Peaked, so that the per-word argmax is often ill-formed."""
    return rng.dirichlet(np.full(num_labels, 0.3), size=words).astype(np.float32)


def score(probabilities, tags):
    """What the decoder maximises, in float64."""
    log_probs = np.log(np.maximum(probabilities.astype(np.float64), 1e-12))
    return float(log_probs[np.arange(len(tags)), tags].sum())


def brute_force(probabilities, names):
    """The best well-formed sequence, by trying every sequence."""
    words, num_labels = probabilities.shape
    return max((list(tags) for tags in itertools.product(range(num_labels), repeat=words)
                if is_iob2([names[tag] for tag in tags])),
               key=lambda tags: score(probabilities, tags))


def viterbi_reference(probabilities):
    """Textbook O(words * labels^2) Viterbi over allowed_transitions, for one sentence."""
    if len(probabilities) == 0:
        return []
    num_labels = probabilities.shape[1]
    log_probs = np.log(np.maximum(probabilities.astype(np.float64), 1e-12))
    penalties = np.where(allowed_transitions(num_labels), 0.0, -np.inf)
    scores = np.where(allowed_starts(num_labels), 0.0, -np.inf) + log_probs[0]
    pointers = []
    for word_log_probs in log_probs[1:]:
        candidates = scores[:, None] + penalties
        pointers.append(candidates.argmax(axis=0))
        scores = candidates.max(axis=0) + word_log_probs
    tags = [int(scores.argmax())]
    for word_pointers in reversed(pointers):
        tags.append(int(word_pointers[tags[-1]]))
    return tags[::-1]


def crafted(rows):
    """[words, labels] probabilities from {tag: probability} per word; the rest share the rest."""
    probabilities = np.zeros([len(rows), len(LABELS)], np.float32)
    for word, row in enumerate(rows):
        probabilities[word] = (1.0 - sum(row.values())) / (len(LABELS) - len(row))
        for tag, probability in row.items():
            probabilities[word, LABEL_TO_ID[tag]] = probability
    return probabilities


@pytest.mark.parametrize("names", [LABELS, THREE_TYPES])
def test_allowed_tables_follow_iob2(names):
    transitions = [[may_follow(a, b) for b in names] for a in names]
    np.testing.assert_array_equal(allowed_transitions(len(names)), transitions)
    np.testing.assert_array_equal(allowed_starts(len(names)), [is_iob2([b]) for b in names])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("words", range(6))
def test_agrees_with_brute_force(seed, words):
    probabilities = random_probabilities(np.random.default_rng(seed), words, len(THREE_TYPES))
    best = brute_force(probabilities, THREE_TYPES)
    decoded = decode_one(viterbi_decode, probabilities)
    assert is_iob2([THREE_TYPES[tag] for tag in decoded])
    assert score(probabilities, decoded) == pytest.approx(score(probabilities, best), abs=1e-4)
    assert viterbi_reference(probabilities) == best


def test_ragged_batch_matches_each_sentence_alone():
    rng = np.random.default_rng(7)
    sentences = [random_probabilities(rng, words, len(LABELS))
                 for words in (5, 0, 60, 1, 0, 13)]
    decoded = viterbi_decode(batch(sentences, len(LABELS)))
    assert decoded.dtype == tf.int64 and decoded.row_splits.dtype == tf.int64
    assert decoded.row_lengths().numpy().tolist() == [5, 0, 60, 1, 0, 13]
    for sentence, tags in zip(sentences, decoded.to_list()):
        assert tags == decode_one(viterbi_decode, sentence)
        assert score(sentence, tags) == pytest.approx(
            score(sentence, viterbi_reference(sentence)), abs=1e-4)


@pytest.mark.parametrize("name", sorted(DECODERS))
@pytest.mark.parametrize("lengths", [[], [0], [0, 0]])
def test_no_words(name, lengths):
    decoded = DECODERS[name](batch([np.zeros([0, len(LABELS)])] * len(lengths), len(LABELS)))
    assert decoded.to_list() == [[]] * len(lengths)
    assert decoded.dtype == tf.int64


def test_well_formed_argmax_is_kept():
    tags = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "I-LOC", "O", "B-MISC"]
    probabilities = random_probabilities(np.random.default_rng(3), len(tags), len(LABELS))
    probabilities[np.arange(len(tags)), [LABEL_TO_ID[tag] for tag in tags]] += 1.0
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    expected = [LABEL_TO_ID[tag] for tag in tags]
    assert decode_one(argmax_decode, probabilities) == expected
    assert decode_one(viterbi_decode, probabilities) == expected


@pytest.mark.parametrize("rows, ill_formed, repaired", [
    ([{"O": 0.9, "B-PER": 0.05}, {"I-PER": 0.6, "B-PER": 0.3, "O": 0.1}],
     ["O", "I-PER"], ["O", "B-PER"]),
    ([{"B-PER": 0.7, "B-LOC": 0.2}, {"I-LOC": 0.6, "I-PER": 0.3, "B-LOC": 0.1}],
     ["B-PER", "I-LOC"], ["B-PER", "I-PER"]),
    ([{"I-ORG": 0.6, "B-ORG": 0.3}, {"I-ORG": 0.9}], ["I-ORG", "I-ORG"], ["B-ORG", "I-ORG"]),
])
def test_ill_formed_argmax_is_repaired(rows, ill_formed, repaired):
    probabilities = crafted(rows)
    assert decode_one(argmax_decode, probabilities) == [LABEL_TO_ID[t] for t in ill_formed]
    assert decode_one(viterbi_decode, probabilities) == [LABEL_TO_ID[t] for t in repaired]


def test_hard_zeros_still_give_well_formed_tags():
    tags = ["I-PER", "I-LOC", "O", "I-MISC", "B-ORG", "I-PER"]
    probabilities = np.eye(len(LABELS), dtype=np.float32)[
        [LABEL_TO_ID[tag] for tag in tags]]
    decoded = decode_one(viterbi_decode, probabilities)
    assert len(decoded) == len(tags)
    assert is_iob2([LABELS[tag] for tag in decoded])


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_traces_with_unknown_shapes(name):
    traced = tf.function(DECODERS[name], input_signature=[SPEC])
    rng = np.random.default_rng(11)
    for lengths, num_labels in [([3, 0, 4], len(LABELS)), ([], len(LABELS)),
                                ([2, 5], len(THREE_TYPES))]:
        probabilities = batch([random_probabilities(rng, n, num_labels) for n in lengths],
                              num_labels)
        assert traced(probabilities).to_list() == DECODERS[name](probabilities).to_list()


def test_survives_saved_model(tmp_path):
    class Decoder(tf.Module):
        @tf.function(input_signature=[SPEC])
        def viterbi(self, probabilities):
            return viterbi_decode(probabilities)

    tf.saved_model.save(Decoder(), str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    rng = np.random.default_rng(5)
    probabilities = batch([random_probabilities(rng, n, len(LABELS)) for n in (4, 0, 7)],
                          len(LABELS))
    assert loaded.viterbi(probabilities).to_list() == viterbi_decode(probabilities).to_list()
