"""TF Serving's --model_config_file: a ModelServerConfig in protobuf text format.

The file is parsed with TF Serving's own proto (tensorflow-serving-api) and
protobuf's text format, so any file accepted here has TF Serving's syntax.
The checks after parsing are TF Serving's (server_core.cc: unique names,
absolute base paths, the "tensorflow" platform), with its messages, plus a
few the stand-in adds because the file could never serve as meant: no
models, an empty ``specific`` policy, or a label on a version that a
``specific`` policy does not list. Every error is one line naming the file
and the line or field.
"""

import dataclasses
import os
import tempfile
from typing import List, Mapping

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from serving import version_policy
from serving.version_policy import VersionPolicy

TENSORFLOW_PLATFORM = "tensorflow"
_TENSORFLOW_MODEL_TYPE = 1  # the deprecated ModelType.TENSORFLOW


class ConfigError(ValueError):
    """A model config that cannot be served; the message is one line."""


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """One ``config { ... }`` of the file, checked."""

    name: str
    base_path: str
    policy: VersionPolicy
    labels: Mapping[str, int]


def parse(text: str, path: str) -> model_server_config_pb2.ModelServerConfig:
    config = model_server_config_pb2.ModelServerConfig()
    try:
        text_format.Parse(text, config)
    except text_format.ParseError as error:
        message = str(error).split(" : ", 1)[-1]
        raise ConfigError(f"{path}:{error.GetLine()}:{error.GetColumn()}: {message}") from None
    return config


def read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the model config: {error}") from None


def read(path: str) -> model_server_config_pb2.ModelServerConfig:
    return parse(read_text(path), path)


def entries(config: model_server_config_pb2.ModelServerConfig, path: str) -> List[ModelEntry]:
    """The models of a parsed config, checked as TF Serving checks them."""
    choice = config.WhichOneof("config")
    if choice == "custom_model_config":
        raise ConfigError(f"{path}: custom_model_config: not supported; use model_config_list")
    if choice is None or not config.model_config_list.config:
        raise ConfigError(f"{path}: no model_config_list {{ config {{ ... }} }}: no model to serve")
    checked, names = [], set()
    for index, model in enumerate(config.model_config_list.config):
        where = f"{path}: model_config_list.config[{index}]"
        if not model.name:
            raise ConfigError(f"{where}: name: empty")
        where += f" ({model.name})"
        if model.name in names:
            raise ConfigError(f"{where}: name: Illegal to list model {model.name} multiple "
                              "times in config list")
        names.add(model.name)
        checked.append(_entry(model, where))
    return checked


def write(config: model_server_config_pb2.ModelServerConfig, path: str) -> None:
    """Replaces the file in one step, so a server polling it never reads half a file."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".model-config-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as output:
            output.write(text_format.MessageToString(config))
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _entry(model: model_server_config_pb2.ModelConfig, where: str) -> ModelEntry:
    _check_platform(model, where)
    if "://" not in model.base_path and not os.path.isabs(model.base_path):
        raise ConfigError(f"{where}: base_path: Expected model {model.name} to have an absolute "
                          f"path or URI; got base_path()={model.base_path}")
    policy = version_policy.from_proto(model.model_version_policy)
    if isinstance(policy, version_policy.Specific):
        if not policy.versions:
            raise ConfigError(f"{where}: model_version_policy.specific: no versions listed")
        for label, version in sorted(model.version_labels.items()):
            if version not in policy.versions:
                raise ConfigError(
                    f"{where}: version_labels {label}: version {version} is never loaded: "
                    f"model_version_policy is {policy}")
    return ModelEntry(model.name, model.base_path, policy, dict(model.version_labels))


def _check_platform(model: model_server_config_pb2.ModelConfig, where: str) -> None:
    """TF Serving's GetPlatform and its route check, with their messages."""
    if model.model_type:
        if model.model_platform:
            raise ConfigError(
                f"{where}: model_type: Illegal setting both ModelServerConfig::model_type "
                f"(deprecated) and ModelServerConfig::model_platform, model name is {model.name}")
        if model.model_type != _TENSORFLOW_MODEL_TYPE:
            raise ConfigError(f"{where}: model_type: ModelServerConfig::model_type choice "
                              f"{model.model_type} not supported.")
        return
    if not model.model_platform:
        raise ConfigError(
            f"{where}: model_platform: Illegal setting neither ModelServerConfig::model_type "
            f"(deprecated) nor ModelServerConfig::model_platform, model name is {model.name}")
    if model.model_platform != TENSORFLOW_PLATFORM:
        raise ConfigError(f"{where}: model_platform: Model {model.name} requests unsupported "
                          f"platform {model.model_platform}")
