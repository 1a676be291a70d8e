"""CoNLL-style pre-tokenization of served text (modules/transform/pretokenization.py)
and its inverse used by benchmarks (benchmarks/detokenize.py)."""

from typing import List, Sequence, Tuple

import pytest
import tensorflow as tf

from benchmarks.detokenize import detokenize
from contracts.conll_format import decode_lines, read_sentences
from modules.transform.pretokenization import split_words
from tests.graph_ops import SERVING_SAFE_OPS, non_core_ops
from tests.conftest import SHARED_CONLL_DIR

_split = tf.function(split_words, input_signature=[tf.TensorSpec([None], tf.string)])


def pretokenize(sentences: Sequence[str]) -> List[List[Tuple[str, int, int]]]:
    """(word, byte start, byte end) per word, checking each offset pair against its word."""
    words, starts, ends = _split(tf.constant(list(sentences), tf.string))
    result = []
    for sentence, row, row_starts, row_ends in zip(sentences, words.to_list(), starts.to_list(),
                                                   ends.to_list()):
        encoded = sentence.encode("utf-8")
        for word, start, end in zip(row, row_starts, row_ends):
            assert encoded[start:end] == word, (sentence, word, start, end)
        result.append([(word.decode("utf-8"), start, end)
                       for word, start, end in zip(row, row_starts, row_ends)])
    return result


def words_of(sentence: str) -> List[str]:
    return [word for word, _, _ in pretokenize([sentence])[0]]


REQUIRED = [
    ("Merkel visited Paris.",
     [("Merkel", 0, 6), ("visited", 7, 14), ("Paris", 15, 20), (".", 20, 21)]),
    ("(Reuters) Berlin, Rome and the U.S.",
     [("(", 0, 1), ("Reuters", 1, 8), (")", 8, 9), ("Berlin", 10, 16), (",", 16, 17),
      ("Rome", 18, 22), ("and", 23, 26), ("the", 27, 30), ("U.S.", 31, 35)]),
    ('He said "Japan won 2-1" today!',
     [("He", 0, 2), ("said", 3, 7), ('"', 8, 9), ("Japan", 9, 14), ("won", 15, 18),
      ("2-1", 19, 22), ('"', 22, 23), ("today", 24, 29), ("!", 29, 30)]),
    ("O'Neill's e-mail: x@y.com; ok?",
     [("O'Neill", 0, 7), ("'s", 7, 9), ("e-mail", 10, 16), (":", 16, 17), ("x@y.com", 18, 25),
      (";", 25, 26), ("ok", 27, 29), ("?", 29, 30)]),
    # "ü" and "’" take 2 and 3 bytes.
    ("Zürich’s FC  won.",
     [("Zürich", 0, 7), ("’s", 7, 11), ("FC", 12, 14), ("won", 16, 19), (".", 19, 20)]),
]


@pytest.mark.parametrize("sentence,expected", REQUIRED)
def test_required_examples_words_and_byte_offsets(sentence, expected):
    assert pretokenize([sentence]) == [expected]


def test_required_examples_in_one_batch():
    sentences = [sentence for sentence, _ in REQUIRED]
    assert pretokenize(sentences) == [expected for _, expected in REQUIRED]


def test_empty_inputs():
    assert pretokenize(["", "   ", "\t\n", "Hi."]) == [[], [], [], [("Hi", 0, 2), (".", 2, 3)]]
    assert pretokenize([]) == []


