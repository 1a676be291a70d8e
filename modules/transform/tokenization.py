"""In-graph BERT WordPiece tokenization of pre-split words, with label alignment.

Reproduces ``BertTokenizerFast(vocab, do_lower_case=...)`` called with
``is_split_into_words=True`` using TensorFlow and tensorflow_text ops only, so
the same graph runs in Transform, in the Trainer and inside the served model.

Steps per word, in HF's order:
  1. clean: drop NUL, U+FFFD and control/format characters, map Unicode
     spaces to " " (BertNormalizer.clean_text);
  2. if the checkpoint strips accents (uncased ones do by default): NFD and
     drop non-spacing marks; then, if it is uncased, lower-case (the order
     BertNormalizer uses);
  3. split on whitespace, punctuation and CJK characters (BertPreTokenizer);
  4. WordPiece with the checkpoint's vocab; a piece over 100 characters
     becomes [UNK] (WordPiece's max_input_chars_per_word).
A word that leaves no piece (e.g. only control characters) gets one [UNK],
so that every word keeps a position and a prediction; HF would drop it.

Each piece also carries the casing of its word as written (``CASINGS``):
an uncased checkpoint lower-cases "US" and "us", "May" and "may" into the
same pieces, while in English news capitals are the strongest sign of a name.

TF Serving compatibility. The ops this module puts into a graph besides core
TF are ``NormalizeUTF8`` (accent-stripping checkpoints only), ``RegexSplitWithOffsets``
and ``WordpieceTokenizeWithOffsets``. All three have been in tensorflow_text
since 2.0-2.1 (2019), years before the TF Text 2.12 bundled with TF Serving's
2.16-era images, with unchanged signatures; newer ops such as the
round-robin trimmer or FastWordpieceTokenizer are deliberately not used.
Core TF string ops (RegexReplace, StringLower, UnicodeDecode, ...) ship
with TF Serving itself.
"""

from typing import Dict, NamedTuple, Optional

import tensorflow as tf
import tensorflow_text as text

from contracts import features

CLS, SEP, UNK, PAD = "[CLS]", "[SEP]", "[UNK]", "[PAD]"
IGNORED_LABEL = -100  # label of continuation pieces and specials; skipped by loss and metrics
MAX_CHARS_PER_WORD = 100
# A word's casing as written; the index is the casing id of its pieces, and 0
# that of [CLS], [SEP] and padding. "title": the first cased letter is a
# capital and not all are ("Paris", "McDonald", "I"); "upper": two or more
# capitals and no small letter ("EU", "U.S."); "mixed": a small letter first,
# a capital later ("iPhone"); "caseless": no cased letter ("1996", "-", "北京").
CASINGS = ("special", "caseless", "lower", "title", "upper", "mixed")

# Characters HF's clean_text removes: NUL, U+FFFD and Unicode "other" (C*)
# categories except tab, newline and carriage return, which count as spaces.
_CONTROL = r"[\x{0}-\x{8}\x{B}\x{C}\x{E}-\x{1F}\x{7F}-\x{9F}\x{FFFD}\p{Cf}\p{Co}\p{Cs}]"
_SPACE = r"[\t\n\r\p{Zs}]"
# BertPreTokenizer: ASCII punctuation, Unicode punctuation and CJK ideographs
# are tokens of their own; whitespace only separates.
_PUNCTUATION_OR_CJK = (
    r"[!-/]|[:-@]|[\[-`]|[{-~]|\p{P}|"
    r"[\x{4E00}-\x{9FFF}]|[\x{3400}-\x{4DBF}]|[\x{20000}-\x{2A6DF}]|[\x{2A700}-\x{2B73F}]|"
    r"[\x{2B740}-\x{2B81F}]|[\x{2B820}-\x{2CEAF}]|[\x{F900}-\x{FAFF}]|[\x{2F800}-\x{2FA1F}]")
_DELIMITERS = r"\s|" + _PUNCTUATION_OR_CJK


class SpecialIds(NamedTuple):
    cls: int
    sep: int
    unk: int
    pad: int


def read_special_ids(vocab_file: str) -> SpecialIds:
    with tf.io.gfile.GFile(vocab_file) as handle:
        index = {line.rstrip("\n"): number for number, line in enumerate(handle)}
    missing = [token for token in (CLS, SEP, UNK, PAD) if token not in index]
    if missing:
        raise ValueError(f"Vocabulary {vocab_file} lacks {', '.join(missing)}")
    return SpecialIds(index[CLS], index[SEP], index[UNK], index[PAD])


def normalize_words(words: tf.Tensor, lower_case: bool, strip_accents: bool) -> tf.Tensor:
    words = tf.strings.regex_replace(words, _CONTROL, "")
    words = tf.strings.regex_replace(words, _SPACE, " ")
    if strip_accents:
        words = text.normalize_utf8(words, "NFD")
        words = tf.strings.regex_replace(words, r"\p{Mn}", "")
    if lower_case:
        words = tf.strings.lower(words, encoding="utf-8")
    return words


