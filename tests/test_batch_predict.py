"""Offline batch prediction (serving/batch_*.py) and ``ner-pipeline predict --input``.

Parsing, formatting, model-directory, launcher and CLI-usage tests need no model. The
end-to-end tests run the Beam pipeline (DirectRunner) on the model the
quick-profile pipeline pushed (tests/conftest.py), or on the version directory
$NER_SERVING_TEST_MODEL names, as tests/test_serving.py does.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from pipeline import cli
from serving import batch_predict
from serving.batch_inputs import (SIGNATURE_OF, Unit, has_words, model_input, parse_conll,
                                  parse_json_line, parse_lines, parse_text_line)
from serving.batch_model import (BatchPredictError, resolve_model_dir, signature_inputs,
                                 version_with)
from serving.batch_outputs import format_result, format_unit
from serving.batch_predict import BatchJob, chunks_in_order, summarize, with_absolute_paths

# --- parsing ---------------------------------------------------------------------------------


def test_text_lines_are_sentences_and_empty_lines_have_no_words():
    assert parse_text_line(0, "EU rejects German call".encode(), 1000) == \
        Unit(0, 1, "EU rejects German call")
    assert model_input(Unit(0, 1, "EU rejects")) == "EU rejects"
    assert SIGNATURE_OF["text"] == SIGNATURE_OF["jsonl"] == "serving_default"
    assert parse_text_line(4, b"", 1000) == Unit(4, 5, "")
    assert not has_words(parse_text_line(4, b" \t ", 1000))
    assert has_words(parse_text_line(4, b"EU", 1000))


def test_text_lines_that_are_errors():
    assert parse_text_line(2, b"caf\xe9 au lait", 1000).error == \
        "not valid UTF-8 (invalid continuation byte at byte 3)"
    too_long = parse_text_line(0, b"a b c d", 3)
    assert (too_long.line, too_long.error) == (1, "4 words; the limit is 3 words per sentence")
    assert not has_words(too_long)


def test_parse_lines_numbers_lines_and_strips_line_ends():
    units = list(parse_lines([b"Japan beat Syria\r\n", b"\n", b"Peter"], "text", "in.txt", 1000))
    assert [(unit.index, unit.line, unit.text) for unit in units] == \
        [(0, 1, "Japan beat Syria"), (1, 2, ""), (2, 3, "Peter")]


@pytest.mark.parametrize("raw, error", [
    (b'{"text": "EU rejects', "invalid JSON: Unterminated string starting at column 10"),
    (b"", 'expected a JSON object with a "text" string, found an empty line'),
    (b'["EU"]', 'expected a JSON object with a "text" string, found list'),
    (b'{"sentence": "EU"}', 'missing "text"'),
    (b'{"text": 42}', '"text" is int, not a string'),
    (b'{"text": null}', '"text" is NoneType, not a string'),
    (b'{"text": "caf\xe9"}', "not valid UTF-8 (invalid continuation byte at byte 13)"),
    (b'{"text": "a b c d"}', "4 words; the limit is 3 words per sentence"),
])
def test_json_lines_that_are_errors(raw, error):
    assert parse_json_line(6, raw, 3) == Unit(6, 7, error=error)


def test_json_lines_take_their_text():
    assert parse_json_line(0, '{"text": "Zürich", "id": 7}'.encode(), 3) == Unit(0, 1, "Zürich")
    assert parse_json_line(0, b'{"text": ""}', 3) == Unit(0, 1, "")


CONLL = b"""-DOCSTART- -X- -X- O

EU NNP B-NP I-ORG
rejects VBZ B-VP O

Peter NNP B-NP B-PER
Blackburn NNP I-NP\tI-PER
-DOCSTART- -X- -X- O