@pytest.mark.parametrize("sentence,expected", [
    # Abbreviations and initials keep their periods, also at the sentence end.
    ("The U.S. and U.N. met at 9 a.m.", "The U.S. and U.N. met at 9 a.m."),
    ("Talks with F. W. de Klerk ended.", "Talks with F. W. de Klerk ended ."),
    ("Shares of Acme Corp. rose 5 pct vs. 3 pct.", "Shares of Acme Corp. rose 5 pct vs. 3 pct ."),
    ("He works for Acme Inc.", "He works for Acme Inc ."),
    ("They met (in the U.S.).", "They met ( in the U.S. ) ."),
    ("He met F.", "He met F."),
    # Numbers, scores, addresses keep inner punctuation; a period after them ends the sentence.
    ("It rose 1.5 pct to 1,000.", "It rose 1.5 pct to 1,000 ."),
    ("Scores: 6-3 7-6 (8-6).", "Scores : 6-3 7-6 ( 8-6 ) ."),
    ("Write to x@y.com or see www.reuters.com.", "Write to x@y.com or see www.reuters.com ."),
    ("It costs $ 4.50, or C$5.", "It costs $ 4.50 , or C$ 5 ."),
    # Money: the currency symbol comes off the amount, only at the start of a word.
    ("(A$1.2bn) vs NZ$0.5 and S$6.05", "( A$ 1.2bn ) vs NZ$ 0.5 and S$ 6.05"),
    ("Up $.50 to +$0.50, ₹500 or R$3.", "Up $ .50 to +$0.50 , ₹ 500 or R$ 3 ."),
    ("US$ million, $ and $s; MP3, F16, 4$", "US$ million , $ and $s ; MP3 , F16 , 4$"),
    ("The 1996/97 season starts at 10:30; be there!",
     "The 1996/97 season starts at 10:30 ; be there !"),
    # Quotes, brackets and clitics.
    ('"We won," he said.', '" We won , " he said .'),
    ('He said: "It is over."', 'He said : " It is over . "'),
    ("The players' union didn't say.", "The players ' union did n't say ."),
    ("We're sure it's O'Brien's and I'd say they'll win, I'm told.",
     "We 're sure it 's O'Brien 's and I 'd say they 'll win , I 'm told ."),
    ("THE U.S.'S ROLE", "THE U.S. 'S ROLE"),
    ("[Note] {a} «b» “c” ‘d’", "[ Note ] { a } « b » “ c ” ‘ d ’"),
    ("'Independence Day'", "' Independence Day '"),
    ("Results in '96 (\"good\").", "Results in ' 96 ( \" good \" ) ."),
    ("Wait... what?!", "Wait ... what ? !"),
    ("So.... ok..", "So .... ok .."),
    ("d'Alema, Guivarc'h and Côte d'Ivoire", "d'Alema , Guivarc'h and Côte d'Ivoire"),
])
def test_conll_rules(sentence, expected):
    assert words_of(sentence) == expected.split(" ")


@pytest.mark.parametrize("sentence,expected", [
    ("It cost $57,600.",
     [("It", 0, 2), ("cost", 3, 7), ("$", 8, 9), ("57,600", 9, 15), (".", 15, 16)]),
    ("US$5, C$1.2 or HK$3",
     [("US$", 0, 3), ("5", 3, 4), (",", 4, 5), ("C$", 6, 8), ("1.2", 8, 11), ("or", 12, 14),
      ("HK$", 15, 18), ("3", 18, 19)]),
    # "€" takes 3 bytes, "£" and "¥" 2.
    ("€50 (£10) ¥100.",
     [("€", 0, 3), ("50", 3, 5), ("(", 6, 7), ("£", 7, 9), ("10", 9, 11), (")", 11, 12),
      ("¥", 13, 15), ("100", 15, 18), (".", 18, 19)]),
])
def test_currency_symbol_comes_off_the_amount_with_byte_offsets(sentence, expected):
    assert pretokenize([sentence]) == [expected]


@pytest.mark.parametrize("sentence,expected", [
    ("Crème brûlée in Zürich.", ["Crème", "brûlée", "in", "Zürich", "."]),
    ("東京 (Tokyo) は晴れ。", ["東京", "(", "Tokyo", ")", "は晴れ。"]),
    ("Great 👍🏽, see 👨‍👩‍👧!", ["Great", "👍🏽", ",", "see", "👨‍👩‍👧", "!"]),
    # Combining acute accents (NFD) stay on their letters.
    ("Cafe\u0301 Pe\u0301rez.", ["Cafe\u0301", "Pe\u0301rez", "."]),
    ("«Ça va», dit-il.", ["«", "Ça", "va", "»", ",", "dit-il", "."]),
])
def test_unicode_text(sentence, expected):
    assert words_of(sentence) == expected


