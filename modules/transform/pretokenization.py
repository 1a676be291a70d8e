"""Splits ordinary text into CoNLL-2003 style words, in the TF graph.

The model was trained on CoNLL tokens, where punctuation stands alone
("Paris ."), but served text is written the usual way ("Paris."). This
module reproduces the CoNLL-2003 tokenization with core TF string ops plus
``RegexSplitWithOffsets`` (safe for TF Serving; tests/graph_ops.py checks the graph):

  1. split on Unicode white space, keeping byte offsets;
  2. rewrite each word, inserting one space wherever CoNLL splits it
     (RE2 has no lookaround, so the context goes into capture groups);
  3. split the rewritten words on those spaces and map the offsets back:
     the i-th piece of a word has i inserted bytes before it.

The rules mirror the CoNLL-2003 files: brackets, quotes and , ; : ! ? come
off word edges one character at a time, a run of dots ("...") stays one
token, clitics ('s 're n't ...) come off the word end, and a period is split
off only at the end of the sentence (the only place CoNLL has a lone "."),
unless the word is an initial or abbreviation written with letters and dots
("F.", "U.S.", "a.m."). A currency symbol at the start of a word comes off
the amount it is written against, as CoNLL writes money: "$57,600" and
"US$5" become "$ 57,600" and "US$ 5". The symbol is a currency sign
(Unicode Sc: $ € £ ¥ ...) or a dollar with a capital-letter prefix (CoNLL
has US$ C$ A$ HK$ NZ$ S$ T$ Z$); the amount starts with a digit or ".5".
Inner punctuation stays: 2-1, O'Neill, 1,000, x@y.com, 1.5, +$0.50. Text
that is already CoNLL-tokenized comes back unchanged, except for odd
tokens such as a sentence-final "7.".
"""

from typing import Callable, Tuple

import tensorflow as tf
import tensorflow_text as text

# Unicode White_Space: \s lacks \v and U+0085, \p{Z} adds the other spaces.
_WHITE_SPACE = r"[\s\x{B}\x{85}\p{Z}]+"
_QUOTES = "\"'“”‘’«»"
_LEADING = rf"[(\[{{{_QUOTES}]"
_TRAILING = rf"[)\]}},;:!?{_QUOTES}]"
_CLITIC = r"(?i:['’](?:s|m|re|ve|ll|d)|n['’]t)"
# Each rewrite inserts a single space between two non-space characters, so
# inserted spaces never touch each other or a word's edge.
_PEEL_LEADING = (rf"^((?:{_LEADING} )*)({_LEADING})([^ ])", r"\1\2 \3")
_PEEL_TRAILING = (rf"([^ ])({_TRAILING})( |$)", r"\1 \2\3")
_PEEL_DOTS = (r"([^ .])(\.{2,})( |$)", r"\1 \2\3")
# The sentence's period: only peeled closing characters may follow it.
_PEEL_FINAL_PERIOD = (rf"([^ .])\.((?: {_TRAILING})*)$", r"\1 .\2")
_SPLIT_CLITIC = (rf"([^ ])({_CLITIC})( |$)", r"\1 \2\3")
# Only at the start of a word or of its first piece after brackets ("($5)"),
# so "+$0.50" stays one token as in CoNLL.
_SPLIT_CURRENCY = (r"(^| )([A-Z]{1,3}\$|\p{Sc})(\.?\d)", r"\1\2 \3")
# Words whose final period stays: letters and dots, maybe bracketed or quoted.
# (CoNLL's few sentence-final ones read "U.S ."; serving keeps "U.S." whole.)
_ABBREVIATION = rf"{_LEADING}*(?:\pL\.)+{_TRAILING}*"


def _until_stable(rewrite_once: Callable[[tf.Tensor], tf.Tensor], words: tf.Tensor) -> tf.Tensor:
    """Repeats a rewrite that peels one character per word until no word changes."""

    def step(current, _):
        rewritten = rewrite_once(current)
        return rewritten, tf.reduce_any(rewritten != current)

    stable, _ = tf.while_loop(lambda _, changed: changed, step, (words, tf.constant(True)))
    return stable


def _mark_splits(words: tf.RaggedTensor) -> tf.Tensor:
    """Each white-space word with a space inserted wherever CoNLL splits it."""
    words = words.with_row_splits_dtype(tf.int64)
    flat = words.flat_values
    is_last = tf.range(tf.size(flat, out_type=tf.int64)) == tf.gather(
        words.row_limits(), words.value_rowids()) - 1
    final_period = is_last & ~tf.strings.regex_full_match(flat, _ABBREVIATION)

    def peel_trailing(marked):
        marked = tf.strings.regex_replace(marked, *_PEEL_TRAILING)
        marked = tf.strings.regex_replace(marked, *_PEEL_DOTS)
        return tf.where(final_period, tf.strings.regex_replace(marked, *_PEEL_FINAL_PERIOD), marked)

    # A lone clitic ("'s" in tokenized text) is not a quote before a word.
    marked = tf.where(tf.strings.regex_full_match(flat, _CLITIC), flat,
                      _until_stable(lambda marked: tf.strings.regex_replace(marked, *_PEEL_LEADING),
                                    flat))
    marked = _until_stable(peel_trailing, marked)
    marked = tf.strings.regex_replace(marked, *_SPLIT_CLITIC)
    return tf.strings.regex_replace(marked, *_SPLIT_CURRENCY)


def split_words(sentences: tf.Tensor) -> Tuple[tf.RaggedTensor, tf.RaggedTensor, tf.RaggedTensor]:
    """CoNLL words of a batch of UTF-8 sentences, with byte offsets into each sentence.

    Returns ragged [batch, words] tensors ``words``, ``byte_starts`` and
    ``byte_ends`` (int64) with ``sentence[start:end] == word`` in bytes.
    """
    words, word_starts, _ = text.regex_split_with_offsets(sentences, _WHITE_SPACE, "")
    pieces, piece_starts, piece_ends = text.regex_split_with_offsets(
        _mark_splits(words), " ", "")
    inserted_before = tf.ragged.range(pieces.with_row_splits_dtype(tf.int64).row_lengths())
    shift = tf.expand_dims(word_starts.flat_values, 1) - inserted_before
    byte_starts = piece_starts + shift
    byte_ends = piece_ends + shift

    def per_sentence(per_word: tf.RaggedTensor) -> tf.RaggedTensor:
        return words.with_flat_values(per_word).merge_dims(1, 2)

    return per_sentence(pieces), per_sentence(byte_starts), per_sentence(byte_ends)
