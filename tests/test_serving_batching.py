"""Server-side batching of the serving stand-in (serving/server_batching.py and its parts).

The parameters file and the scheduler are tested without a model (a fake
servable that pads like the exported model); one test serves the real model
and checks that concurrent, merged requests get the answers they get alone.
"""

import concurrent.futures
import json
import os
import pathlib
import shutil
import threading
import time

import numpy as np
import pytest
import requests

from pipeline import cli
from serving import batching_options, server_batch_rows, tensor_json
from serving.batching_parameters import BatchingConfigError, BatchingParameters, parse, read
from serving.errors import ServingError
from serving.server_batching import ServerBatcher
from tests.test_serving import predict, running_server

REPO_FILE = pathlib.Path(__file__).resolve().parents[1] / "serving" / "batching_parameters.txt"


# --- the parameters file ----------------------------------------------------------------

def test_parameters_file_takes_tf_serving_syntax():
    assert read(str(REPO_FILE)).max_batch_size >= 1
    parameters = parse("max_batch_size { value: 32 }\nbatch_timeout_micros { value: 2000 }\n"
                       "# a comment\nnum_batch_threads { value: 2 }\n"
                       "max_enqueued_batches { value: 100 }\n"
                       'thread_pool_name { value: "ner_batch" }\n'
                       "pad_variable_length_inputs: true\nallowed_batch_sizes: [8, 32]\n", "b.txt")
    assert parameters == BatchingParameters(32, 2000, 100, 2, "ner_batch",
                                            ignored=("allowed_batch_sizes",))
    defaults = read(None)  # --enable_batching alone: TF Serving's defaults
    assert (defaults.max_batch_size, defaults.batch_timeout_micros,
            defaults.max_enqueued_batches) == (1000, 0, 10)


def test_compose_gives_tf_serving_the_same_batching_file():
    import yaml
    service = yaml.safe_load((REPO_FILE.parent / "docker-compose.yml").read_text())[
        "services"]["tf-serving"]
    assert "--enable_batching" in service["command"]
    flags = dict(argument.split("=", 1) for argument in service["command"] if "=" in argument)
    mounts = {container: host for host, container, _ in
              (volume.rsplit(":", 2) for volume in service["volumes"])}
    mounted = REPO_FILE.parent / mounts[flags["--batching_parameters_file"]]
    assert mounted.resolve() == REPO_FILE


@pytest.mark.parametrize("text, message", [
    ("max_batch_size { value: 8 }\nmax_batch_size_typo { value: 8 }",
     'b.txt:2: Message type "tensorflow.serving.BatchingParameters" has no field named '
     '"max_batch_size_typo".'),
    ("\nbatch_timeout_micros { value: soon }", "b.txt:2: "),
    ("max_batch_size: 8", 'b.txt:1: '),
    ("num_batch_threads { value: 0 }", "b.txt:1: num_batch_threads must be at least 1; was 0"),
    ("max_batch_size { value: 8 }\nallowed_batch_sizes: 4",
     "b.txt:2: Last entry in allowed_batch_sizes must match max_batch_size; last entry was 4; "
     "expected 8"),
])
def test_bad_parameters_files_fail_in_one_line_naming_file_and_line(text, message):
    with pytest.raises(BatchingConfigError) as error:
        parse(text, "b.txt")
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_serve_flags_take_tf_serving_and_hyphenated_names():
    parser = cli.build_parser()
    for flags in (["--enable_batching", "--batching_parameters_file", "b.txt"],
                  ["--enable-batching", "--batching-parameters-file=b.txt"]):
        args = parser.parse_args(["serve", "--model-dir", "m", *flags])
        assert (args.enable_batching, args.batching_parameters_file) == (True, "b.txt")
        assert batching_options.usage_problem(args) is None
    args = parser.parse_args(["serve", "--model-dir", "m", "--batching_parameters_file=b.txt"])
    assert "only with --enable_batching" in batching_options.usage_problem(args)
    assert batching_options.batching_parameters(
        parser.parse_args(["serve", "--model-dir", "m"])) is None


# --- merging and splitting, with a fake servable ------------------------------------------

class FakeServable:
    """Pads like the exported model: per-word outputs to the longest row, entities
    (capitalised words) to the row with most. ``gate`` holds every call until set."""

    version = 1

    def __init__(self):
        self.calls = []
        self.entered, self.gate = threading.Event(), threading.Event()
        self.gate.set()

    def run(self, signature, inputs):
        self.entered.set()
        self.gate.wait(10)
        self.calls.append((signature, len(next(iter(inputs.values())))))
        if signature == "serve_words":
            if np.any(inputs["word_count"] > inputs["words"].shape[1]):
                raise ServingError(400, "word_count exceeds the words given")
            rows = [[w.decode() for w in row[:count]]
                    for row, count in zip(inputs["words"], inputs["word_count"])]
        else:
            rows = [text.decode().split() for text in inputs["sentences"]]
        if any(word == "boom" for row in rows for word in row):
            raise ServingError(400, "boom")
        entities = [[w for w in row if w[:1].isupper()] for row in rows]
        return {"word_count": np.array([len(row) for row in rows], np.int64),
                "words": _padded(rows, b"", lambda w: w.encode()),
                "scores": _padded(rows, 0.0, lambda w: 1 / (len(w) + 3), np.float32),
                "entity_count": np.array([len(row) for row in entities], np.int64),
                "entity_texts": _padded(entities, b"", lambda w: w.encode())}


