"""Versions and labels on the real stand-in: `ner-pipeline serve --model_config_file` in a
subprocess on 127.0.0.1, serving the real exported model ($NER_SERVING_TEST_MODEL, or
the quick pipeline's push as in tests/test_serving.py).

A short run of benchmarks/rollout.py comes first (marked slow): a new version (with
TF Serving's warm-up file) pushed and a label moved under load, without a failed
request. The tests after it use the same server, and also pass without it.
"""

import os
import pathlib
import time
import types

import pytest
import requests

from benchmarks import rollout, rollout_setup
from serving import model_config


@pytest.fixture(scope="module")
def server(request, tmp_path_factory):
    if os.environ.get("NER_SERVING_TEST_MODEL"):
        source = pathlib.Path(os.environ["NER_SERVING_TEST_MODEL"])
    else:
        serving_dir = pathlib.Path(request.getfixturevalue("quick_pipeline").serving_dir)
        source = max(serving_dir.iterdir(), key=lambda path: int(path.name))
    work = tmp_path_factory.mktemp("versions")
    setup = rollout_setup.prepare(rollout_setup.with_warmup_requests(source, work), work)
    with rollout_setup.running_server(setup["config"], work / "server.log") as url:
        yield types.SimpleNamespace(url=url, log=work / "server.log", **setup)


def label_version(server, label="stable") -> int:
    response = requests.get(f"{server.url}/v1/models/ner/labels/{label}/metadata", timeout=60)
    assert response.status_code == 200, response.text
    return int(response.json()["model_spec"]["version"])


def set_label(server, version: int) -> None:
    rollout_setup.ner_pipeline("model-config", "--file", str(server.config), "--label",
                               f"stable={version}")


def wait_for(condition, seconds=60.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


# Two model loads under load: about 4 min on 2 cores (make test-all; benchmarks.rollout
# measures the same).
@pytest.mark.slow
def test_rollout_under_load_fails_no_request(server):
    result = rollout.measure(server.url, vars(server), clients=2, before=1.0, after=0.5,
                             pause=0.1)  # lighter load than the benchmark: V+1 loads sooner
    assert result["failed"] == 0 and result["requests"] > 10, result
    assert result["latest_out_of_order"] == result["stable_out_of_order"] == 0, result
    assert result["stable_on_new_before_relabel"] == 0, result  # the label held its version
    assert 0 < result["latest_switch_s"] and 0 < result["label_switch_s"] < 15, result
    assert server.log.read_text().count(" with 4 requests in ") == 2  # V and V+1 warmed up
    states = requests.get(server.url + "/v1/models/ner", timeout=60).json()
    assert [(item["version"], item["state"]) for item in states["model_version_status"]] == [
        (str(server.version + 1), "AVAILABLE"), (str(server.version), "AVAILABLE")]


def test_label_urls_and_tf_servings_answers_for_an_unknown_label(server):
    labels = model_config.read(str(server.config)).model_config_list.config[0].version_labels
    assert label_version(server) == labels["stable"]
    response = requests.post(f"{server.url}/v1/models/ner/labels/stable:predict",
                             json={"instances": ["Peter Blackburn"]}, timeout=60)
    assert response.status_code == 200 and response.json()["predictions"][0]["word_count"] == 2
    unknown = {"error": "Unrecognized servable version label: beta"}
    for method, path in [("POST", ":predict"), ("GET", "/metadata")]:
        response = requests.request(method, f"{server.url}/v1/models/ner/labels/beta{path}",
                                    json={"instances": ["EU"]}, timeout=60)
        assert (response.status_code, response.json()) == (400, unknown)
    # The status API reads no label (TF Serving's too): every version, for any label.
    assert requests.get(f"{server.url}/v1/models/ner/labels/beta", timeout=60).json() == \
        requests.get(f"{server.url}/v1/models/ner", timeout=60).json()


def test_rollback_is_one_label_edit_and_a_bad_edit_keeps_the_config(server):
    set_label(server, server.version)  # rollback (or a no-op if the label is there already)
    wait_for(lambda: label_version(server) == server.version)
    good = server.config.read_text()
    server.config.write_text(good[:len(good) // 2])  # half an edit
    unloaded = server.version + 5
    wait_for(lambda: "Keeping the previous model config: " in server.log.read_text())
    server.config.write_text(good.replace(f"value: {server.version}", f"value: {unloaded}"))
    wait_for(lambda: f"Request to assign label to version {unloaded} of model ner, which is "
                     "not currently available for inference" in server.log.read_text())
    assert label_version(server) == server.version
    server.config.write_text(good)
