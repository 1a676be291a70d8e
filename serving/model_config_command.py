"""``ner-pipeline model-config``: writes or edits a TF Serving model config file.

One model (``--model-name``) per call: add it, change its base path, version
policy or labels, or remove it; the other models of the file are kept. The
file is replaced in one step, so a server polling it never sees half an
edit. A rollback is one call: ``--label stable=<previous version>``.
"""

import argparse
import sys


def add_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "model-config", help="Write or edit a TF Serving model config file (versions, labels).",
        description="Write or edit the --model_config_file of 'ner-pipeline serve' and of TF "
                    "Serving: one model's base path, version policy and version labels. A "
                    "server polling the file (--model_config_file_poll_wait_seconds) applies "
                    "the change. TF Serving assigns a label only to a version that is loaded.")
    parser.add_argument("--file", required=True, help="The config file (created if missing; "
                                                      "comments in it are not kept)")
    parser.add_argument("--model-name", default="ner", help="The model to edit (default: ner)")
    parser.add_argument("--base-path", help="Absolute directory or URI holding the numbered "
                                            "versions (needed to add a model)")
    parser.add_argument("--policy", metavar="latest:N|all|specific:V,V",
                        help="Versions to serve (TF Serving's default is latest:1)")
    parser.add_argument("--label", action="append", default=[], metavar="NAME=VERSION",
                        help="Point a label at a version, e.g. stable=1796290961 (repeatable)")
    parser.add_argument("--remove-label", action="append", default=[], metavar="NAME",
                        help="Remove a label (repeatable)")
    parser.add_argument("--remove-model", action="store_true",
                        help="Remove the model from the file")
    parser.set_defaults(handler=model_config_command)


def model_config_command(args: argparse.Namespace) -> int:
    """Exit 1 when the file as it is cannot be used, 2 when the options do not fit."""
    from serving import model_config_edit  # protobuf: only when the command runs
    from serving.model_config import ConfigError
    try:
        summary = model_config_edit.edited(args)
    except ConfigError as error:
        print(f"ner-pipeline model-config: error: {error}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"ner-pipeline model-config: error: {error}", file=sys.stderr)
        return 2
    print(f"Wrote {args.file}: {summary}")
    return 0
