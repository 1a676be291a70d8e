"""The ``ner-pipeline`` command. Options are generated from PipelineConfig's fields."""

import argparse
import dataclasses
import sys
import typing
from typing import List, Optional

from contracts import console
from pipeline.config import PROFILES, PipelineConfig, TrainingConfig, config_for_profile
from pipeline.vertex import VertexTrainerConfig
from serving import commands as serving_commands


def _add_options(parser: argparse.ArgumentParser, config_class, group_title: str) -> None:
    group = parser.add_argument_group(group_title)
    defaults = config_class()
    for field in dataclasses.fields(config_class):
        field_type = typing.get_type_hints(config_class)[field.name]
        if dataclasses.is_dataclass(field_type):
            continue
        option = "--" + field.name.replace("_", "-")
        default = getattr(defaults, field.name)
        help_text = field.metadata["help"] + ("" if default is None else f" (default: {default})")
        if field_type is bool:
            group.add_argument(option, dest=field.name, action=argparse.BooleanOptionalAction,
                               default=argparse.SUPPRESS, help=help_text)
        elif typing.get_origin(field_type) is list:
            group.add_argument(option.rstrip("s"), dest=field.name, action="append",
                               default=argparse.SUPPRESS, metavar="ARG",
                               help=f"{help_text}. Repeatable, e.g. "
                                    f"{option.rstrip('s')}=--direct_num_workers=2.")
        else:
            scalar = typing.get_args(field_type)[0] if typing.get_origin(field_type) else field_type
            group.add_argument(option, dest=field.name, type=scalar, default=argparse.SUPPRESS,
                               required=default is None and field_type is str, help=help_text)


def _add_profile_and_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", choices=sorted(PROFILES), default="main",
                        help="Named defaults: 'main' (offline MiniLM, full training) or 'quick' "
                             "(tiny random BERT, 150 steps, threshold 0). Options override them.")
    _add_options(parser, PipelineConfig, "pipeline")
    _add_options(parser, TrainingConfig, "training")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ner-pipeline",
        description="TFX pipeline that turns CoNLL NER text into a blessed, servable BERT model.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="Run the pipeline locally (LocalDagRunner, Beam DirectRunner, SQLite MLMD).",
        description="Run the pipeline locally (LocalDagRunner, Beam DirectRunner, SQLite MLMD). "
                    "Defaults shown are the 'main' profile's.")
    run.add_argument("--verbose", action="store_true",
                     help="Show every log line of TFX and Beam, not only progress and warnings.")
    _add_profile_and_config_options(run)
    run.set_defaults(handler=run_command)

    compile_parser = commands.add_parser(
        "compile", help="Compile the pipeline for Vertex AI Pipelines / Kubeflow Pipelines v2.",
        description="Write the pipeline-spec JSON (KubeflowV2DagRunner) for Vertex AI Pipelines "
                    "or Kubeflow Pipelines v2. Paths are usually gs:// URLs; Beam stages take "
                    "--beam-pipeline-arg options (e.g. DataflowRunner).")
    compile_parser.add_argument("--target", choices=["vertex"], default="vertex",
                                help="Orchestrator to compile for (default: vertex).")
    compile_parser.add_argument("--image", required=True,
                                help="Pipeline image built from this repository's Dockerfile.")
    compile_parser.add_argument("--output", default="pipeline.json",
                                help="Where to write the pipeline-spec JSON (default: pipeline.json).")
    compile_parser.add_argument(
        "--image-project-root", default="/pipeline",
        help="Where the project lives inside the image (default: /pipeline, as the Dockerfile "
             "puts it); local project paths in the config are rewritten to it.")
    _add_profile_and_config_options(compile_parser)
    _add_options(compile_parser, VertexTrainerConfig, "Vertex AI Training (--trainer vertex)")
    compile_parser.set_defaults(handler=compile_command, verbose=False)
    serving_commands.add_commands(commands)
    return parser


def config_from_args(args: argparse.Namespace) -> PipelineConfig:
    given = vars(args)
    pipeline_names = {field.name for field in dataclasses.fields(PipelineConfig)}
    training_names = {field.name for field in dataclasses.fields(TrainingConfig)}
    return config_for_profile(
        args.profile,
        **{name: value for name, value in given.items() if name in pipeline_names},
        training={name: value for name, value in given.items() if name in training_names})


def usage_error(message: str) -> typing.NoReturn:
    """Ends the command like argparse does for a bad option: one line, exit code 2."""
    print(f"ner-pipeline: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def checked_config(args: argparse.Namespace) -> PipelineConfig:
    """The config of the options given, checked before anything runs: a value that
    breaks its option's rule ends the command like a usage error (one line, exit 2)."""
    config = config_from_args(args)
    try:
        config.validate()
    except ValueError as error:
        usage_error(str(error))
    return config


def run_command(args: argparse.Namespace) -> int:
    config = checked_config(args)
    # Heavy imports only when running, so --help and option errors stay instant.
    if args.verbose:
        from pipeline import local_runner, run_summary
    else:
        console.quiet_third_party_output()
        with console.native_stderr_filtered():
            from pipeline import local_runner, run_summary
    from pipeline.errors import data_error_message
    console.configure_logging(args.verbose)
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


def checked_trainer_config(args: argparse.Namespace) -> VertexTrainerConfig:
    given = vars(args)
    trainer = VertexTrainerConfig(**{field.name: given[field.name]
                                     for field in dataclasses.fields(VertexTrainerConfig)
                                     if field.name in given})
    try:
        trainer.validate()
    except ValueError as error:
        usage_error(str(error))
    return trainer


def compile_command(args: argparse.Namespace) -> int:
    config = checked_config(args)
    trainer = checked_trainer_config(args)
    if not args.image.strip():
        usage_error("--image must name the pipeline image (built from the Dockerfile)")
    console.quiet_third_party_output()
    from pipeline.kubeflow_v2_runner import CompileError, compile_pipeline
    try:
        spec = compile_pipeline(config, args.image, args.output, args.image_project_root,
                                trainer)
    except CompileError as error:
        usage_error(str(error))
    tasks = sorted(spec["pipelineSpec"]["root"]["dag"]["tasks"])
    print(f"Wrote {args.output}: {len(tasks)} tasks ({', '.join(tasks)}), image {args.image}")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Each subcommand's parser sets ``handler``, the function that runs it."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
