"""Document context: joining a document's sentences and cutting it at sentence starts."""

import random

import pytest
import tensorflow as tf

from modules.transform.documents import document_rows, join_sentences, starts_within
from modules.transform.tokenization import IGNORED_LABEL
from modules.transform.windows import split_windows

CLS, SEP = 101, 102


def encoded(sentences):
    """Encoded sentences as tokenization.encode gives them, from pieces per word
    (a word's piece ids; its label is the first id, a stand-in that is easy to trace)."""
    ids, firsts, labels = [], [], []
    for words in sentences:
        row, first, row_labels = [CLS], [], [IGNORED_LABEL]
        for pieces in words:
            first.append(len(row))
            row += pieces
            row_labels += [pieces[0]] + [IGNORED_LABEL] * (len(pieces) - 1)
        ids.append(row + [SEP])
        firsts.append(first)
        labels.append(row_labels + [IGNORED_LABEL])
    return tuple(tf.RaggedTensor.from_row_lengths(
        tf.constant([value for row in rows for value in row], tf.int64),
        tf.constant([len(row) for row in rows], tf.int64)) for rows in (ids, firsts, labels))


def test_document_rows_number_runs_of_equal_ids():
    ids = tf.constant(["a", "a", "b", "b", "b", "a"])
    assert document_rows(ids).numpy().tolist() == [0, 0, 1, 1, 1, 2]
    assert document_rows(tf.constant([], tf.string)).numpy().tolist() == []


def test_starts_within_restarts_at_every_row():
    starts = starts_within(tf.constant([3, 1, 2, 5, 4], tf.int64), tf.constant([0, 0, 0, 1, 1]))
    assert starts.numpy().tolist() == [0, 3, 4, 0, 5]


def test_sentences_of_a_document_become_one_sequence():
    ids, firsts, labels = encoded([[[1], [2, 3]], [[4]], [[5, 6, 7]], [[8]]])
    joined = join_sentences(ids, firsts, tf.constant([0, 0, 0, 1]), labels)
    assert joined.input_ids.to_list() == [[CLS, 1, 2, 3, 4, 5, 6, 7, SEP], [CLS, 8, SEP]]
    assert joined.first_pieces.to_list() == [[1, 2, 4, 5], [1]]
    assert joined.labels.to_list() == [
        [IGNORED_LABEL, 1, 2, IGNORED_LABEL, 4, 5, IGNORED_LABEL, IGNORED_LABEL, IGNORED_LABEL],
        [IGNORED_LABEL, 8, IGNORED_LABEL]]
    assert joined.sentence_starts.to_list() == [[1, 4, 5], [1]]


def test_windows_end_at_sentence_starts_when_one_fits():
    # Sentences of 2, 1 and 3 pieces; budget 4: [1 2 3] then [4 5 6], not [1 2 3 4] [5 6].
    ids, firsts, labels = encoded([[[1], [2]], [[3]], [[4], [5, 6]]])
    joined = join_sentences(ids, firsts, tf.constant([0, 0, 0]), labels)
    windows = split_windows(joined.input_ids, joined.first_pieces, 6, joined.labels,
                            joined.sentence_starts)
    assert windows.input_ids.to_list() == [[CLS, 1, 2, 3, SEP], [CLS, 4, 5, 6, SEP]]
    # A sentence longer than a window is still cut between its words.
    ids, firsts, labels = encoded([[[1], [2], [3], [4], [5]]])
    joined = join_sentences(ids, firsts, tf.constant([0]), labels)
    windows = split_windows(joined.input_ids, joined.first_pieces, 5, joined.labels,
                            joined.sentence_starts)
    assert windows.input_ids.to_list() == [[CLS, 1, 2, 3, SEP], [CLS, 4, 5, SEP]]


def test_empty_batches_and_empty_sentences_join():
    ids, firsts, labels = encoded([])
    joined = join_sentences(ids, firsts, tf.zeros([0], tf.int64), labels)
    assert joined.input_ids.to_list() == [] and joined.sentence_starts.to_list() == []
    ids, firsts, labels = encoded([[], [[1]], []])
    joined = join_sentences(ids, firsts, tf.constant([0, 0, 0]), labels)
    assert joined.input_ids.to_list() == [[CLS, 1, SEP]]
    assert joined.first_pieces.to_list() == [[1]]


def random_documents(rng):
    """Random documents, sentences (some empty) and words of 1-4 pieces, all ids distinct."""
    sentences, rows, next_id = [], [], 1000
    for document in range(rng.randint(1, 6)):
        for _ in range(rng.randint(1, 10)):
            words = []
            for _ in range(rng.randint(0, 15)):
                words.append(list(range(next_id, next_id + rng.randint(1, 4))))
                next_id += len(words[-1])
            sentences.append(words)
            rows.append(document)
    return sentences, rows


def windows_of(sentences, rows, max_length, overlap=False):
    ids, firsts, labels = encoded(sentences)
    joined = join_sentences(ids, firsts, tf.constant(rows), labels)
    return split_windows(joined.input_ids, joined.first_pieces, max_length,
                         None if overlap else joined.labels, joined.sentence_starts, overlap)


def first_pieces_read(windows):
    return tf.gather(windows.input_ids.flat_values,
                     windows.word_piece_index.flat_values).numpy().tolist()


@pytest.mark.parametrize("seed", range(5))
def test_every_word_keeps_its_label_in_exactly_one_window(seed):
    """A word's label is its first piece's id, so labels must come out in word order."""
    rng = random.Random(seed)
    sentences, rows = random_documents(rng)
    windows = windows_of(sentences, rows, rng.choice([6, 9, 16, 64]))
    first_ids = [words[0] for sentence in sentences for words in sentence]
    assert first_pieces_read(windows) == first_ids
    window_labels = [label for row in windows.labels.to_list() for label in row
                     if label != IGNORED_LABEL]
    assert window_labels == first_ids


def test_overlapping_windows_read_each_word_where_it_sits_most_centrally():
    # Six one-piece sentences, windows of 4 pieces: [1 2 3 4] [3 4 5 6].
    ids, firsts, labels = encoded([[[piece]] for piece in range(1, 7)])
    joined = join_sentences(ids, firsts, tf.constant([0] * 6), labels)
    windows = split_windows(joined.input_ids, joined.first_pieces, 6,
                            preferred_cuts=joined.sentence_starts, overlap=True)
    assert windows.input_ids.to_list() == [[CLS, 1, 2, 3, 4, SEP], [CLS, 3, 4, 5, 6, SEP]]
    # 3 is one piece from the first window's edge and at the second's; 4 the other way round.
    window_of_word = [index // 6 for index in windows.word_piece_index.flat_values.numpy()]
    assert window_of_word == [0, 0, 0, 1, 1, 1]


@pytest.mark.parametrize("seed", range(5))
def test_overlapping_windows_still_give_every_word_one_window_that_holds_it(seed):
    rng = random.Random(seed)
    sentences, rows = random_documents(rng)
    windows = windows_of(sentences, rows, rng.choice([6, 8, 20, 64]), overlap=True)
    assert first_pieces_read(windows) == [words[0] for sentence in sentences
                                          for words in sentence]
    assert all(len(row) > 2 for row in windows.input_ids.to_list())
