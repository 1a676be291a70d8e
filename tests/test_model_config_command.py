"""The ``model-config`` command, serve's model options and the Compose override for TF
Serving's model config file. No server runs; see tests/test_serving_versions.py."""

import pathlib

import pytest
import yaml
from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from pipeline import cli
from serving import model_config
from tests.test_model_config import config_text

PROJECT_ROOT = pathlib.Path(__file__).resolve().parents[1]


# --- the model-config command ----------------------------------------------------------------

def test_model_config_command_writes_tf_servings_format(tmp_path, capsys):
    path = tmp_path / "models.config"
    assert cli.main(["model-config", "--file", str(path), "--base-path", "/srv/ner",
                     "--policy", "specific:3,4", "--label", "stable=3", "--label",
                     "canary=4"]) == 0
    assert capsys.readouterr().out == (f"Wrote {path}: model ner from /srv/ner, versions "
                                       "specific:3,4, canary=4, stable=3\n")
    expected = model_server_config_pb2.ModelServerConfig()
    text_format.Parse(config_text("/srv/ner", "model_version_policy { specific { versions: 3 "
                                              "versions: 4 } }", [("stable", 3), ("canary", 4)]),
                      expected)
    assert path.read_text() == text_format.MessageToString(expected)
    assert cli.main(["model-config", "--file", str(path), "--label", "stable=4",
                     "--remove-label", "canary"]) == 0
    assert model_config.read(str(path)).model_config_list.config[0].version_labels == {
        "stable": 4}


BAD_EDITS = [
    ([], 2, "nothing to change"),
    (["--model-name", "bert", "--policy", "all"], 2, "--base-path: needed to add model bert"),
    (["--base-path", "models"], 2, "--base-path models: TF Serving needs an absolute path"),
    (["--policy", "latest:0"], 2, "--policy: 'latest:0' is not latest:N"),
    (["--label", "can-ary=3"], 2, "--label can-ary=3: expected NAME=VERSION"),
    (["--label", "stable=9"], 2, "version_labels stable: version 9 is never loaded"),
    (["--remove-label", "beta"], 2, "--remove-label beta: model ner has no such label"),
    (["--remove-model"], 2, "--remove-model: ner is the only model of"),
]


@pytest.mark.parametrize("options, code, message", BAD_EDITS, ids=[" ".join(case[0]) or "none"
                                                                  for case in BAD_EDITS])
def test_model_config_command_refuses_bad_edits_in_one_line(tmp_path, capsys, options, code,
                                                           message):
    path = tmp_path / "models.config"
    path.write_text(config_text("/srv/ner", "model_version_policy { specific { versions: 3 } }",
                                [("stable", 3)]))
    before = path.read_text()
    assert cli.main(["model-config", "--file", str(path), *options]) == code
    error = capsys.readouterr().err
    assert error.startswith("ner-pipeline model-config: error: ") and message in error
    assert error.count("\n") == 1 and path.read_text() == before
    path.write_text("model_config_list {")
    assert cli.main(["model-config", "--file", str(path), "--label", "a=3"]) == 1
    assert f'{path}:1:19: Expected "}}".' in capsys.readouterr().err


SERVE_USAGE = [
    ([], 2, "give --model-dir DIR (the Pusher's directory) or --model_config_file FILE"),
    (["--model-dir", "m", "--model_config_file", "f"], 2, "--model-dir: not with"),
    (["--model-dir", "m", "--model_config_file_poll_wait_seconds", "5"], 2,
     "--model_config_file_poll_wait_seconds: only with --model_config_file FILE"),
    (["--model-config-file", "f", "--model-config-file-poll-wait-seconds", "-1"], 2,
     "must be 0 (read once) or more"),
    (["--model_config_file", "{missing}"], 1, "cannot read the model config"),
]


@pytest.mark.parametrize("options, code, message", SERVE_USAGE,
                         ids=[" ".join(case[0]) or "none" for case in SERVE_USAGE])
def test_serve_checks_its_model_options(tmp_path, capsys, options, code, message):
    options = [option.format(missing=tmp_path / "missing") for option in options]
    assert cli.main(["serve", *options]) == code
    error = capsys.readouterr().err
    assert error.startswith("ner-pipeline serve: error: ") and message in error


def test_compose_override_adds_the_config_flags_to_the_base_command():
    """Compose replaces a command: the override must repeat the base file's flags."""
    def service(name):
        return yaml.safe_load((PROJECT_ROOT / "serving" / name).read_text())["services"][
            "tf-serving"]

    base, override = service("docker-compose.yml"), service("docker-compose.model-config.yml")
    command = override["command"]
    assert command[:len(base.get("command", []))] == base.get("command", [])
    assert "--model_config_file=/etc/tf-serving/model_config/models.config" in command
    assert "--model_config_file_poll_wait_seconds=10" in command
    source, target, mode = override["volumes"][0].rsplit(":", 2)
    assert (target, mode) == ("/etc/tf-serving/model_config", "ro")  # a directory, not the file
