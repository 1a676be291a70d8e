"""Edits of a TF Serving model config file, one model at a time (``ner-pipeline model-config``).

The file is read and written with TF Serving's proto in protobuf text format,
so ``tensorflow_model_server --model_config_file`` reads what the stand-in
reads; the result must pass the same checks as a file the server is given.
"""

import argparse
import os
import re
from typing import Dict, List

from tensorflow_serving.config import model_server_config_pb2

from serving import model_config, version_policy

# Labels TF Serving's REST API documents ("Word characters": [a-zA-Z0-9_]+).
_LABEL = re.compile(r"[A-Za-z0-9_]+")


def edited(args: argparse.Namespace) -> str:
    """Edits ``args.file`` as the options say and returns a summary. ConfigError: the file
    as it is cannot be used; ValueError (one line): the options do not fit it."""
    config = _current(args.file)
    summary = _edit(config, args)
    try:
        model_config.entries(config, args.file)
    except model_config.ConfigError as error:
        raise ValueError(str(error)) from None
    model_config.write(config, args.file)
    return summary


def _current(path: str) -> model_server_config_pb2.ModelServerConfig:
    """The file as it is: empty if missing; a file with models must be valid as it stands."""
    if not os.path.exists(path):
        return model_server_config_pb2.ModelServerConfig()
    config = model_config.read(path)
    if config.model_config_list.config:
        model_config.entries(config, path)
    return config


def _edit(config: model_server_config_pb2.ModelServerConfig, args: argparse.Namespace) -> str:
    """Applies the options to ``config``; ValueError (one line) for options that do not fit."""
    changes = [args.base_path, args.policy, args.label, args.remove_label, args.remove_model]
    if not any(changes):
        raise ValueError("nothing to change: give --base-path, --policy, --label, "
                         "--remove-label or --remove-model")
    models = config.model_config_list.config
    found = [index for index, model in enumerate(models) if model.name == args.model_name]
    if args.remove_model:
        return _remove(config, args, found)
    if found:
        model = models[found[0]]
    else:
        if args.base_path is None:
            raise ValueError(f"--base-path: needed to add model {args.model_name} to "
                             f"{args.file}")
        model = models.add(name=args.model_name,
                           model_platform=model_config.TENSORFLOW_PLATFORM)
    if args.base_path is not None:
        model.base_path = _base_path(args.base_path)
    if args.policy is not None:
        version_policy.to_proto(_policy(args.policy), model.model_version_policy)
    labels = _labels(args.label)
    for label in args.remove_label:
        if label in labels:
            raise ValueError(f"--remove-label {label}: --label sets it too")
        if label not in model.version_labels:
            raise ValueError(f"--remove-label {label}: model {model.name} has no such label")
        del model.version_labels[label]
    model.version_labels.update(labels)
    policy = version_policy.from_proto(model.model_version_policy)
    shown = "".join(f", {name}={version}" for name, version in sorted(model.version_labels.items()))
    return f"model {model.name} from {model.base_path}, versions {policy}{shown}"


def _remove(config: model_server_config_pb2.ModelServerConfig, args: argparse.Namespace,
            found: List[int]) -> str:
    if any([args.base_path, args.policy, args.label, args.remove_label]):
        raise ValueError("--remove-model: give no other change with it")
    if not found:
        raise ValueError(f"--remove-model: no model {args.model_name} in {args.file}")
    if len(config.model_config_list.config) == 1:
        raise ValueError(f"--remove-model: {args.model_name} is the only model of {args.file}; "
                         "delete the file instead")
    del config.model_config_list.config[found[0]]
    return f"removed model {args.model_name}"


def _base_path(path: str) -> str:
    if "://" not in path and not os.path.isabs(path):
        raise ValueError(f"--base-path {path}: TF Serving needs an absolute path or a URI "
                         f"(for example {os.path.abspath(path)})")
    return path


def _policy(text: str) -> version_policy.VersionPolicy:
    try:
        return version_policy.parse(text)
    except ValueError as error:
        raise ValueError(f"--policy: {error}") from None


def _labels(options: List[str]) -> Dict[str, int]:
    labels: Dict[str, int] = {}
    for option in options:
        name, equals, version = option.partition("=")
        if not (equals and _LABEL.fullmatch(name) and version.isascii() and version.isdigit()):
            raise ValueError(f"--label {option}: expected NAME=VERSION, NAME of letters, digits "
                             "and _, VERSION a version number")
        if name in labels:
            raise ValueError(f"--label {name}: given twice")
        labels[name] = int(version)
    return labels