Japan NNP B-NP B-LOC
wins VBZ B-VP\r
BRUSSELS NNP B-NP B-LOC"""


def test_conll_sentences_with_gold_tags_and_their_first_lines():
    units = list(parse_conll(CONLL.splitlines(keepends=True), "test.txt", 1000))
    assert [(unit.index, unit.line, unit.text, unit.gold_tags, unit.error is None)
            for unit in units] == [
        (0, 3, "EU rejects", ("B-ORG", "O"), True),  # IOB1 tags come back as IOB2
        (1, 6, "Peter Blackburn", ("B-PER", "I-PER"), True),
        (2, 10, "", None, False),
    ]
    assert units[0].words == ("EU", "rejects")
    assert model_input(units[0]) == ("EU", "rejects")  # the file's own words, for serve_words
    assert SIGNATURE_OF["conll"] == "serve_words"
    assert units[2].error == "test.txt:11: expected 4 columns (token pos chunk ner) like the " \
                             "file's first token line, found 3: 'wins VBZ B-VP'"


def test_a_bad_conll_sentence_does_not_stop_the_file():
    lines = b"EU B-ORG\nrejects X\n\nPeter B-PER\n\ncaf\xe9 O\n\nBlackburn a b c d\n\nA O\nB O\n"
    units = list(parse_conll(lines.splitlines(), "f.conll", 1))
    assert [unit.error for unit in units] == [
        "f.conll:2: NER tag 'X' is not O or <prefix>-<type> (prefixes B, I, E, S, L, U): "
        "'rejects X'",
        None,
        "f.conll:6: not valid UTF-8 (invalid continuation byte at byte 3): 'caf\ufffd O'",
        "f.conll:8: expected 2 (token NER), 3 (token POS NER) or 4 (token POS chunk NER) "
        "columns, found 5: 'Blackburn a b c d'",
        "f.conll:10: 2 words; the limit is 1 words per sentence",
    ]
    assert [unit.line for unit in units] == [1, 4, 6, 8, 10]


# --- formatting ------------------------------------------------------------------------------

def padded_outputs() -> dict:
    """One row of serving_default's outputs for "Peter Blackburn visited", padded to 4 words."""
    return {
        "word_count": np.int64(3), "words": np.array([b"Peter", b"Blackburn", b"visited", b""]),
        "tags": np.array([b"B-PER", b"I-PER", b"O", b""]),
        "scores": np.array([0.9848795, 0.5, 0.25, 0.0], np.float32),
        "word_starts": np.array([0, 6, 16, -1]), "word_ends": np.array([5, 15, 23, -1]),
        "entity_count": np.int64(1), "entity_types": np.array([b"PER", b""]),
        "entity_texts": np.array([b"Peter Blackburn", b""]),
        "entity_starts": np.array([0, -1]), "entity_ends": np.array([15, -1]),
        "entity_scores": np.array([0.7424398, 0.0], np.float32),
    }


def test_format_result_cuts_padding_like_predict_json():
    unit = Unit(3, 4, "Peter Blackburn visited", gold_tags=("B-PER", "I-PER", "O"))
    assert json.loads(format_result(unit, padded_outputs())) == {
        "line": 4, "text": "Peter Blackburn visited",
        "words": [{"text": "Peter", "tag": "B-PER", "score": 0.9848795, "start": 0, "end": 5},
                  {"text": "Blackburn", "tag": "I-PER", "score": 0.5, "start": 6, "end": 15},
                  {"text": "visited", "tag": "O", "score": 0.25, "start": 16, "end": 23}],
        "entities": [{"type": "PER", "text": "Peter Blackburn", "start": 0, "end": 15,
                      "score": 0.7424398}],
        "gold_tags": ["B-PER", "I-PER", "O"]}
    assert "gold_tags" not in json.loads(format_result(Unit(0, 1, "x"), padded_outputs()))


def test_format_unit_writes_errors_and_empty_lines():
    assert format_unit(Unit(0, 9, error="missing \"text\"")) == \
        '{"line": 9, "error": "missing \\"text\\""}'
    assert json.loads(format_unit(Unit(1, 2, " "))) == \
        {"line": 2, "text": " ", "words": [], "entities": []}


# --- model directory and command line --------------------------------------------------------

def test_resolve_model_dir_takes_the_newest_numbered_version(tmp_path):
    for version in ("9", "10", "latest"):
        (tmp_path / version).mkdir()
        (tmp_path / version / "saved_model.pb").write_bytes(b"")
    (tmp_path / "11").mkdir()  # no saved_model.pb: not a version
    assert resolve_model_dir(str(tmp_path)) == str(tmp_path / "10")
    assert resolve_model_dir(str(tmp_path / "9")) == str(tmp_path / "9")
    with pytest.raises(BatchPredictError, match="holds neither saved_model.pb"):
        resolve_model_dir(str(tmp_path / "11"))


