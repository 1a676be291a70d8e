"""In-graph WordPiece and label alignment against BertTokenizerFast."""

import pytest
import tensorflow as tf
from transformers import BertTokenizerFast

from contracts.conll_format import decode_lines, read_sentences
from modules.transform.tokenization import (
    CASINGS, IGNORED_LABEL, WordPieceTokenizer, word_casings)
from modules.transform.windows import split_windows
from contracts.checkpoint import resolve_checkpoint
from tests.conftest import build_cased_vocab


def load_sentences(path):
    return list(read_sentences(decode_lines(path.read_bytes(), str(path)), str(path)))


def hf_reference(hf_tokenizer, sentences):
    """input_ids and the first-sub-token label mask from word_ids()."""
    encoded = hf_tokenizer([list(s) for s in sentences], is_split_into_words=True)
    masks = []
    for index in range(len(sentences)):
        previous, mask = None, []
        for word_id in encoded.word_ids(index):
            mask.append(word_id is not None and word_id != previous)
            previous = word_id
        masks.append(mask)
    return encoded["input_ids"], masks


def assert_parity(tokenizer, hf_tokenizer, sentences):
    tags = [[1] * len(words) for words in sentences]
    ours = tokenizer.encode(tf.ragged.constant(sentences), tf.ragged.constant(tags, tf.int64))
    hf_ids, hf_first = hf_reference(hf_tokenizer, sentences)
    our_ids = ours["input_ids"].to_list()
    our_first = [[label != IGNORED_LABEL for label in row] for row in ours["labels"].to_list()]
    mismatches = [i for i in range(len(sentences))
                  if our_ids[i] != hf_ids[i] or our_first[i] != hf_first[i]]
    assert not mismatches, [(sentences[i], hf_ids[i], our_ids[i]) for i in mismatches[:3]]


@pytest.fixture(scope="module")
def valid_sentences(shared_conll_dir):
    return [list(s.tokens) for s in load_sentences(shared_conll_dir / "valid.txt")]


def test_parity_uncased_minilm_on_all_of_valid(minilm_dir, valid_sentences):
    checkpoint = resolve_checkpoint(str(minilm_dir))
    assert checkpoint.lower_case and checkpoint.strip_accents
    tokenizer = WordPieceTokenizer(checkpoint.vocab_file, True, True)
    hf = BertTokenizerFast(checkpoint.vocab_file, do_lower_case=True)
    assert_parity(tokenizer, hf, valid_sentences)


def test_parity_cased_vocab_on_all_of_valid(tmp_path, shared_conll_dir, valid_sentences):
    train_words = [w for s in load_sentences(shared_conll_dir / "train.txt") for w in s.tokens]
    vocab = build_cased_vocab(tmp_path / "vocab.txt", train_words)
    tokenizer = WordPieceTokenizer(str(vocab), lower_case=False, strip_accents=False)
    hf = BertTokenizerFast(str(vocab), do_lower_case=False)
    pieces = hf(valid_sentences[:50], is_split_into_words=True)["input_ids"]
    assert sum(len(row) for row in pieces) > sum(len(s) for s in valid_sentences[:50]) + 100
    assert_parity(tokenizer, hf, valid_sentences)


EDGE_CASES = [
    ["Zürich", "İstanbul", "ÉCOLE", "naïve", "résumé"],     # accents and case
    ["U.S.", "...", "--", "(", ")", "'s", "&", "¿"],          # punctuation-only and mixed
    ["qwxzvvk", "Schwarzenegger", "😀"],                       # unknown words and characters
    ["東京都", "x"],                                           # CJK characters split apart
    ["a" * 120, "b"],                                          # over 100 characters: [UNK]
    ["a\u200bb", "c\u00a0d", "ﬁne", "²"],                     # format chars, NBSP, compatibility forms
]


@pytest.mark.parametrize("lower_case", [True, False])
@pytest.mark.parametrize("words", EDGE_CASES)
def test_edge_cases_match_hf(minilm_dir, words, lower_case):
    vocab = str(minilm_dir / "vocab.txt")
    assert_parity(WordPieceTokenizer(vocab, lower_case, lower_case),
                  BertTokenizerFast(vocab, do_lower_case=lower_case), [words])


