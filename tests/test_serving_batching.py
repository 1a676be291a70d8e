"""Server-side batching (serving/server_batching.py, serving/server_batch_rows.py).

The scheduler is tested without a model (a fake servable that pads like the
exported model); one test serves the real model and checks that concurrent,
merged requests get the answers they get alone. The parameters file and the
options: tests/test_batching_parameters.py.
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

from serving import server_batch_rows, tensor_json
from serving.batching_parameters import BatchingParameters
from serving.errors import ServingError
from serving.server_batching import ServerBatcher
from tests.test_serving import predict, running_server

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


def _assert_unbatched_answers(requests_, results):
    """Byte for byte the response each request gets from a call of its own."""
    for (signature, inputs), result in zip(requests_, results):
        alone = FakeServable().run(signature, inputs)
        assert {name: value.shape for name, value in result.items()} == \
            {name: value.shape for name, value in alone.items()}
        assert json.dumps(tensor_json.write_outputs(result, True)) == \
            json.dumps(tensor_json.write_outputs(alone, True))


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
    _assert_unbatched_answers(requests_, results)


def test_rows_are_cut_to_their_own_widths():
    merged = FakeServable().run("serving_default", _sentences("EU met Peter Smith", "a", "b c"))
    first, rest = server_batch_rows.split(merged, [1, 2])
    assert first["words"].shape == (1, 4) and first["entity_texts"].shape == (1, 3)
    assert rest["words"].shape == (2, 2) and rest["entity_texts"].shape == (2, 0)


def test_rows_of_different_lengths_run_with_rows_of_their_length(batcher):
    """A request's short and long rows are tagged in different calls, each with rows of
    other requests of about their length, and put back together in order."""
    long_sentence = " ".join(["Word"] * 40)
    requests_ = [("serving_default", _sentences("EU rejects", long_sentence, "Peter")),
                 ("serving_default", _sentences(long_sentence + " Paris", "Japan")),
                 ("serve_words", {"words": np.array([[b"a", b"B"] * 20, [b"C"] + [b""] * 39],
                                                    dtype=object),
                                  "word_count": np.array([40, 1])})]
    servable = FakeServable()
    results = _run_together(batcher(max_batch_size=3, batch_timeout_micros=500_000),
                            servable, requests_ + [("serve_words", requests_[2][1])])
    assert sorted(servable.calls) == [("serve_words", 2), ("serve_words", 2),
                                      ("serving_default", 2), ("serving_default", 3)]
    _assert_unbatched_answers(requests_, results)


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
              {"instances": ["Rome", " ".join(["Paris and London ."] * 9), "Peter Smith"]},
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
    too_many = predict(batched_url, {"signature_name": "serve_words",
                                     "inputs": {"words": [["Japan"]], "word_count": [3]}})
    assert too_many.status_code == 400 and "word_count exceeds" in too_many.json()["error"]
