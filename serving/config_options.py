"""``ner-pipeline serve``'s options for serving from a TF Serving model config file.

They take TF Serving's flag names (``--model_config_file``, ...), so a
command line can be moved between the stand-in and ``tensorflow_model_server``
unchanged, and the hyphenated spelling of the other options as well.
"""

import argparse
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:  # served_models loads protobuf: not while building the parser
    from serving.served_models import ServedModels


def add_serve_options(serve: argparse.ArgumentParser) -> None:
    group = serve.add_argument_group(
        "models from a TF Serving model config file (instead of --model-dir)")
    group.add_argument(
        "--model-config-file", "--model_config_file", dest="model_config_file", metavar="FILE",
        help="A ModelServerConfig in protobuf text format (TF Serving's): each model's name, "
             "base_path, model_version_policy and version_labels; see "
             "'ner-pipeline model-config'. --model-name and --num-versions are then ignored")
    group.add_argument(
        "--model-config-file-poll-wait-seconds", "--model_config_file_poll_wait_seconds",
        dest="model_config_file_poll_wait_seconds", type=float, metavar="SECONDS",
        help="Re-read the file this often and apply its changes, e.g. a label moved back for "
             "a rollback (default: 0, read once at start-up)")
    group.add_argument(
        "--allow-version-labels-for-unavailable-models",
        "--allow_version_labels_for_unavailable_models",
        dest="allow_version_labels_for_unavailable_models", nargs="?", const=True,
        type=_true_or_false, metavar="true|false",
        help="Let a new label point at a version that is not loaded yet (needed for labels in "
             "the file at start-up, as in TF Serving)")


def _true_or_false(text: str) -> bool:
    """A boolean flag's value as TF Serving's flags take it (``--flag=true``)."""
    if text.lower() not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")
    return text.lower() == "true"


def usage_problem(args: argparse.Namespace) -> Optional[str]:
    """What is wrong with the combination of serve's model options, in one line; None if fine."""
    file_only = [f"--{name}" for name in ("model_config_file_poll_wait_seconds",
                                          "allow_version_labels_for_unavailable_models")
                 if getattr(args, name) is not None]
    if args.model_config_file is None:
        if file_only:
            return f"{', '.join(file_only)}: only with --model_config_file FILE"
        if args.model_dir is None:
            return "give --model-dir DIR (the Pusher's directory) or --model_config_file FILE"
        return None
    if args.model_dir is not None:
        return ("--model-dir: not with --model_config_file (the file gives each model's "
                "base_path)")
    if (args.model_config_file_poll_wait_seconds or 0) < 0:
        return "--model_config_file_poll_wait_seconds must be 0 (read once) or more"
    return None


def served_models(args: argparse.Namespace) -> Optional["ServedModels"]:
    """The models of --model_config_file (None without one); ConfigError if it cannot be
    served, found before TensorFlow is imported."""
    if args.model_config_file is None:
        return None
    from serving.served_models import ConfigFile, ServedModels
    config_file = ConfigFile(args.model_config_file,
                             args.model_config_file_poll_wait_seconds or 0.0,
                             bool(args.allow_version_labels_for_unavailable_models))
    return ServedModels.from_config_file(config_file, _load)


def _load(path: str, version: int):
    from serving import servable  # TensorFlow: once the file has been checked
    return servable.load(path, version)
