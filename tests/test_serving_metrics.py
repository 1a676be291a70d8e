"""The stand-in's Prometheus metrics (serving/metrics.py, tf_serving_metrics.py,
ner_metrics.py, monitoring_config.py).

The main test serves the real exported model (tests/test_serving.py's
fixtures: $NER_SERVING_TEST_MODEL, or the quick pipeline's model), sends good
and bad requests, and reads the page back with prometheus_client's parser.
"""

import asyncio
import collections
import json

import httpx
import pytest
import requests
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from contracts import console
from pipeline import cli
from serving import monitoring_config, server, tf_serving_metrics
from serving.metrics import ServingMetrics
from serving.monitoring_config import MonitoringConfigError
from tests.test_serving import (  # noqa: F401  (fixtures)
    SENTENCES, pushed_model_dir, running_server, serving_model_source)

PATH = "/monitoring/prometheus/metrics"
TF = tf_serving_metrics.PREFIX
LATENCY_LE = tf_serving_metrics.LATENCY_BUCKETS_US + [float("inf")]


def families(text: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(metrics: dict, family: str, sample: str, **labels) -> float:
    """The sample's value; 0 when the page has no such sample (nothing counted yet)."""
    matches = [s.value for s in metrics[family].samples if s.name == sample and s.labels == labels]
    assert len(matches) <= 1, (sample, labels)
    return matches[0] if matches else 0.0


def write(tmp_path, text: str) -> str:
    path = tmp_path / "monitoring_config.txt"
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- the real model over HTTP ---------------------------------------------------------------

REQUESTS = [  # (method, path, body, HTTP status)
    ("POST", "/v1/models/ner:predict", {"instances": SENTENCES}, 200),
    ("POST", "/v1/models/ner/versions/1:predict",
     {"inputs": {"sentences": ["Japan beat Syria", "Peter Blackburn visited Paris", "x"]}}, 200),
    ("POST", "/v1/models/ner:predict", {"signature_name": "serve_words", "instances": [
        {"words": ["Merkel", "visited", "Paris", "."], "word_count": 4}]}, 200),
    ("GET", "/v1/models/ner", None, 200),
    ("POST", "/v1/models/ner:predict", b"{not json", 400),
    ("POST", "/v1/models/ner:predict", {"instances": [""]}, 400),
    ("POST", "/v1/models/bert:predict", {"instances": ["EU"]}, 404),
    ("GET", "/v1/models/ner/versions/7", None, 404),
]


@pytest.fixture(scope="module")
def scraped(pushed_model_dir):
    """The responses to REQUESTS and the metrics page read after them."""
    with running_server(pushed_model_dir, metrics_path=PATH) as url:
        responses = []
        for method, path, body, status in REQUESTS:
            data = body if isinstance(body, (bytes, type(None))) else json.dumps(body)
            response = requests.request(method, url + path, data=data, timeout=120)
            assert response.status_code == status, (path, response.text)
            responses.append(response.json())
        page = requests.get(url + PATH, timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    return responses, families(page.text)


def test_request_count_by_model_and_status_under_tf_servings_name(scraped):
    _, metrics = scraped
    family = metrics[TF + "request_count"]
    assert family.type == "unknown"  # TF Serving types it counter; see tf_serving_metrics.py
    count = {(s.labels["model_name"], s.labels["status"]): s.value for s in family.samples
             if s.name == TF + "request_count"}
    assert count == {("ner", "OK"): 4, ("ner", "INVALID_ARGUMENT"): 2, ("bert", "NOT_FOUND"): 1,
                     ("ner", "NOT_FOUND"): 1}


def test_latencies_are_histograms_of_successful_calls_in_microseconds(scraped):
    _, metrics = scraped
    latency = TF + "request_latency"
    rest = {"model_name": "ner", "entrypoint": "REST"}
    assert value(metrics, latency, latency + "_count", API="predict", **rest) == 3
    assert value(metrics, latency, latency + "_count", API="", **rest) == 1  # the status GET
    buckets = [s for s in metrics[latency].samples if s.name == latency + "_bucket"
               and s.labels["API"] == "predict"]
    assert [float(s.labels["le"]) for s in buckets] == LATENCY_LE
    assert buckets[-1].value == 3 and buckets[0].value == 0  # no predict within 10 us
    runtime = TF + "runtime_latency"
    labels = {"model_name": "ner", "API": "Predict", "runtime": "TF1"}
    assert value(metrics, runtime, runtime + "_count", **labels) == 3
    # The model call is part of the request, and it takes at least a millisecond.
    assert 1000 < value(metrics, runtime, runtime + "_sum", **labels) < value(
        metrics, latency, latency + "_sum", API="predict", **rest)


def test_words_instances_and_entities_match_the_responses(scraped):
    responses, metrics = scraped
    predicted = [responses[0]["predictions"], _rows(responses[1]["outputs"]),
                 responses[2]["predictions"]]
    rows = [row for batch in predicted for row in batch]
    assert value(metrics, "ner_serving_request_instances", "ner_serving_request_instances_count",
                 model_name="ner") == 3
    assert value(metrics, "ner_serving_request_instances", "ner_serving_request_instances_sum",
                 model_name="ner") == len(rows) == 6
    assert value(metrics, "ner_serving_request_words", "ner_serving_request_words_sum",
                 model_name="ner") == sum(row["word_count"] for row in rows)
    expected = collections.Counter(entity_type for row in rows
                                   for entity_type in row["entity_types"][:row["entity_count"]])
    assert {"LOC", "PER"} <= set(expected)
    counted = {s.labels["entity_type"]: s.value for s in metrics["ner_serving_entities"].samples
               if s.name == "ner_serving_entities_total"}
    assert counted == expected


def test_load_time_of_the_loaded_version(scraped):
    _, metrics = scraped
    (sample,) = metrics["ner_serving_model_load_seconds"].samples
    assert sample.labels == {"model_name": "ner", "version": "1"} and sample.value > 0.1


def _rows(columns: dict) -> list:
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


# --- without a model ------------------------------------------------------------------------

def _get_all(app, calls):
    async def run():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [await client.request(method, path, json=body) for method, path, body in calls]
    return asyncio.run(run())


def test_no_page_without_a_monitoring_config_and_the_page_at_its_path(tmp_path):
    (missing,) = _get_all(server.create_app(str(tmp_path)), [("GET", PATH, None)])
    assert missing.status_code == 404
    app = server.create_app(str(tmp_path), metrics_path="/metrics")
    predict, page = _get_all(app, [("POST", "/v1/models/ner:predict", {"instances": ["EU"]}),
                                   ("GET", "/metrics", None)])
    assert predict.status_code == 404  # nothing loaded: TF Serving's NOT_FOUND
    assert value(families(page.text), TF + "request_count", TF + "request_count",
                 model_name="ner", status="NOT_FOUND") == 1


def test_an_internal_error_counts_as_internal(tmp_path, monkeypatch):
    def failing_predict(*_args):
        raise RuntimeError("bug")

    monkeypatch.setattr(server, "_predict", failing_predict)
    app = server.create_app(str(tmp_path), metrics_path=PATH)
    failed, page = _get_all(app, [("POST", "/v1/models/ner:predict", {"instances": ["EU"]}),
                                  ("GET", PATH, None)])
    assert failed.status_code == 500
    assert value(families(page.text), TF + "request_count", TF + "request_count",
                 model_name="ner", status="INTERNAL") == 1


def test_model_batches_use_tf_servings_batching_histograms():
    metrics = ServingMetrics(lambda: {})
    before = families(generate_latest(metrics).decode())
    assert not before[TF + "batching_session:processed_batch_size"].samples  # until it batches
    metrics.observe_model_batch(8)
    metrics.observe_model_batch(4)
    after = families(generate_latest(metrics).decode())
    size = TF + "batching_session:processed_batch_size"
    assert value(after, size, size + "_count") == 2 and value(after, size, size + "_sum") == 12
    padding = TF + "batching_session:padding_size"
    assert value(after, padding, padding + "_count", execution_batch_size="8") == 1
    assert value(after, padding, padding + "_sum", execution_batch_size="8") == 0


@pytest.mark.parametrize("method, path, labels", [
    ("POST", "/v1/models/ner:predict", ("ner", "predict")),
    ("POST", "/v1/models/ner/versions/3:classify", ("ner", "classify")),
    ("POST", "/V1/Models/ner/labels/stable:predict", ("ner", "predict")),
    ("POST", "/v1/models/ner:explain", ("", "")),
    ("GET", "/v1/models/ner/versions/3/metadata", ("ner", "")),
    ("GET", "/v1/models", ("", "")),
    ("GET", "/v1/models/ner/versions/x", ("", "")),
    ("DELETE", "/v1/models/ner", ("", "")),
])
def test_rest_labels_as_tf_serving_parses_the_url(method, path, labels):
    assert tf_serving_metrics.rest_labels(method, path) == labels


def test_buckets_are_tf_servings_as_it_prints_them():
    bounds = tf_serving_metrics.LATENCY_BUCKETS_US
    assert len(bounds) == 33 and bounds[:4] == [10, 18, 32.4, 58.32]
    # 10 * 1.8**7 = 612.220032 and 10 * 1.8**32 = 1474755971.3, printed with 6 digits
    assert bounds[7] == 612.22 and bounds[-1] == 1.47476e9
    assert tf_serving_metrics.BATCH_SIZE_BUCKETS == [2 ** i for i in range(14)]


# --- the monitoring config file -------------------------------------------------------------

@pytest.mark.parametrize("text, path", [
    ('prometheus_config {\n  enable: true,\n  path: "/monitoring/prometheus/metrics"\n}\n', PATH),
    ("prometheus_config { enable: true }", PATH),  # TF Serving's default path
    ('prometheus_config { enable: true path: "/metrics" }', "/metrics"),
    ('prometheus_config { enable: false path: "/metrics" }', None),
    ("", None),
])
def test_monitoring_config_gives_the_metrics_path(tmp_path, text, path):
    assert monitoring_config.metrics_path(write(tmp_path, text)) == path


@pytest.mark.parametrize("text, message", [
    ("prometheus_config { enabled: true }", 'has no field named "enabled"'),
    ("prometheus_config { enable: true", "Expected"),
    ('prometheus_config { enable: true path: "metrics" }', "must start with '/'"),
])
def test_bad_monitoring_configs_are_refused(tmp_path, text, message):
    with pytest.raises(MonitoringConfigError, match=message):
        monitoring_config.metrics_path(write(tmp_path, text))


def test_serve_passes_the_metrics_path_or_refuses_the_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(console, "quiet_third_party_output", lambda: None)
    monkeypatch.setattr(console, "configure_logging", lambda **_kwargs: None)
    monkeypatch.setattr("uvicorn.run", lambda app, **_kwargs: None)
    created = []
    monkeypatch.setattr(server, "create_app", lambda *args, **kwargs: created.append(kwargs))
    config = write(tmp_path, "prometheus_config { enable: true }")
    assert cli.main(["serve", "--model-dir", str(tmp_path), "--monitoring_config_file",
                     config]) == 0
    assert cli.main(["serve", "--model-dir", str(tmp_path)]) == 0
    assert [kwargs["metrics_path"] for kwargs in created] == [PATH, None]
    assert cli.main(["serve", "--model-dir", str(tmp_path), "--monitoring-config-file",
                     str(tmp_path / "none.txt")]) == 1
    assert "--monitoring_config_file" in capsys.readouterr().err
