"""The TF Serving REST stand-in (serving/server.py), its client, formatter and CLI commands.

Server tests serve a real exported SavedModel over HTTP (uvicorn on a free
loopback port in a thread): the one the quick-profile pipeline pushed. The
model-store, JSON, formatter and CLI-parsing tests need no model.
"""

import base64
import concurrent.futures
import contextlib
import json
import os
import pathlib
import re
import shutil
import socket
import threading
import time
import types

import pytest
import requests

from pipeline import cli
from serving import formatting, tensor_json
from serving.client import Entity, NerClient, SentenceResult, ServingRequestError, Word
from serving.errors import ServingError
from serving.limits import Limits, count_words
from serving.model_store import ModelStore, VersionState

SENTENCES = ["EU rejects German call to boycott British lamb .", "Peter Blackburn"]
TEXT_OUTPUTS = {"word_count", "words", "tags", "scores", "word_starts", "word_ends",
                "entity_count", "entity_types", "entity_texts", "entity_starts", "entity_ends",
                "entity_scores"}
LIMITS = Limits(max_instances=64, max_words=1000, max_document_words=30,
                max_body_bytes=200_000)


@pytest.fixture(scope="session")
def serving_model_source(request) -> pathlib.Path:
    """The newest version directory the quick-profile pipeline pushed (tests/conftest.py);
    $NER_SERVING_TEST_MODEL points at another exported version instead (and the pipeline
    does not run)."""
    if os.environ.get("NER_SERVING_TEST_MODEL"):
        return pathlib.Path(os.environ["NER_SERVING_TEST_MODEL"])
    serving_dir = pathlib.Path(request.getfixturevalue("quick_pipeline").serving_dir)
    return max(serving_dir.iterdir(), key=lambda path: int(path.name))


@pytest.fixture(scope="module")
def pushed_model_dir(serving_model_source, tmp_path_factory) -> pathlib.Path:
    """A serving base directory holding the model as version 1, as the Pusher lays it out."""
    base = tmp_path_factory.mktemp("serving")
    shutil.copytree(serving_model_source, base / "1")
    return base


@contextlib.contextmanager
def running_server(model_dir: pathlib.Path, **options):
    """The app under uvicorn on a free loopback port; yields its base URL."""
    import uvicorn
    from serving.server import create_app
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(str(model_dir), **options),
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 180
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(60)
        listener.close()


@pytest.fixture(scope="module")
def url(pushed_model_dir) -> str:
    with running_server(pushed_model_dir, limits=LIMITS, poll_seconds=0.5) as base_url:
        yield base_url


def predict(url: str, body, path="/v1/models/ner:predict") -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    return requests.post(url + path, data=data, timeout=120)


def assert_good_request_works(url: str) -> None:
    response = predict(url, {"instances": SENTENCES[1:]})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"][0]["word_count"] == 2


# --- status and metadata -------------------------------------------------------------------