@pytest.mark.parametrize("sentence", [
    "  Merkel\tvisited\n\nParis. ",
    "\u00a0Merkel\u00a0visited\u2009Paris.\u3000",
    "Merkel\u2028visited\u000bParis.\u0085\r\n",
])
def test_any_unicode_white_space_separates(sentence):
    assert words_of(sentence) == ["Merkel", "visited", "Paris", "."]


@pytest.mark.parametrize("tokens", [
    "EU rejects German call to boycott British lamb .",
    "( Reuters ) \" I 'm sure we 're right , \" O'Neill 's aide said of the U.S. plan .",
    "Farmers ' Union chairman said : ' No ! ' ...",
    "Results : 1. Japan 6-3 7-6 ( 8-6 ) -- 3.50 , 1,000 ; $ 12 ( a.m. ) ?",
    "It cost $ 57,600 , US$ 5 , C$ 1.2 , HK$ 3 , € 50 , £ 10 , ¥ 100 or +$0.50 .",
])
def test_already_tokenized_text_comes_back_unchanged(tokens):
    assert words_of(tokens) == tokens.split(" ")


def _gold_sentences(split: str) -> List[Tuple[str, ...]]:
    path = SHARED_CONLL_DIR / f"{split}.txt"
    if not path.exists():
        pytest.skip(f"{path} is missing; set CONLL_DATA_DIR")
    lines = decode_lines(path.read_bytes(), split)
    return [sentence.tokens for sentence in read_sentences(lines, split)]


def _failures(gold: List[Tuple[str, ...]], texts: List[str]):
    predicted = [[word for word, _, _ in words] for words in pretokenize(texts)]
    return [(text, words, list(tokens)) for text, words, tokens in zip(texts, predicted, gold)
            if words != list(tokens)]


def test_round_trip_on_conll_test_split():
    """Gold sentences written as ordinary text must split back into the gold tokens."""
    gold = _gold_sentences("test")
    failures = _failures(gold, [detokenize(tokens)[0] for tokens in gold])
    rate = 1 - len(failures) / len(gold)
    print(f"round trip on test.txt: {rate:.4f} ({len(failures)} of {len(gold)} sentences differ)")
    assert rate >= 0.98, "\n".join(f"{text!r}\n  got  {words}\n  gold {tokens}"
                                   for text, words, tokens in failures[:10])


def test_tokenized_conll_test_split_comes_back_unchanged():
    gold = _gold_sentences("test")
    failures = _failures(gold, [" ".join(tokens) for tokens in gold])
    assert len(failures) <= 3, failures[:10]


def test_detokenize_writes_text_as_in_the_wild():
    tokens = ['"', "We", "do", "n't", "know", ",", '"', "O'Neill", "'s", "aide", "(", "U.S.",
              ")", "said", ":", '"', "Paris", "'", "lead", "!", '"']
    text, spans = detokenize(tokens)
    assert text == "\"We don't know,\" O'Neill's aide (U.S.) said: \"Paris' lead!\""
    assert [text[start:end] for start, end in spans] == tokens


def test_detokenize_closes_a_quote_that_ends_the_sentence():
    assert detokenize(["It", "is", "over", ".", '"'])[0] == 'It is over."'
    assert detokenize([]) == ("", [])


class _Splitter(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, sentences):
        words, starts, ends = split_words(sentences)
        return {"words": words.to_tensor(""), "starts": starts.to_tensor(-1),
                "ends": ends.to_tensor(-1)}


def test_saved_graph_uses_only_serving_safe_ops(tmp_path):
    directory = str(tmp_path / "splitter")
    tf.saved_model.save(_Splitter(), directory)
    assert non_core_ops(directory) <= SERVING_SAFE_OPS
    loaded = tf.saved_model.load(directory)
    outputs = loaded(tf.constant(["Merkel visited Paris.", ""]))
    assert outputs["words"].numpy().tolist() == [[b"Merkel", b"visited", b"Paris", b"."],
                                                 [b"", b"", b"", b""]]
    assert outputs["ends"].numpy().tolist() == [[6, 14, 20, 21], [-1, -1, -1, -1]]
