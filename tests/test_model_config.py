"""TF Serving's model config file, version policies and labels in the serving stand-in.

No model and no TensorFlow: versions are directories with a dummy saved_model.pb,
loaded by a fake loader. tests/test_serving_versions.py runs the real server.
"""

import logging
import pathlib
import types

import pytest
from tensorflow_serving.config import model_server_config_pb2

from serving import model_config, version_labels, version_policy
from serving.errors import ServingError
from serving.model_config import ConfigError
from serving.model_store import ModelStore, VersionState
from serving.served_models import ConfigFile, ServedModels
from serving.version_labels import VersionLabel
from serving.version_policy import All, Latest, Specific

AVAILABLE, END = VersionState("AVAILABLE"), VersionState("END")


def make_versions(base: pathlib.Path, *versions: int) -> pathlib.Path:
    for version in versions:
        (base / str(version)).mkdir(parents=True, exist_ok=True)
        (base / str(version) / "saved_model.pb").write_bytes(b"pb")
    return base


def fake_load(path, version):
    return types.SimpleNamespace(version=version, path=path)


def config_text(base, policy="", labels=(), name="ner") -> str:
    label_text = "".join(f'version_labels {{ key: "{key}" value: {value} }} '
                         for key, value in labels)
    return (f'model_config_list {{ config {{ name: "{name}" base_path: "{base}" '
            f'model_platform: "tensorflow" {policy} {label_text}}} }}\n')


# --- version policies ------------------------------------------------------------------------

def test_policies_choose_versions_as_tf_serving_does():
    assert Latest(2).select({1, 5, 3}) == {3, 5}
    assert All().select({1, 5}) == {1, 5}
    assert Specific(frozenset({1, 4})).select({1, 2, 3}) == {1}
    proto = model_server_config_pb2.ModelConfig().model_version_policy
    assert version_policy.from_proto(proto) == Latest(1)  # unset: TF Serving's default
    proto.latest.num_versions = 0
    assert version_policy.from_proto(proto) == Latest(1)
    for text in ("latest:3", "all", "specific:3,4"):
        policy = version_policy.parse(text)
        version_policy.to_proto(policy, proto)
        assert str(version_policy.from_proto(proto)) == text
    for bad in ("latest", "latest:0", "latest:-1", "newest:2", "all:1", "specific:", "specific:a"):
        with pytest.raises(ValueError, match="is not latest:N"):
            version_policy.parse(bad)


# --- the file --------------------------------------------------------------------------------

def test_a_file_with_two_models_policies_and_labels(tmp_path):
    path = tmp_path / "models.config"
    path.write_text(
        config_text("/srv/ner", "model_version_policy { specific { versions: 3 versions: 4 } }",
                    [("stable", 3), ("canary", 4)]).rstrip()[:-1]
        + 'config { name: "other" base_path: "gs://bucket/other" model_type: TENSORFLOW '
          'model_version_policy { all {} } } }')
    ner, other = model_config.entries(model_config.read(str(path)), str(path))
    assert ner == model_config.ModelEntry("ner", "/srv/ner", Specific(frozenset({3, 4})),
                                          {"stable": 3, "canary": 4})
    assert (other.name, other.policy, other.labels) == ("other", All(), {})


def test_syntax_errors_name_the_file_line_and_column(tmp_path):
    path = tmp_path / "models.config"
    path.write_text('model_config_list {\n  config {\n    name: "ner"\n    nme: 1\n  }\n}\n')
    with pytest.raises(ConfigError) as raised:
        model_config.read(str(path))
    assert str(raised.value) == (f'{path}:4:5: Message type "tensorflow.serving.ModelConfig" '
                                 'has no field named "nme".')
    with pytest.raises(ConfigError, match="cannot read the model config"):
        model_config.read(str(tmp_path / "missing.config"))