AVAILABLE_1 = {"model_version_status": [
    {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}


def test_status_of_model_and_of_version(url):
    assert requests.get(url + "/v1/models/ner").json() == AVAILABLE_1
    assert requests.get(url + "/v1/models/ner/versions/1").json() == AVAILABLE_1


def test_metadata_lists_both_signatures_with_tensor_info(url):
    metadata = requests.get(url + "/v1/models/ner/metadata").json()
    assert metadata["model_spec"] == {"name": "ner", "signature_name": "", "version": "1"}
    signatures = metadata["metadata"]["signature_def"]["signature_def"]
    assert {"serving_default", "serve_examples"} <= set(signatures)
    text = signatures["serving_default"]
    assert text["method_name"] == "tensorflow/serving/predict"
    sentences = text["inputs"]["sentences"]
    assert sentences["dtype"] == "DT_STRING"
    assert sentences["tensor_shape"] == {"dim": [{"size": "-1", "name": ""}], "unknown_rank": False}
    assert sentences["name"].endswith(":0")
    assert set(text["outputs"]) == TEXT_OUTPUTS
    assert text["outputs"]["scores"]["dtype"] == "DT_FLOAT"
    assert len(text["outputs"]["words"]["tensor_shape"]["dim"]) == 2
    assert set(signatures["serve_examples"]["inputs"]) == {"examples"}
    assert requests.get(url + "/v1/models/ner/versions/1/metadata").json() == metadata


# --- predict ---------------------------------------------------------------------------------

def test_row_format_gives_one_object_per_sentence(url):
    response = predict(url, {"instances": SENTENCES})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    first, second = response.json()["predictions"]
    assert set(first) == TEXT_OUTPUTS
    assert (first["word_count"], second["word_count"]) == (9, 2)
    for row in (first, second):  # padded to the longest sentence of the batch
        for key in ("words", "tags", "scores", "word_starts", "word_ends"):
            assert len(row[key]) == 9, key
        entities = len(row["entity_types"])
        for key in ("entity_texts", "entity_starts", "entity_ends", "entity_scores"):
            assert len(row[key]) == entities, key
        assert row["entity_count"] <= entities
    assert first["words"] == SENTENCES[0].split()
    assert second["words"] == ["Peter", "Blackburn"] + [""] * 7
    assert second["word_starts"] == [0, 6] + [-1] * 7
    assert all(isinstance(score, float) for score in first["scores"])
    assert all(tag == "O" or tag[:2] in ("B-", "I-") for tag in first["tags"])


def test_columnar_format_gives_one_value_per_output(url):
    response = predict(url, {"inputs": SENTENCES})
    assert response.status_code == 200, response.text
    outputs = response.json()["outputs"]
    assert set(outputs) == TEXT_OUTPUTS
    assert outputs["word_count"] == [9, 2]
    assert [len(row) for row in outputs["words"]] == [9, 9]
    assert len(outputs["entity_count"]) == 2
    rows = predict(url, {"instances": SENTENCES}).json()["predictions"]
    assert outputs["words"] == [row["words"] for row in rows]
    named = predict(url, {"inputs": {"sentences": SENTENCES}}).json()["outputs"]
    assert named["words"] == outputs["words"]


def test_named_instances_and_explicit_signature_name(url):
    response = predict(url, {"signature_name": "serving_default",
                             "instances": [{"sentences": SENTENCES[0]}]})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"][0]["word_count"] == 9


def test_serve_examples_takes_base64_serialized_examples(url):
    from tensorflow.core.example import example_pb2
    example = example_pb2.Example()
    example.features.feature["tokens"].bytes_list.value.extend([b"EU", b"rejects", b"German"])
    encoded = base64.b64encode(example.SerializeToString()).decode("ascii")
    response = predict(url, {"signature_name": "serve_examples", "instances": [{"b64": encoded}]})
    assert response.status_code == 200, response.text
    (prediction,) = response.json()["predictions"]
    assert prediction["word_count"] == 3 and len(prediction["tags"]) == 3
    assert [len(row) for row in prediction["probabilities"]] == [9, 9, 9]


def test_serve_words_takes_integer_counts_over_rest(url):
    response = predict(url, {"signature_name": "serve_words", "instances": [
        {"words": ["Peter", "Blackburn", "."], "word_count": 3},
        {"words": ["Japan", "", ""], "word_count": 1}]})
    assert response.status_code == 200, response.text
    rows = response.json()["predictions"]
    assert [row["word_count"] for row in rows] == [3, 1]
    assert rows[0]["words"] == ["Peter", "Blackburn", "."]
    assert rows[0]["word_starts"] == [0, 6, 16]
    wrong = predict(url, {"signature_name": "serve_words",
                          "instances": [{"words": ["Japan"], "word_count": "1"}]})
    assert wrong.status_code == 400
    assert "is not of expected type: int64" in wrong.json()["error"]
    too_many = predict(url, {"signature_name": "serve_words",
                             "inputs": {"words": [["Japan"]], "word_count": [3]}})
    assert too_many.status_code == 400 and "word_count exceeds" in too_many.json()["error"]


def test_version_url(url):
    response = predict(url, {"instances": SENTENCES}, path="/v1/models/ner/versions/1:predict")
    assert response.status_code == 200
    assert [row["word_count"] for row in response.json()["predictions"]] == [9, 2]


def test_words_are_split_as_the_model_splits_them(url):
    sentence = "a\u00a0b\u2003c\x0bd\x85e\x1cf"  # all but the file separator \x1c separate
    response = predict(url, {"instances": [sentence]})
    assert response.json()["predictions"][0]["word_count"] == count_words(sentence) == 5


def test_many_concurrent_clients(url):
    def call(index):
        sentences = SENTENCES[index % 2:]
        rows = predict(url, {"instances": sentences}).json()["predictions"]
        return [row["word_count"] for row in rows] == [len(s.split()) for s in sentences]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert all(pool.map(call, range(16)))


# --- errors: TF Serving's {"error": ...} body, 4xx, and the server keeps serving ------------

BAD_PREDICTS = [
    ("malformed JSON", b'{"instances": [', 400, "JSON Parse error: "),
    ("empty body", b"", 400, "JSON Parse error: The document is empty"),
    ("not an object", b'["a"]', 400, "Is not object"),
    ("deeply nested", b"[" * 100_000, 400, "JSON Parse error"),
    ("invalid UTF-8", b'{"instances": ["caf\xe9"]}', 400,
     "JSON Parse error: Invalid encoding in string. at offset: 19"),
    ("lone surrogate", b'{"instances": ["\\ud800"]}', 400, "unpaired surrogate"),
    ("neither key", {"signature_name": "serving_default"}, 400,
     "Missing 'inputs' or 'instances' key"),
    ("both keys", {"instances": ["a"], "inputs": ["a"]}, 400,
     "expecting only one of 'inputs' or 'instances' keys to exist"),
    ("instances not a list", {"instances": "a b"}, 400,
     "Excepting 'instances' to be an list/array"),
    ("no instances", {"instances": []}, 400, "No values in 'instances' array"),
    ("unknown signature", {"signature_name": "classify", "instances": ["a"]}, 400,
     'Serving signature name: "classify" not found in signature def'),
    ("signature name not a string", {"signature_name": 1, "instances": ["a"]}, 400,
     "'signature_name' key must be a string value"),
    ("signature without inputs", {"signature_name": "__saved_model_init_op", "instances": ["a"]},
     400, "Failed to get input map for signature: __saved_model_init_op"),
    ("number instead of string", {"instances": ["a", 5]}, 400,
     "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: "
     "JSON Value: 5 Type: Number is not of expected type: string"),
    ("null instance", {"instances": [None]}, 400, "Type: Null is not of expected type: string"),
    ("list instead of string", {"instances": [["a", "b"]]}, 400,
     "has shape [1,2] but the signature expects [-1]"),
    ("ragged instances", {"instances": [["a"], ["a", "b"]]}, 400,
     "Expecting tensor size: 1 but got: 2"),
    ("unknown input name", {"instances": [{"text": "a"}]}, 400,
     "does not have named input: text"),
    ("bad base64", {"instances": [{"b64": "%%%"}]}, 400, "Unable to base64 decode"),
    ("empty sentence", {"instances": ["EU", ""]}, 400,
     "Sentence 1 has no words; the NER model needs at least one word"),
    ("blank sentence", {"inputs": [" \t\u00a0"]}, 400, "Sentence 0 has no words"),
    ("too many words", {"instances": ["w " * 1001]}, 400,
     "Sentence 0 has 1001 words; the limit is 1000"),
    ("too many instances", {"instances": ["w"] * 65}, 400,
     "The request has 65 instances; the limit is 64"),
    ("body too large", {"instances": ["w" * 250_000]}, 400, "larger than 200000 bytes"),
]


@pytest.mark.parametrize("body, status, message", [case[1:] for case in BAD_PREDICTS],
                         ids=[case[0] for case in BAD_PREDICTS])
def test_bad_predict_requests(url, body, status, message):
    response = predict(url, body)
    assert response.status_code == status
    assert list(response.json()) == ["error"]
    assert message in response.json()["error"]
    assert_good_request_works(url)


BAD_URLS = [
    ("GET", "/v1/models/bert", 404, "Could not find any versions of model bert"),
    ("GET", "/v1/models/ner/versions/7", 404, "Could not find version 7 of model ner"),
    ("GET", "/v1/models/bert/metadata", 404, "Servable not found for request: Latest(bert)"),
    ("GET", "/v1/models/ner/versions/7/metadata", 404,
     "Servable not found for request: Specific(ner, 7)"),
    ("POST", "/v1/models/bert:predict", 404, "Servable not found for request: Latest(bert)"),
    ("POST", "/v1/models/ner/versions/7:predict", 404,
     "Servable not found for request: Specific(ner, 7)"),
    ("GET", "/v1/models/ner/versions/latest", 400,
     "Malformed request: GET /v1/models/ner/versions/latest"),
    ("GET", "/v1/models/ner:predict", 400, "Malformed request: GET /v1/models/ner:predict"),
    ("GET", "/v1/models", 400, "Missing model name in request."),
]


@pytest.mark.parametrize("method, path, status, message", BAD_URLS,
                         ids=[f"{case[0]} {case[1]}" for case in BAD_URLS])
def test_unknown_models_versions_and_urls(url, method, path, status, message):
    response = requests.request(method, url + path, json={"instances": ["a"]}, timeout=60)
    assert (response.status_code, response.json()) == (status, {"error": message})
    assert_good_request_works(url)


# --- hot reload ------------------------------------------------------------------------------

def wait_for(condition, seconds=120.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_new_version_is_served_without_restart_and_removed_one_unloaded(serving_model_source,
                                                                        tmp_path):
    base = tmp_path / "serving"
    shutil.copytree(serving_model_source, base / "1")
    with running_server(base, poll_seconds=0.3, num_versions=2) as base_url:
        def versions():
            return {(item["version"], item["state"]) for item in
                    requests.get(base_url + "/v1/models/ner").json()["model_version_status"]}

        shutil.copytree(serving_model_source, base / "2")  # file by file, as the Pusher copies
        wait_for(lambda: ("2", "AVAILABLE") in versions())
        assert versions() == {("2", "AVAILABLE"), ("1", "AVAILABLE")}
        assert requests.get(base_url + "/v1/models/ner/metadata").json()["model_spec"][
            "version"] == "2"
        assert predict(base_url, {"instances": SENTENCES},
                       path="/v1/models/ner/versions/1:predict").status_code == 200

        shutil.rmtree(base / "1")
        wait_for(lambda: ("1", "END") in versions())
        assert predict(base_url, {"instances": SENTENCES},
                       path="/v1/models/ner/versions/1:predict").status_code == 404
        assert_good_request_works(base_url)


# --- client and CLI against the server -------------------------------------------------------

def test_client_predicts_words_and_entities(url):
    client = NerClient(url)
    results = client.predict(SENTENCES)
    assert [result.text for result in results] == SENTENCES
    for result in results:
        assert [word.text for word in result.words] == result.text.split()
        for item in result.words + result.entities:
            assert result.text[item.start:item.end] == item.text
        assert all(entity.type in {"PER", "ORG", "LOC", "MISC"} for entity in result.entities)
    one_by_one = NerClient(url, batch_size=1).predict(SENTENCES)
    assert [[word.text for word in result.words] for result in one_by_one] == \
        [sentence.split() for sentence in SENTENCES]
    assert client.status() == AVAILABLE_1
    assert client.metadata()["model_spec"]["version"] == "1"
    assert NerClient(url, version=1).predict(SENTENCES[1:])[0].text == SENTENCES[1]


def test_client_tags_whole_documents_with_offsets_into_each(url):
    documents = ["\n".join(SENTENCES), "", "Peter Blackburn\n\nEU rejects"]
    results = NerClient(url).predict_documents(documents)
    assert [result.text for result in results] == documents
    assert [[word.text for word in result.words] for result in results] == [
        " ".join(SENTENCES).split(), [], ["Peter", "Blackburn", "EU", "rejects"]]
    for result in results:
        for item in result.words + result.entities:
            assert result.text[item.start:item.end] == item.text
    too_long = predict(url, {"signature_name": "serve_document",
                             "instances": ["word " * 31]})
    assert too_long.status_code == 400
    assert too_long.json()["error"] == ("Document 0 has 31 words; the limit is 30 words "
                                        "per document")


def test_client_raises_the_servers_error_message(url):
    with pytest.raises(ServingRequestError) as raised:
        NerClient(url, model_name="bert").status()
    assert raised.value.status == 404
    assert raised.value.message == "Could not find any versions of model bert"
    with pytest.raises(ServingRequestError, match="Sentence 0 has no words"):
        NerClient(url).predict([""])
    with pytest.raises(TypeError):
        NerClient(url).predict(SENTENCES[0])


def test_predict_command_prints_entities_or_json(url, capsys):
    assert cli.main(["predict", *SENTENCES, "--url", url]) == 0
    expected = [formatting.describe(result) for result in NerClient(url).predict(SENTENCES)]
    assert capsys.readouterr().out == "\n".join(expected) + "\n"
    assert cli.main(["predict", SENTENCES[1], "--url", url, "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert [word["text"] for word in result["words"]] == ["Peter", "Blackburn"]
    assert cli.main(["predict", "", "--url", url]) == 1
    assert "Sentence 0 has no words" in capsys.readouterr().err


# --- without a model -------------------------------------------------------------------------

def test_serve_and_predict_commands_parse():
    args = cli.build_parser().parse_args(
        ["serve", "--model-dir", "m", "--port", "9000", "--max-words", "50"])
    assert (args.model_dir, args.model_name, args.host, args.port, args.max_words) == \
        ("m", "ner", "127.0.0.1", 9000, 50)
    assert args.handler.__name__ == "serve_command"
    args = cli.build_parser().parse_args(["predict", "a b", "c", "--json"])
    # None: not given; predict_command fills in the default once it knows the mode.
    assert (args.sentences, args.url, args.json) == (["a b", "c"], None, True)
    assert args.handler.__name__ == "predict_command"


def test_predict_command_fills_in_the_rest_defaults(monkeypatch, capsys):
    calls = []

    class Client:
        def __init__(self, url, model_name):
            calls.append((url, model_name))

        def predict(self, sentences):
            return [SentenceResult(sentence, [], []) for sentence in sentences]

    monkeypatch.setattr("serving.client.NerClient", Client)
    assert cli.main(["predict", "EU"]) == 0
    assert calls == [("http://127.0.0.1:8501", "ner")]
    assert capsys.readouterr().out == formatting.describe(SentenceResult("EU", [], [])) + "\n"


def test_predict_command_without_a_server(capsys):
    unused = socket.socket()
    unused.bind(("127.0.0.1", 0))
    port = unused.getsockname()[1]
    unused.close()
    assert cli.main(["predict", "EU", "--url", f"http://127.0.0.1:{port}"]) == 1
    assert "no server at" in capsys.readouterr().err


def test_serve_command_rejects_a_missing_model_dir(tmp_path, capsys):
    assert cli.main(["serve", "--model-dir", str(tmp_path / "none")]) == 1
    assert "is not a directory" in capsys.readouterr().err


def test_formatter_puts_entity_types_after_entities():
    result = SentenceResult(
        "EU rejects German call .",
        words=[Word("EU", "B-ORG", 0.99, 0, 2)],
        entities=[Entity("MISC", "German", 11, 17, 0.875), Entity("ORG", "EU", 0, 2, 0.99)])
    assert formatting.inline(result) == "EU [ORG] rejects German [MISC] call ."
    assert formatting.entity_table(result).splitlines() == [
        "  MISC  German    11-17    0.875",
        "  ORG   EU         0-2     0.990"]
    empty = SentenceResult("nothing here", [], [])
    assert formatting.describe(empty) == "nothing here\n  (no entities)"


def make_version(base: pathlib.Path, version: int, broken: bool = False) -> None:
    directory = base / str(version)
    directory.mkdir(parents=True)
    (directory / "saved_model.pb").write_bytes(b"pb")
    if broken:
        (directory / "broken").write_text("x")


@pytest.fixture
def fake_store(tmp_path):
    """A ModelStore whose loader records calls instead of loading TensorFlow."""
    loads = []

    def load(path, version):
        loads.append(version)
        if (pathlib.Path(path) / "broken").exists():
            raise ValueError("broken model")
        return types.SimpleNamespace(version=version)

    base = tmp_path / "models"
    make_version(base, 1)
    store = ModelStore(str(base), "ner", load, num_versions=1)
    store.poll(wait_for_settled_files=False)
    return store, base, loads


def test_store_switches_to_a_new_version_once_its_files_settle(fake_store):
    store, base, loads = fake_store
    (base / "notes").mkdir()  # neither a number nor a SavedModel: ignored
    (base / "3").mkdir()
    make_version(base, 2)
    store.poll()  # first sight of version 2: its files may still be copying
    assert store.servable("ner").version == 1
    store.poll()
    assert store.servable("ner").version == 2 and loads == [1, 2]
    assert store.states("ner") == [(2, VersionState("AVAILABLE")), (1, VersionState("END"))]
    assert store.states("ner", 1) == [(1, VersionState("END"))]
    with pytest.raises(ServingError, match=r"Specific\(ner, 1\)"):
        store.servable("ner", 1)


def test_store_keeps_the_old_version_when_a_new_one_is_broken(fake_store):
    store, base, loads = fake_store
    make_version(base, 2, broken=True)
    for _ in range(4):
        store.poll()
    assert store.servable("ner").version == 1 and loads == [1, 2]  # not retried
    state = dict(store.states("ner"))[2]
    assert (state.state, state.error_code, state.error_message) == ("END", "UNKNOWN",
                                                                     "broken model")
    (base / "2" / "broken").unlink()  # fixed: its files changed, so it is tried again
    store.poll()
    store.poll()
    assert store.servable("ner").version == 2 and loads == [1, 2, 2]


def test_store_unloads_removed_versions_and_survives_a_missing_base_dir(fake_store):
    store, base, _ = fake_store
    shutil.rmtree(base / "1")
    store.poll()
    with pytest.raises(ServingError, match=r"Latest\(ner\)"):
        store.servable("ner")
    with pytest.raises(ServingError, match="Could not find any versions of model bert"):
        store.states("bert")
    shutil.rmtree(base)
    store.poll()
    assert store.states("ner") == [(1, VersionState("END"))]


def test_unexpected_error_answers_500_without_its_details_and_logs_them(tmp_path, monkeypatch,
                                                                       caplog):
    """A bug (not a request error) must not leak paths, shapes or data to the client."""
    import asyncio
    import httpx
    from serving import server

    def failing_predict(*_args):
        raise RuntimeError("secret detail /srv/models/ner/7")

    async def post():
        transport = httpx.ASGITransport(app=server.create_app(str(tmp_path)),
                                        raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/v1/models/ner:predict", json={"instances": ["EU"]})

    monkeypatch.setattr(server, "_predict", failing_predict)
    with caplog.at_level("ERROR", logger="serving.server"):
        response = asyncio.run(post())
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": server.INTERNAL_ERROR_MESSAGE}
    assert "secret" not in response.text and "RuntimeError" not in response.text
    (record,) = [r for r in caplog.records if r.name == "serving.server"]
    assert "POST /v1/models/ner:predict" in record.getMessage()
    assert "secret detail /srv/models/ner/7" in record.getMessage()


STRING_VECTOR = {"sentences": {"dtype": "DT_STRING", "tensor_shape": {
    "dim": [{"size": "-1", "name": ""}], "unknown_rank": False}}}


def test_json_inputs_and_outputs_follow_tf_serving_formats():
    import numpy as np
    inputs, row_format = tensor_json.read_inputs({"instances": ["a", {"b64": "Yg=="}]},
                                                 STRING_VECTOR)
    assert row_format and inputs["sentences"].tolist() == [b"a", b"b"]
    outputs = {"score": np.array([[0.2, 1.0]], np.float32), "name": np.array([b"x"], object),
               "raw_bytes": np.array([b"\xff"], object)}
    assert tensor_json.write_outputs(outputs, row_format=True) == {"predictions": [
        {"score": [0.2, 1.0], "name": "x", "raw_bytes": {"b64": "/w=="}}]}
    assert tensor_json.write_outputs({"score": outputs["score"]}, row_format=False) == {
        "outputs": [[0.2, 1.0]]}
    with pytest.raises(ServingError, match="Missing named input: sentences"):
        tensor_json.read_inputs({"inputs": {"text": ["a"]}}, STRING_VECTOR)


# --- the documented curl examples ------------------------------------------------------------

README_CURL = re.compile(
    r"^curl (?:-X (?P<method>\w+) )?(?P<target>localhost:8501\S*)"
    r"(?:\s*\\\n\s*| )?(?:-d '(?P<body>[^']*)')?", re.M)


def test_readme_curl_examples_run_as_written(url):
    """Each curl of serving/README.md, sent to the test server (its version is "1")."""
    readme = (pathlib.Path(__file__).resolve().parents[1] / "serving" / "README.md").read_text()
    examples = list(README_CURL.finditer(readme))
    assert len(examples) >= 6
    for example in examples:
        path = example["target"][len("localhost:8501"):].replace("1795674409", "1")
        body = example["body"]
        assert body or example["method"] != "POST", f"no -d body parsed from: {example.group(0)}"
        response = requests.request(example["method"] or ("POST" if body else "GET"), url + path,
                                    data=body.encode("utf-8") if body else None, timeout=120)
        payload = response.json()
        if body and '"instances": [42]' in body:
            assert response.status_code == 400 and "error" in payload, example.group(0)
        else:
            assert response.status_code == 200, (example.group(0), payload)
            assert "error" not in payload
