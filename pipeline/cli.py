"""The ``ner-pipeline`` command. Options are generated from PipelineConfig's fields."""

import argparse
import dataclasses
import sys
import typing
import warnings
from typing import List, Optional

from pipeline.config import PipelineConfig


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    for field in dataclasses.fields(PipelineConfig):
        option = "--" + field.name.replace("_", "-")
        help_text = field.metadata["help"]
        field_type = typing.get_type_hints(PipelineConfig)[field.name]
        if field_type is bool:
            parser.add_argument(option, dest=field.name, action=argparse.BooleanOptionalAction,
                                default=field.default, help=help_text)
        elif typing.get_origin(field_type) is list:
            default = field.default_factory()
            parser.add_argument(option.rstrip("s"), dest=field.name, action="append",
                                metavar="ARG", help=f"{help_text} Repeatable, e.g. "
                                f"{option.rstrip('s')}=--direct_num_workers=2; default: {default}.")
        else:
            required = field.default is None and field_type is str
            parser.add_argument(option, dest=field.name, required=required, default=field.default,
                                help=help_text if field.default is None else f"{help_text} (default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ner-pipeline",
        description="TFX pipeline that turns CoNLL NER text into a blessed, servable BERT model.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="Run the pipeline locally (LocalDagRunner, Beam DirectRunner, SQLite MLMD).",
        description="Run the pipeline locally (LocalDagRunner, Beam DirectRunner, SQLite MLMD).")
    _add_config_options(run)
    run.add_argument("--verbose", action="store_true",
                     help="Show every log line of TFX and Beam, not only progress and warnings.")
    return parser


def config_from_args(args: argparse.Namespace) -> PipelineConfig:
    values = {field.name: getattr(args, field.name) for field in dataclasses.fields(PipelineConfig)}
    return PipelineConfig(**{name: value for name, value in values.items() if value is not None})


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        if not args.verbose:
            # google-api-core nags about Python 3.10 on import of every cloud client.
            warnings.filterwarnings("ignore", category=FutureWarning, module="google")
        # Heavy imports only when running, so --help stays instant.
        from pipeline import local_runner, run_summary
        from pipeline.errors import data_error_message
        config = config_from_args(args)
        local_runner.configure_logging(args.verbose)
        try:
            local_runner.run(config)
        except Exception as error:  # pylint: disable=broad-except
            message = data_error_message(error)
            if message is None:
                raise
            print(f"ner-pipeline: error: {message}", file=sys.stderr)
            return 1
        print(run_summary.summarize(config.resolved_metadata_path, config.pipeline_name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