BAD_CONFIGS = [
    ("no models", "", "no model_config_list"),
    ("custom config", 'custom_model_config { type_url: "x" }', "custom_model_config: not supp"),
    ("same name twice", config_text("/m").rstrip()[:-1] + 'config { name: "ner" } }',
     "config[1] (ner): name: Illegal to list model ner multiple times in config list"),
    ("relative path", config_text("models/ner"), "config[0] (ner): base_path: Expected model ner"
     " to have an absolute path or URI; got base_path()=models/ner"),
    ("no platform", 'model_config_list { config { name: "ner" base_path: "/m" } }',
     "model_platform: Illegal setting neither ModelServerConfig::model_type"),
    ("other platform", config_text("/m").replace('"tensorflow"', '"tflite"'),
     "Model ner requests unsupported platform tflite"),
    ("type and platform", config_text("/m").replace("model_platform", "model_type: TENSORFLOW "
                                                                      "model_platform"),
     "Illegal setting both ModelServerConfig::model_type"),
    ("empty specific", config_text("/m", "model_version_policy { specific {} }"),
     "model_version_policy.specific: no versions listed"),
    ("label off the policy", config_text("/m", "model_version_policy { specific { versions: 3 }"
                                               " }", [("stable", 2)]),
     "version_labels stable: version 2 is never loaded: model_version_policy is specific:3"),
]


@pytest.mark.parametrize("text, message", [case[1:] for case in BAD_CONFIGS],
                         ids=[case[0] for case in BAD_CONFIGS])
def test_configs_tf_serving_would_refuse(tmp_path, text, message):
    with pytest.raises(ConfigError) as raised:
        model_config.entries(model_config.parse(text, "models.config"), "models.config")
    assert message in str(raised.value) and str(raised.value).startswith("models.config: ")
    assert "\n" not in str(raised.value)


def test_labels_point_only_at_loaded_versions_unless_allowed():
    entry = model_config.ModelEntry("ner", "/m", Latest(2), {"stable": 2})

    def check(current, allow):
        return version_labels.checked([entry], current, lambda name: {1}, allow, "f")

    with pytest.raises(ConfigError, match="Request to assign label to version 2 of model ner, "
                                          "which is not currently available for inference"):
        check({}, allow=False)
    assert check({}, allow=True) == {"ner": {"stable": 2}}  # a new label may wait
    assert check({"ner": {"stable": 2}}, allow=True) == {"ner": {"stable": 2}}
    with pytest.raises(ConfigError):  # moving a label needs a loaded version, flag or not
        check({"ner": {"stable": 1}}, allow=True)
    with pytest.raises(ServingError) as raised:
        version_labels.resolve({"ner": {"stable": 2}}, "ner", "beta")
    assert (raised.value.status, raised.value.message) == (
        400, "Unrecognized servable version label: beta")


# --- a store under a policy ------------------------------------------------------------------

def test_store_follows_its_policy_and_keeps_a_version_until_a_wanted_one_loads(tmp_path):
    base = make_versions(tmp_path / "ner", 1, 2, 3)
    store = ModelStore(str(base), "ner", fake_load)
    store.reconfigure(str(base), Specific(frozenset({1, 3})))
    store.poll(wait_for_settled_files=False)
    assert store.available_versions() == {1, 3}
    store.reconfigure(str(base), Specific(frozenset({2})))
    store.poll()  # version 2's files are seen for the first time: not loaded yet
    assert store.available_versions() == {3}  # the newest held one keeps serving
    store.poll()
    assert store.available_versions() == {2}
    assert store.states("ner") == [(3, END), (2, AVAILABLE), (1, END)]
    store.reconfigure(str(base), All())
    store.poll(wait_for_settled_files=False)
    assert store.available_versions() == {1, 2, 3}


# --- served models, labels and reloading the file ---------------------------------------------

