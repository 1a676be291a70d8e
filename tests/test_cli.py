"""The ner-pipeline command: options from the config, clean errors for bad data."""

import dataclasses

import pytest

from pipeline import cli
from pipeline.config import PipelineConfig, TrainingConfig
from pipeline.errors import data_error_message
from components.conll_example_gen.conll_format import ConllFormatError
from tests.conftest import TINY_EVAL, TINY_TEST, write_conll_dir


def test_every_config_field_is_an_option_with_help():
    run_parser = cli.build_parser()._subparsers._group_actions[0].choices["run"]
    options = {action.dest: action for action in run_parser._actions}
    for config_class in (PipelineConfig, TrainingConfig):
        for field in dataclasses.fields(config_class):
            if field.name != "training":
                assert options[field.name].help, field.name


def test_arguments_become_config():
    args = cli.build_parser().parse_args([
        "run", "--data-dir", "d", "--pipeline-root", "r", "--no-enable-cache",
        "--beam-pipeline-arg=--direct_num_workers=2", "--beam-pipeline-arg=--runner=DirectRunner",
        "--epochs", "5", "--batch-size", "8", "--learning-rate", "1e-6", "--jit-compile"])
    config = cli.config_from_args(args)
    assert config == PipelineConfig(
        data_dir="d", pipeline_root="r", enable_cache=False,
        beam_pipeline_args=["--direct_num_workers=2", "--runner=DirectRunner"],
        training=TrainingConfig(epochs=5, batch_size=8, learning_rate=1e-6, jit_compile=True))
    assert config.resolved_metadata_path == "r/metadata.sqlite"


def test_profile_sets_defaults_and_options_override_them():
    args = cli.build_parser().parse_args(
        ["run", "--profile", "quick", "--data-dir", "d", "--max-steps", "7"])
    config = cli.config_from_args(args)
    assert config.checkpoint.endswith("tiny-bert") and config.f1_threshold == 0.0
    assert config.training.max_steps == 7 and config.training.epochs == 1


def test_data_dir_is_required(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run"])
    assert "--data-dir" in capsys.readouterr().err


def test_beam_wrapped_data_error_is_unwrapped():
    wrapped = RuntimeError(
        "components.conll_example_gen.conll_format.ConllFormatError: a.txt:3: bad: 'x' "
        "[while running 'InputToRecord[train]/ParseConll']")
    assert data_error_message(wrapped) == "a.txt:3: bad: 'x'"
    assert data_error_message(ConllFormatError("a.txt", 1, "x", "bad")) == "a.txt:1: bad: 'x'"
    assert data_error_message(RuntimeError("ValueError: something else")) is None


def test_bad_line_ends_the_run_with_file_and_line(tmp_path, capsys):
    data_dir = write_conll_dir(tmp_path / "conll", {
        "train.txt": "EU B-ORG\nsays O O\n", "valid.txt": TINY_EVAL, "test.txt": TINY_TEST})
    code = cli.main(["run", "--data-dir", str(data_dir), "--pipeline-root", str(tmp_path / "r")])
    assert code == 1
    error = capsys.readouterr().err
    assert f"ner-pipeline: error: {data_dir / 'train.txt'}:2: expected 2 columns" in error