def test_version_with_names_the_signature_a_model_lacks(tmp_path):
    from tensorflow.core.protobuf import saved_model_pb2
    saved_model = saved_model_pb2.SavedModel()
    saved_model.meta_graphs.add().signature_def["serving_default"].method_name = "predict"
    (tmp_path / "3").mkdir()
    (tmp_path / "3" / "saved_model.pb").write_bytes(saved_model.SerializeToString())
    assert version_with(str(tmp_path), "serving_default") == str(tmp_path / "3")
    with pytest.raises(BatchPredictError, match=r"3 has no serve_words signature "
                                                r"\(it has: serving_default\)"):
        version_with(str(tmp_path), "serve_words")


def test_signature_inputs_pad_word_lists_and_count_their_words():
    words = signature_inputs("serve_words", [("EU", "rejects", "German"), ("Japan",)])
    assert words["words"].numpy().tolist() == [[b"EU", b"rejects", b"German"],
                                                [b"Japan", b"", b""]]
    assert words["word_count"].numpy().tolist() == [3, 1]
    texts = signature_inputs("serving_default", ["EU rejects", "Japan"])
    assert list(texts) == ["sentences"]
    assert texts["sentences"].numpy().tolist() == [b"EU rejects", b"Japan"]


# --- launcher --------------------------------------------------------------------------------

def test_local_paths_become_absolute_and_remote_ones_stay(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    job = with_absolute_paths(BatchJob("models", "gs://bucket/in.txt", "out/o.jsonl"))
    assert (job.model_dir, job.input_path, job.output_path) == \
        (str(tmp_path / "models"), "gs://bucket/in.txt", str(tmp_path / "out" / "o.jsonl"))


def test_chunks_are_joined_in_index_order_and_a_missing_one_is_an_error():
    paths = [f"gs://b/o.jsonl.part-ab12cd34-{number:08d}.jsonl" for number in range(12)]
    assert chunks_in_order(paths[::-1]) == paths
    with pytest.raises(BatchPredictError, match=r"output chunks are missing: found only \[0, 2\]"):
        chunks_in_order([paths[2], paths[0]])


def test_summary_counts_and_a_line_per_unit_check():
    counts = {"units": 5, "sentences": 3, "empty": 1, "errors": 1}
    assert str(summarize(counts, 5, 2.0, "o.jsonl")) == \
        "5 lines: 3 sentences tagged, 1 empty, 1 errors; 2.0 s, 1.5 sentences/s"
    with pytest.raises(BatchPredictError, match="read 5 units but wrote 4 lines to o.jsonl"):
        summarize(counts, 4, 2.0, "o.jsonl")


@pytest.mark.parametrize("argv, message", [
    ([], "give sentences to tag over REST, or --input FILE"),
    (["EU", "--input", "in.txt"], "give either sentences (REST) or --input (offline), not both"),
    (["--input", "in.txt", "--output", "o.jsonl"], "--input needs --model-dir"),
    (["--input", "in.txt", "--output", "o", "--model-dir", "m", "--url", "http://h:1", "--json"],
     "--url, --json: only for sentences sent over REST"),
    (["--input", "in.txt", "--model-dir", "m"], "--input needs --output FILE.jsonl"),
    (["--input", "in.txt", "--output", "in.txt", "--model-dir", "m"], "must not be the --input"),
    (["--input", "in", "--output", "o", "--model-dir", "m", "--batch-size", "0"],
     "--batch-size must be at least 1"),
    (["EU", "--model-dir", "m", "--format", "conll"],
     "--model-dir, --format: only with --input FILE (offline)"),
    # Options of the other mode are refused even at their default values.
    (["EU", "--format", "text", "--batch-size", "32"],
     "--format, --batch-size: only with --input FILE (offline)"),
    (["EU", "--max-words", "1000", "--beam-pipeline-arg=--runner=DirectRunner"],
     "--max-words, --beam-pipeline-arg: only with --input FILE (offline)"),
    (["--input", "in", "--output", "o", "--model-dir", "m", "--url", "http://127.0.0.1:8501",
      "--model-name", "ner"], "--url, --model-name: only for sentences sent over REST"),
])
def test_bad_predict_combinations_exit_2_with_one_line(argv, message, capsys):
    assert cli.main(["predict", *argv]) == 2
    error = capsys.readouterr().err
    assert error.startswith("ner-pipeline predict: error: ") and message in error
    assert error.count("\n") == 1


def test_unusable_input_output_or_model_exit_1_with_one_line(tmp_path, capsys):
    (tmp_path / "in.txt").write_text("EU\n")
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "saved_model.pb").write_bytes(b"")  # a SavedModel without signatures
    output = tmp_path / "o.jsonl"
    for input_path, output_path, model, message in [
            (tmp_path / "none.txt", output, tmp_path,
             f"--input {tmp_path}/none.txt does not exist"),
            (tmp_path / "in.txt", tmp_path / "in.txt" / "o.jsonl", tmp_path,
             f"cannot write --output {tmp_path}/in.txt/o.jsonl: "),
            (tmp_path / "in.txt", output, tmp_path / "none", "holds neither saved_model.pb nor"),
            (tmp_path / "in.txt", output, tmp_path,
             "has no serving_default signature (it has: none)")]:
        assert cli.main(["predict", "--model-dir", str(model), "--input", str(input_path),
                         "--output", str(output_path)]) == 1
        error = capsys.readouterr().err
        assert error.startswith("ner-pipeline: error: ") and message in error
        assert error.count("\n") == 1