def word_casings(words: tf.Tensor) -> tf.Tensor:
    """The casing id (index in CASINGS) of each word string."""
    def matches(pattern: str) -> tf.Tensor:
        return tf.strings.regex_full_match(words, "(?s)" + pattern)

    upper, lower = matches(r".*\p{Lu}.*"), matches(r".*\p{Ll}.*")
    capital_first = matches(r"[^\p{Lu}\p{Ll}]*\p{Lu}.*")
    all_capitals = ~lower & matches(r".*\p{Lu}.*\p{Lu}.*")

    def casing(name: str) -> tf.Tensor:
        return tf.constant(CASINGS.index(name), tf.int64)

    return tf.where(
        upper,
        tf.where(all_capitals, casing("upper"),
                 tf.where(capital_first, casing("title"), casing("mixed"))),
        tf.where(lower, casing("lower"), casing("caseless")))


class WordPieceTokenizer(tf.Module):
    """Words (ragged [batch, words]) to BERT inputs with [CLS]/[SEP] and aligned labels."""

    def __init__(self, vocab_file: str, lower_case: bool, strip_accents: bool):
        super().__init__()
        self.lower_case = lower_case
        self.strip_accents = strip_accents
        self.special_ids = read_special_ids(vocab_file)
        self._wordpiece = text.WordpieceTokenizer(
            vocab_file, token_out_type=tf.int64, unknown_token=UNK,
            max_bytes_per_word=4 * MAX_CHARS_PER_WORD)

    def word_pieces(self, words: tf.RaggedTensor) -> tf.RaggedTensor:
        """Piece ids per word: ragged [batch, words, pieces], at least one per word."""
        normalized = normalize_words(words, self.lower_case, self.strip_accents)
        basic = text.regex_split(normalized, _DELIMITERS, _PUNCTUATION_OR_CJK)
        too_long = tf.strings.length(basic.flat_values, unit="UTF8_CHAR") > MAX_CHARS_PER_WORD
        basic = basic.with_flat_values(tf.where(too_long, UNK, basic.flat_values))
        pieces = self._wordpiece.tokenize(basic).merge_dims(-2, -1)
        per_word = pieces.values  # [all words, pieces]
        empty = per_word.row_lengths() == 0
        unk_count = tf.reduce_sum(tf.cast(empty, tf.int32))
        unk_fill = tf.RaggedTensor.from_row_lengths(
            tf.fill([unk_count], tf.constant(self.special_ids.unk, tf.int64)),
            tf.cast(empty, per_word.row_splits.dtype))
        return pieces.with_values(tf.concat([per_word, unk_fill], axis=1))

    def encode(self, words: tf.RaggedTensor, label_ids: Optional[tf.RaggedTensor] = None
               ) -> Dict[str, tf.RaggedTensor]:
        """BERT inputs for ragged [batch, words] of word strings.

        Returns ragged [batch, ...] tensors: ``input_ids`` ([CLS] pieces [SEP]),
        ``casing`` (the casing id of each piece's word, 0 for the specials),
        ``first_pieces`` (position in input_ids of each word's first piece) and,
        when ``label_ids`` ([batch, words]) are given, ``labels``: the word's
        label on its first piece, IGNORED_LABEL on other pieces and specials.
        """
        pieces = self.word_pieces(words)
        word_lengths = pieces.values.row_lengths()
        first_piece = tf.ragged.range(word_lengths).flat_values == 0
        sentence_pieces = pieces.merge_dims(1, 2)
        position_in_sentence = tf.ragged.range(sentence_pieces.row_lengths()).flat_values + 1
        batch = tf.shape(sentence_pieces.row_lengths())[0]

        def with_specials(values: tf.RaggedTensor, first, last) -> tf.RaggedTensor:
            return tf.concat([tf.fill([batch, 1], tf.constant(first, tf.int64)), values,
                              tf.fill([batch, 1], tf.constant(last, tf.int64))], axis=1)

        encoded = {
            features.INPUT_IDS: with_specials(sentence_pieces, self.special_ids.cls,
                                              self.special_ids.sep),
            features.CASING: with_specials(sentence_pieces.with_flat_values(
                tf.repeat(word_casings(words.flat_values), word_lengths)), 0, 0),
            features.FIRST_PIECES: words.with_flat_values(
                tf.boolean_mask(position_in_sentence, first_piece)),
        }
        if label_ids is not None:
            # Labels are laid onto the words' grid rather than assumed to have
            # the same lengths: tf.Transform feeds placeholder tags when a
            # serving graph is called without them, and must not fail then.
            grid = tf.cast(label_ids, tf.int64).to_tensor(
                IGNORED_LABEL, shape=tf.cast(words.bounding_shape(), tf.int64))
            word_labels = tf.gather_nd(grid, tf.stack(
                [words.value_rowids(), tf.ragged.range(words.row_lengths()).flat_values], axis=1))
            piece_labels = tf.where(first_piece, tf.repeat(word_labels, word_lengths),
                                    tf.constant(IGNORED_LABEL, tf.int64))
            encoded[features.LABELS] = with_specials(sentence_pieces.with_flat_values(piece_labels),
                                              IGNORED_LABEL, IGNORED_LABEL)
        return encoded