def test_unknown_word_becomes_unk(minilm_dir):
    tokenizer = WordPieceTokenizer(str(minilm_dir / "vocab.txt"), True, True)
    ids = tokenizer.encode(tf.ragged.constant([["😀"]]))["input_ids"].to_list()[0]
    assert ids == [tokenizer.special_ids.cls, tokenizer.special_ids.unk, tokenizer.special_ids.sep]


def test_case_and_accents_follow_the_checkpoint(minilm_dir):
    vocab = str(minilm_dir / "vocab.txt")
    uncased = WordPieceTokenizer(vocab, lower_case=True, strip_accents=True)
    first = uncased.encode(tf.ragged.constant([["ZÜRICH"], ["zurich"]]))["input_ids"].to_list()
    assert first[0] == first[1]
    cased = WordPieceTokenizer(vocab, lower_case=False, strip_accents=False)
    second = cased.encode(tf.ragged.constant([["ZÜRICH"], ["zurich"]]))["input_ids"].to_list()
    assert second[0] != second[1]


def test_word_without_pieces_keeps_a_position(minilm_dir):
    """Empty strings (and words of only control characters) get one [UNK];
    BertTokenizerFast would drop them and lose the word's label."""
    tokenizer = WordPieceTokenizer(str(minilm_dir / "vocab.txt"), True, True)
    encoded = tokenizer.encode(tf.ragged.constant([["EU", "", "\u200b", "says"]]),
                               tf.ragged.constant([[3, 0, 0, 0]], tf.int64))
    unk = tokenizer.special_ids.unk
    assert encoded["input_ids"].to_list()[0][2:4] == [unk, unk]
    assert encoded["first_pieces"].to_list() == [[1, 2, 3, 4]]
    assert encoded["labels"].to_list() == [[IGNORED_LABEL, 3, 0, 0, 0, IGNORED_LABEL]]


def test_labels_sit_on_first_pieces_only(minilm_dir):
    tokenizer = WordPieceTokenizer(str(minilm_dir / "vocab.txt"), True, True)
    encoded = tokenizer.encode(tf.ragged.constant([["Blackburn", "rejects", "U.S."]]),
                               tf.ragged.constant([[1, 0, 5]], tf.int64))
    labels = encoded["labels"].to_list()[0]
    starts = encoded["first_pieces"].to_list()[0]
    assert [labels[i] for i in starts] == [1, 0, 5]
    assert all(label == IGNORED_LABEL for i, label in enumerate(labels) if i not in starts)
    assert len(labels) == len(encoded["input_ids"].to_list()[0])


@pytest.mark.parametrize("words, casing", [
    (["Paris", "McDonald", "I", "Hewlett-Packard", "O'Neill", "Zürich", "Øresund"], "title"),
    (["EU", "U.S.", "ZÜRICH", "NEW-YORK", "AC/DC"], "upper"),
    (["rejects", "a", "e-mail", "zürich", "x@y.com"], "lower"),
    (["iPhone", "eBay", "de-Gaulle"], "mixed"),
    (["1996", "-", ",", "2-1", "", "北京", "😀", "\u200b"], "caseless"),
])
def test_word_casings(words, casing):
    ids = word_casings(tf.constant(words)).numpy().tolist()
    assert [CASINGS[i] for i in ids] == [casing] * len(words)


def test_every_piece_carries_its_words_casing(minilm_dir):
    """The uncased vocabulary gives "US" and "us" the same pieces; only the
    casing ids, one per piece and 0 on [CLS]/[SEP], tell them apart."""
    tokenizer = WordPieceTokenizer(str(minilm_dir / "vocab.txt"), True, True)
    encoded = tokenizer.encode(tf.ragged.constant([["US", "Kournikova", "us"], ["unbelievably"]]))
    ids, casing = encoded["input_ids"].to_list(), encoded["casing"].to_list()
    assert ids[0][1] == ids[0][-2]
    pieces_of_name = len(ids[0]) - 4
    assert pieces_of_name > 1
    assert [CASINGS[i] for i in casing[0]] == (
        ["special", "upper"] + ["title"] * pieces_of_name + ["lower", "special"])
    assert [CASINGS[i] for i in casing[1]] == ["special"] + ["lower"] * (len(ids[1]) - 2) + [
        "special"]