# --- end to end ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model_dir(request, tmp_path_factory) -> pathlib.Path:
    """A serving base dir: the pushed model as version 10 beside an unreadable version 9,
    so only the newest version may be loaded."""
    source = os.environ.get("NER_SERVING_TEST_MODEL")
    if source is None:
        (source,) = pathlib.Path(request.getfixturevalue("quick_pipeline").serving_dir).iterdir()
    base = tmp_path_factory.mktemp("batch-serving")
    (base / "10").symlink_to(pathlib.Path(source).resolve())
    (base / "9").mkdir()
    (base / "9" / "saved_model.pb").write_bytes(b"not a SavedModel")
    return base


@pytest.fixture(scope="module")
def signature(model_dir):
    """serving_default called directly, to compare the pipeline's results with."""
    import tensorflow as tf
    loaded = tf.saved_model.load(str(model_dir / "10"))  # owns the signature's variables

    def call(texts):
        outputs = loaded.signatures["serving_default"](sentences=tf.constant(texts))
        return {name: value.numpy() for name, value in outputs.items()}
    return call


def predict_file(tmp_path, model_dir, name: str, data: bytes, *options) -> list:
    (tmp_path / name).write_bytes(data)
    output = tmp_path / (name + ".jsonl")
    assert cli.main(["predict", "--model-dir", str(model_dir), "--input", str(tmp_path / name),
                     "--output", str(output), *options]) == 0
    assert not [path for path in tmp_path.iterdir() if ".part-" in path.name]
    return [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]


