"""The plumbing of benchmarks/rollout.py (and tests/test_serving_versions.py): a model
directory laid out as the Pusher writes it, a model config file, and the stand-in
serving it from a subprocess on 127.0.0.1.
"""

import contextlib
import pathlib
import shutil
import socket
import subprocess
import sys
import time
from typing import Dict, Iterator

import requests

SENTENCES = ["EU rejects German call to boycott British lamb .", "Peter Blackburn",
             "Japan beat Syria 2-1 in Abu Dhabi on Friday", "BRUSSELS 1996-08-22"]
STABLE = "stable"
SAVED_MODEL_FILE = "saved_model.pb"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ner_pipeline(*arguments: str, **options) -> subprocess.CompletedProcess:
    command = [str(pathlib.Path(sys.executable).with_name("ner-pipeline")), *arguments]
    return subprocess.run(command, check=True, capture_output=True, text=True, **options)


def push_version(source: pathlib.Path, base: pathlib.Path, version: int) -> None:
    """TFX's Pusher: every file but saved_model.pb, then saved_model.pb (the sign of a
    complete version that model servers wait for)."""
    target = base / str(version)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(SAVED_MODEL_FILE))
    shutil.copy2(source / SAVED_MODEL_FILE, target / SAVED_MODEL_FILE)


def with_warmup_requests(source: pathlib.Path, work: pathlib.Path) -> pathlib.Path:
    """A copy of ``source`` with TF Serving's warm-up file (one predict per sentence), as
    TFX's InfraValidator writes it with make_warmup."""
    import tensorflow as tf  # only for this variant
    from tensorflow_serving.apis import prediction_log_pb2
    copy = work / "source" / source.name
    shutil.copytree(source, copy)
    (copy / "assets.extra").mkdir()
    with tf.io.TFRecordWriter(str(copy / "assets.extra" / "tf_serving_warmup_requests")) as out:
        for sentence in SENTENCES:
            log = prediction_log_pb2.PredictionLog()
            request = log.predict_log.request
            request.model_spec.name, request.model_spec.signature_name = "ner", "serving_default"
            request.inputs["sentences"].CopyFrom(tf.make_tensor_proto([sentence]))
            out.write(log.SerializeToString())
    return copy


def prepare(source: pathlib.Path, work: pathlib.Path) -> Dict:
    """Version V of ``source`` pushed to ``work``/serving, and the config file naming it."""
    version = int(source.name)
    base = work / "serving"
    base.mkdir(parents=True)
    push_version(source, base, version)
    config = work / "models.config"
    ner_pipeline("model-config", "--file", str(config), "--base-path", str(base),
                 "--policy", "latest:2", "--label", f"{STABLE}={version}")
    return {"source": source, "base": base, "config": config, "version": version}


@contextlib.contextmanager
def running_server(config: pathlib.Path, log_path: pathlib.Path) -> Iterator[str]:
    """`ner-pipeline serve` on the config file; yields its URL once the model is loaded."""
    port = free_port()
    command = [str(pathlib.Path(sys.executable).with_name("ner-pipeline")), "serve",
               "--model_config_file", str(config), "--model_config_file_poll_wait_seconds",
               "1", "--allow_version_labels_for_unavailable_models", "--poll-seconds", "1",
               "--port", str(port)]
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while not _answers(url):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not come up; see {log_path}")
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(60)


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/v1/models/ner", timeout=5).ok
    except requests.ConnectionError:
        return False


def wait_until(condition, seconds: float = 300.0) -> float:
    """When ``condition`` held, checked 5 times a second (status requests add little load)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.2)
    return time.monotonic()


def version_available(url: str, version: int) -> bool:
    states = requests.get(url + "/v1/models/ner", timeout=30).json()["model_version_status"]
    return {"version": str(version), "state": "AVAILABLE"} in [
        {key: item[key] for key in ("version", "state")} for item in states]