def test_windows_cut_casing_with_the_pieces(minilm_dir):
    tokenizer = WordPieceTokenizer(str(minilm_dir / "vocab.txt"), True, True)
    encoded = tokenizer.encode(tf.ragged.constant([["EU", "rejects", "German", "call"] * 5]))
    windows = split_windows(encoded["input_ids"], encoded["first_pieces"], 6,
                            casing=encoded["casing"])
    assert windows.casing.row_lengths().numpy().tolist() == \
        windows.input_ids.row_lengths().numpy().tolist()
    bodies = [row[1:-1] for row in windows.casing.to_list()]
    assert [casing for body in bodies for casing in body] == encoded["casing"].to_list()[0][1:-1]
    assert all(row[0] == row[-1] == 0 for row in windows.casing.to_list())


def test_sentence_of_651_words_keeps_every_word(minilm_dir):
    tokenizer = WordPieceTokenizer(str(minilm_dir / "vocab.txt"), True, True)
    words = [["Peter", "Blackburn", "visited", "Zürich", "unbelievably", "often", "."] * 93,
             ["Short", "one"]]
    labels = [[(i % 9) for i in range(len(s))] for s in words]
    encoded = tokenizer.encode(tf.ragged.constant(words), tf.ragged.constant(labels, tf.int64))
    assert encoded["input_ids"].row_lengths().numpy()[0] > 512
    windows = split_windows(encoded["input_ids"], encoded["first_pieces"], 512, encoded["labels"])
    assert windows.input_ids.row_lengths().numpy().max() <= 512
    sentence_of_window = windows.sentence.numpy().tolist()
    assert sentence_of_window[-1] == 1 and set(sentence_of_window[:-1]) == {0}
    assert len(sentence_of_window) - 1 >= 2
    body_lengths = windows.input_ids.row_lengths().numpy() - 2
    assert body_lengths[:-1].sum() == encoded["input_ids"].row_lengths().numpy()[0] - 2
    cls, sep = tokenizer.special_ids.cls, tokenizer.special_ids.sep
    for row in windows.input_ids.to_list():
        assert row[0] == cls and row[-1] == sep
    # Every word's first piece is in exactly one window, with its own label.
    word_labels = tf.gather(windows.labels.flat_values, windows.word_piece_index.flat_values)
    assert word_labels.numpy().tolist() == [label for row in labels for label in row]
    assert windows.word_piece_index.row_lengths().numpy().tolist() == [651, 2]
    first_piece_ids = tf.gather(windows.input_ids.flat_values, windows.word_piece_index.flat_values)
    whole = tf.gather(encoded["input_ids"].flat_values,
                      encoded["first_pieces"].flat_values
                      + tf.repeat(encoded["input_ids"].row_starts(),
                                  encoded["first_pieces"].row_lengths()))
    assert first_piece_ids.numpy().tolist() == whole.numpy().tolist()
    # Windows are cut between words: each one starts on a word's first piece.
    assert all(row[1] != IGNORED_LABEL for row in windows.labels.to_list())


def test_smallest_window_still_keeps_every_word(minilm_dir):
    """max_length 3 ([CLS] piece [SEP]): one piece per window, every word's first
    piece in its own window (a word of several pieces is cut inside)."""
    tokenizer = WordPieceTokenizer(str(minilm_dir / "vocab.txt"), True, True)
    encoded = tokenizer.encode(tf.ragged.constant([["Blackburn", "says", "hi"]]),
                               tf.ragged.constant([[1, 0, 0]], tf.int64))
    pieces = int(encoded["input_ids"].row_lengths()[0]) - 2
    windows = split_windows(encoded["input_ids"], encoded["first_pieces"], 3, encoded["labels"])
    assert windows.input_ids.row_lengths().numpy().tolist() == [3] * pieces
    word_labels = tf.gather(windows.labels.flat_values, windows.word_piece_index.flat_values)
    assert word_labels.numpy().tolist() == [1, 0, 0]


@pytest.mark.parametrize("max_length", [2, 1, 0, -5])
def test_window_without_room_for_a_piece_is_refused(minilm_dir, max_length):
    """A budget of no pieces would loop forever; it is refused up front."""
    tokenizer = WordPieceTokenizer(str(minilm_dir / "vocab.txt"), True, True)
    encoded = tokenizer.encode(tf.ragged.constant([["EU", "says"]]),
                               tf.ragged.constant([[3, 0]], tf.int64))
    with pytest.raises(ValueError, match=f"max_length must be at least 3.*not {max_length}"):
        split_windows(encoded["input_ids"], encoded["first_pieces"], max_length)