def test_text_file_in_order_with_empty_and_error_lines(tmp_path, model_dir, signature,
                                                       monkeypatch, capsys):
    monkeypatch.setattr(batch_predict, "CHUNK_LINES", 7)  # several chunks to put in order
    sentences = [f"Peter Blackburn visited Paris {number} times ." for number in range(40)]
    lines = sentences[:5] + ["", "   ", "a b c d e f g h i j k l m n o p"] + sentences[5:]
    data = "\n".join(lines).encode() + b"\n\xff\xfe\n" + "Zürich ok\r\n".encode()
    results = predict_file(tmp_path, model_dir, "in.txt", data, "--batch-size", "4",
                           "--max-words", "12")
    assert len(results) == len(lines) + 2
    assert [result["line"] for result in results] == list(range(1, len(lines) + 3))
    assert [result.get("text") for result in results[:-2]] == \
        [None if len(line.split()) > 12 else line for line in lines]
    assert results[5:8] == [
        {"line": 6, "text": "", "words": [], "entities": []},
        {"line": 7, "text": "   ", "words": [], "entities": []},
        {"line": 8, "error": "16 words; the limit is 12 words per sentence"}]
    assert results[-2] == {"line": len(lines) + 1,
                           "error": "not valid UTF-8 (invalid start byte at byte 0)"}
    assert [word["text"] for word in results[-1]["words"]] == ["Zürich", "ok"]
    expected = signature(sentences[:2])
    for row, result in enumerate(results[:2]):
        assert [word["tag"] for word in result["words"]] == \
            [tag.decode() for tag in expected["tags"][row][:expected["word_count"][row]]]
        assert [(word["start"], word["end"]) for word in result["words"]] == \
            list(zip(expected["word_starts"][row], expected["word_ends"][row]))[
                :expected["word_count"][row]]
    for result in results:
        for word in result.get("words", []):
            assert result["text"][word["start"]:word["end"]] == word["text"]
    summary = capsys.readouterr().out
    assert f"{len(lines) + 2} lines: 41 sentences tagged, 2 empty, 2 errors;" in summary


def test_jsonl_file_reports_bad_lines_in_place(tmp_path, model_dir):
    lines = [b'{"text": "EU rejects German call to boycott British lamb ."}', b"{oops",
             b'{"id": 3}', b'{"text": ["EU"]}', b'{"text": ""}', b"",
             '{"text": "Japan beat Syria", "id": 7}'.encode()]
    results = predict_file(tmp_path, model_dir, "in.jsonl", b"\n".join(lines), "--format",
                           "jsonl")
    assert [result["line"] for result in results] == [1, 2, 3, 4, 5, 6, 7]
    assert [result.get("error") for result in results] == [
        None, "invalid JSON: Expecting property name enclosed in double quotes at column 2",
        'missing "text"', '"text" is list, not a string', None,
        'expected a JSON object with a "text" string, found an empty line', None]
    assert [word["text"] for word in results[6]["words"]] == ["Japan", "beat", "Syria"]
    assert results[4]["words"] == []


def test_conll_file_gives_a_line_per_sentence_with_gold_tags(tmp_path, model_dir):
    results = predict_file(tmp_path, model_dir, "test.txt", CONLL, "--format", "conll")
    assert [(result["line"], result.get("text"), result.get("gold_tags"))
            for result in results] == [(3, "EU rejects", ["B-ORG", "O"]),
                                       (6, "Peter Blackburn", ["B-PER", "I-PER"]),
                                       (10, None, None)]
    assert [word["text"] for word in results[1]["words"]] == ["Peter", "Blackburn"]
    assert results[2]["error"].endswith("test.txt:11: expected 4 columns (token pos chunk ner) "
                                        "like the file's first token line, found 3: "
                                        "'wins VBZ B-VP'")


def test_an_empty_file_gives_an_empty_output_and_relative_paths_work(tmp_path, model_dir,
                                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.txt").write_bytes(b"")
    assert cli.main(["predict", "--model-dir", str(model_dir), "--input", "empty.txt",
                     "--output", "empty.jsonl"]) == 0
    assert (tmp_path / "empty.jsonl").read_bytes() == b""
    assert sorted(path.name for path in tmp_path.iterdir()) == ["empty.jsonl", "empty.txt"]


def test_command_tags_all_of_conll_test_in_order(shared_conll_dir, model_dir, tmp_path):
    output = tmp_path / "test.jsonl"
    finished = subprocess.run(
        [str(pathlib.Path(sys.executable).with_name("ner-pipeline")), "predict", "--model-dir",
         str(model_dir), "--input", str(shared_conll_dir / "test.txt"), "--format", "conll",
         "--output", str(output)], capture_output=True, text=True, check=False, timeout=600)
    assert finished.returncode == 0, finished.stderr
    results = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert len(results) == 3453
    assert [result["line"] for result in results] == sorted(result["line"] for result in results)
    assert all(len(result["words"]) == len(result["gold_tags"]) for result in results)
    assert "3453 lines: 3453 sentences tagged, 0 empty, 0 errors" in finished.stdout