def _padded(rows, fill, value, dtype=object):
    array = np.full((len(rows), max(len(row) for row in rows)), fill, dtype=dtype)
    for index, row in enumerate(rows):
        array[index, :len(row)] = [value(word) for word in row]
    return array


def _sentences(*texts):
    return {"sentences": np.array([t.encode() for t in texts], dtype=object)}


def _run_together(batcher, servable, requests_):
    """Sends (signature, inputs) or (servable, signature, inputs) requests at once."""
    calls = [request if len(request) == 3 else (servable, *request) for request in requests_]
    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(batcher.run, *call) for call in calls]
        return [future.exception() or future.result() for future in futures]


@pytest.fixture
def batcher():
    started = []

    def make(**fields):
        started.append(ServerBatcher(BatchingParameters(**{"num_batch_threads": 1, **fields})))
        started[-1].start()
        return started[-1]
    yield make
    for each in started:
        each.stop()


def test_concurrent_requests_share_a_call_and_get_exactly_their_unbatched_answer(batcher):
    requests_ = [("serving_default", _sentences("EU rejects German call")),
                 ("serving_default", _sentences("Peter", "Japan beat Syria 2-1 in Doha")),
                 ("serve_words", {"words": np.array([[b"Merkel", b"met", b""]], dtype=object),
                                  "word_count": np.array([2])}),
                 ("serve_words", {"words": np.array([[b"a"], [b"Paris"]], dtype=object),
                                  "word_count": np.array([1, 1])})]
    servable = FakeServable()
    results = _run_together(batcher(max_batch_size=3, batch_timeout_micros=10_000_000),
                            servable, requests_)
    assert sorted(servable.calls) == [("serve_words", 3), ("serving_default", 3)]
    for (signature, inputs), result in zip(requests_, results):
        alone = FakeServable().run(signature, inputs)
        assert json.dumps(tensor_json.write_outputs(result, True)) == \
            json.dumps(tensor_json.write_outputs(alone, True))
        assert {name: value.shape for name, value in result.items()} == \
            {name: value.shape for name, value in alone.items()}


def test_rows_are_cut_to_their_own_widths():
    merged = FakeServable().run("serving_default", _sentences("EU met Peter Smith", "a", "b c"))
    first, rest = server_batch_rows.split(merged, [1, 2])
    assert first["words"].shape == (1, 4) and first["entity_texts"].shape == (1, 3)
    assert rest["words"].shape == (2, 2) and rest["entity_texts"].shape == (2, 0)


def test_different_lengths_signatures_and_versions_are_not_merged(batcher):
    servable, other_version = FakeServable(), FakeServable()
    long_sentence = " ".join(["word"] * 40)
    results = _run_together(batcher(max_batch_size=8, batch_timeout_micros=100_000), servable, [
        ("serving_default", _sentences("EU rejects")), ("serving_default", _sentences("Peter")),
        ("serving_default", _sentences(long_sentence))])
    assert sorted(servable.calls) == [("serving_default", 1), ("serving_default", 2)]
    assert results[2]["word_count"].tolist() == [40]
    servable.calls.clear()
    _run_together(batcher(max_batch_size=2, batch_timeout_micros=100_000), servable, [
        ("serving_default", _sentences("a")), ("serve_examples", _sentences("b")),
        (other_version, "serving_default", _sentences("c"))])
    assert sorted(servable.calls) == [("serve_examples", 1), ("serving_default", 1)]
    assert other_version.calls == [("serving_default", 1)]


def test_a_bad_request_gets_its_own_error_and_does_not_fail_the_others(batcher):
    servable = FakeServable()
    bad_count = {"words": np.array([[b"Japan"]], dtype=object), "word_count": np.array([3])}
    good_words = {"words": np.array([[b"a", b"b", b"c", b"d"]], dtype=object),
                  "word_count": np.array([4])}
    results = _run_together(batcher(max_batch_size=4, batch_timeout_micros=200_000), servable, [
        ("serving_default", _sentences("boom")), ("serving_default", _sentences("EU")),
        ("serve_words", bad_count), ("serve_words", good_words)])
    assert isinstance(results[0], ServingError) and results[0].message == "boom"
    assert results[1]["words"].tolist() == [[b"EU"]]
    assert isinstance(results[2], ServingError) and "word_count exceeds" in results[2].message
    assert results[3]["word_count"].tolist() == [4]