@pytest.fixture
def served(tmp_path):
    """ServedModels from a config file (versions 1, 2; stable=1), polling not started."""
    base = make_versions(tmp_path / "ner", 1, 2)
    path = tmp_path / "models.config"
    policy = "model_version_policy { specific { versions: 1 versions: 2 } }"
    path.write_text(config_text(base, policy, [("stable", 1)]))
    models = ServedModels.from_config_file(ConfigFile(str(path), 1.0, True), fake_load)
    models.poll(wait_for_settled_files=False)
    return types.SimpleNamespace(models=models, path=path, base=base, policy=policy)


def test_labels_at_start_up_need_the_flag_as_in_tf_serving(tmp_path):
    base = make_versions(tmp_path / "ner", 1)
    path = tmp_path / "models.config"
    path.write_text(config_text(base, labels=[("stable", 1)]))
    with pytest.raises(ConfigError, match="version 1 of model ner, which is not currently "
                                          "available for inference; at start-up no version "
                                          "is loaded yet: give --allow_version_labels_for"):
        ServedModels.from_config_file(ConfigFile(str(path)), fake_load)
    path.write_text(config_text(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="missing is not a directory"):
        ServedModels.from_config_file(ConfigFile(str(path)), fake_load)


def test_versions_by_number_label_or_newest(served):
    models = served.models
    assert models.servable("ner").version == 2
    assert models.servable("ner", 1).version == 1
    assert models.servable("ner", VersionLabel("stable")).version == 1
    # TF Serving's status API ignores a label, known or not: every version.
    assert models.states("ner", VersionLabel("beta")) == [(2, AVAILABLE), (1, AVAILABLE)]
    for name in ("ner", "bert"):
        with pytest.raises(ServingError, match="^Unrecognized servable version label: beta$"):
            models.servable(name, VersionLabel("beta"))
    with pytest.raises(ServingError, match=r"Servable not found for request: Specific\(bert, 1"):
        models.servable("bert", 1)
    with pytest.raises(ServingError, match="Could not find any versions of model bert"):
        models.states("bert")


def test_rollback_is_one_label_edit_and_bad_edits_keep_the_config(served, caplog):
    models, path = served.models, served.path
    path.write_text(config_text(served.base, served.policy, [("stable", 2)]))
    models.reload()
    assert models.servable("ner", VersionLabel("stable")).version == 2
    path.write_text(config_text(served.base, served.policy, [("stable", 1)]))  # rollback
    models.reload()
    assert models.servable("ner", VersionLabel("stable")).version == 1
    with caplog.at_level(logging.ERROR, logger="serving.served_models"):
        path.write_text("model_config_list { config { name: ")  # half an edit
        models.reload()
        models.reload()  # the same error is logged once
        path.write_text(config_text(served.base, served.policy, [("stable", 7)]))
        models.reload()
    assert [record.getMessage() for record in caplog.records
            if record.levelno >= logging.ERROR] == [
        f"Keeping the previous model config: {path}:1:36: '': Expected string but found: ''",
        f"Keeping the previous model config: {path}: model_config_list.config[0] (ner): "
        "version_labels stable: version 7 is never loaded: model_version_policy is specific:1,2"]
    assert models.servable("ner", VersionLabel("stable")).version == 1


def test_models_added_and_removed_by_editing_the_file(served, tmp_path):
    models, path = served.models, served.path
    other = make_versions(tmp_path / "other", 5)
    models.start_polling(60)  # serving: a model added now is loaded before reload returns
    try:
        path.write_text(config_text(served.base, served.policy).rstrip()[:-1]
                        + f'config {{ name: "other" base_path: "{other}" '
                          'model_platform: "tensorflow" } }')
        models.reload()
        assert models.servable("other").version == 5
        path.write_text(config_text(other, name="other"))
        models.reload()
    finally:
        models.stop_polling()
    assert models.states("ner") == [(2, END), (1, END)]  # unloaded, still listed
    with pytest.raises(ServingError, match=r"Latest\(ner\)"):
        models.servable("ner")