def test_tf_serving_limits_task_size_and_queue(batcher):
    servable = FakeServable()
    with pytest.raises(ServingError, match="Task size 3 is larger than maximum input batch "
                                           "size 2"):
        batcher(max_batch_size=2).run(servable, "serving_default", _sentences("a", "b", "c"))
    servable.gate.clear()  # the thread takes the first request and waits in the model
    full = batcher(max_batch_size=1, max_enqueued_batches=1)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first = pool.submit(full.run, servable, "serving_default", _sentences("a"))
        assert servable.entered.wait(10)
        second = pool.submit(full.run, servable, "serving_default", _sentences("b"))
        deadline = time.monotonic() + 10
        while not full._queues:  # pylint: disable=protected-access  # until "b" waits
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with pytest.raises(ServingError) as error:
            full.run(servable, "serving_default", _sentences("c"))
        servable.gate.set()
        assert first.result()["word_count"].tolist() == second.result()["word_count"].tolist()
    assert error.value.status == 503
    assert error.value.message == ("The batch scheduling queue to which this task was submitted "
                                   "is full; currently 1 batches enqueued and "
                                   "max_enqueued_batches is 1")


def test_a_lone_request_waits_for_the_timeout_and_none_without_one(batcher):
    for micros, at_least, at_most in ((150_000, 0.15, 5), (0, 0, 0.1)):
        start = time.perf_counter()
        batcher(batch_timeout_micros=micros).run(FakeServable(), "serving_default",
                                                 _sentences("EU"))
        assert at_least <= time.perf_counter() - start < at_most


# --- the real model over HTTP ---------------------------------------------------------------

@pytest.fixture(scope="module")
def batched_url(request, tmp_path_factory):
    source = os.environ.get("NER_SERVING_TEST_MODEL")
    if source is None:
        serving_dir = pathlib.Path(request.getfixturevalue("quick_pipeline").serving_dir)
        source = max(serving_dir.iterdir(), key=lambda path: int(path.name))
    base = tmp_path_factory.mktemp("batched-serving")
    shutil.copytree(source, base / "1")
    parameters = BatchingParameters(max_batch_size=64, batch_timeout_micros=50_000,
                                    num_batch_threads=1)
    with running_server(base, batching=parameters) as url:
        yield url


def _assert_same(batched, alone, where="response"):
    """Equal but for float rounding: a row's scores depend by a few ULP on the shape of
    the call it ran in (the matrix products), even for copies of one sentence."""
    assert type(batched) is type(alone), where
    if isinstance(alone, float):
        assert batched == pytest.approx(alone, rel=1e-5, abs=1e-6), where
    elif isinstance(alone, dict):
        assert list(batched) == list(alone), where
        for key in alone:
            _assert_same(batched[key], alone[key], f"{where}.{key}")
    elif isinstance(alone, list):
        assert len(batched) == len(alone), where
        for index, (mine, theirs) in enumerate(zip(batched, alone)):
            _assert_same(mine, theirs, f"{where}[{index}]")
    else:
        assert batched == alone, where


# A second server with the real model: about 2 min on 2 cores (make test-all); the
# fake-servable tests above cover merging and splitting in the default suite.
@pytest.mark.slow
def test_concurrent_requests_get_their_unbatched_answers_from_the_real_model(batched_url,
                                                                            monkeypatch):
    bodies = [{"instances": ["EU rejects German call to boycott British lamb ."]},
              {"instances": ["Peter Blackburn", "Japan beat Syria"]},
              {"instances": ["(Reuters) Berlin, Rome and the U.S.", "Hi"]},
              {"inputs": {"sentences": ["Angela Merkel met Emmanuel Macron in Paris."]}},
              {"instances": ["the"]},
              {"instances": [" ".join(["Paris and London ."] * 10)]},
              {"signature_name": "serve_words", "instances": [
                  {"words": ["Merkel", "visited", "Paris", "."], "word_count": 4}]},
              {"signature_name": "serve_words", "instances": [
                  {"words": ["Japan", "won", ""], "word_count": 2},
                  {"words": ["Rome", "", ""], "word_count": 1}]},
              {"signature_name": "serve_document",
               "instances": ["Leicester beat Chelsea.\nLeicester are third."]}]
    alone = [predict(batched_url, body) for body in bodies]  # one by one: each its own call
    merges = []
    real_merge = server_batch_rows.merge
    monkeypatch.setattr(server_batch_rows, "merge",
                        lambda parts: merges.append(len(parts)) or real_merge(parts))
    with concurrent.futures.ThreadPoolExecutor(len(bodies) * 2) as pool:
        together = list(pool.map(lambda body: predict(batched_url, body), bodies * 2))
    assert merges and max(merges) > 2, merges
    for index, response in enumerate(together):
        expected = alone[index % len(bodies)]
        assert response.status_code == expected.status_code == 200, response.text
        _assert_same(response.json(), expected.json(), f"body {index % len(bodies)}")


def test_batched_server_keeps_tf_serving_errors(batched_url):
    too_many = predict(batched_url, {"signature_name": "serve_words",
                                     "inputs": {"words": [["Japan"]], "word_count": [3]}})
    assert too_many.status_code == 400 and "word_count exceeds" in too_many.json()["error"]
    assert requests.get(batched_url + "/v1/models/ner", timeout=30).ok
