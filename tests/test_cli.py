"""The ner-pipeline command: options from the config, clean errors for bad data."""

import dataclasses

import pytest

from pipeline import cli
from pipeline.config import PipelineConfig, TrainingConfig
from pipeline.errors import data_error_message
from contracts.conll_format import ConllFormatError
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
        "contracts.conll_format.ConllFormatError: a.txt:3: bad: 'x' "
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


# --- option values checked as the command line is parsed ------------------------------------

BAD_VALUES = [
    (["--lr-schedule", "cosine"], "--lr-schedule must be 'linear' or 'constant', not 'cosine'"),
    (["--mixed-precision", "mixed_float16"],
     "--mixed-precision must be 'float32' or 'mixed_bfloat16' or 'auto', not 'mixed_float16'"),
    (["--epochs", "0"], "--epochs must be at least 1, not 0"),
    (["--batch-size", "0"], "--batch-size must be at least 1, not 0"),
    (["--learning-rate", "0"], "--learning-rate must be greater than 0, not 0.0"),
    (["--learning-rate", "nan"], "--learning-rate must be greater than 0, not nan"),
    (["--warmup-ratio", "1"], "--warmup-ratio must be in [0, 1), not 1.0"),
    (["--warmup-ratio", "-0.1"], "--warmup-ratio must be in [0, 1), not -0.1"),
    (["--weight-decay", "-0.01"], "--weight-decay must be at least 0, not -0.01"),
    (["--clip-norm", "-1"], "--clip-norm must be at least 0, not -1.0"),
    (["--max-steps", "-1"], "--max-steps must be at least 0, not -1"),
    (["--max-seq-length", "2"],
     "--max-seq-length must be 0 (the checkpoint's position limit) or at least 8, not 2"),
    (["--early-stopping-patience", "-1"], "--early-stopping-patience must be at least 0, not -1"),
    (["--f1-threshold", "1.5"], "--f1-threshold must be in [0, 1], not 1.5"),
    (["--regression-tolerance", "-0.01"], "--regression-tolerance must be in [0, 1], not -0.01"),
    (["--seed", "-1"], "--seed must be in [0, 4294967295], not -1"),
    (["--tag-scheme", "bio"], "--tag-scheme must be auto, iob1, iob2, iobes, bilou or bioes, "
                              "not 'bio'"),
    (["--labels", "PER,,ORG"], "--labels has entity type '': a type must be non-empty and "
                               "without white space"),
    (["--labels", "PER,ORG,PER"], "--labels lists entity type(s) twice: PER"),
    (["--decoding", "beam"], "--decoding must be 'viterbi' or 'argmax', not 'beam'"),
    (["--span-layout", "weekly"],
     "--span-layout must be 'auto' or 'none' or 'numbered' or 'dated', not 'weekly'"),
    (["--span", "latest"], "--span must be a span number (the N of span-N/) or a date "
                           "YYYY-MM-DD, not 'latest'"),
    (["--train-spans", "0"], "--train-spans must be a positive whole number or 'all', not '0'"),
]


@pytest.fixture
def no_component_may_run(monkeypatch):
    from pipeline import kubeflow_v2_runner, local_runner

    def fail(*_args, **_kwargs):
        raise AssertionError("a component ran")

    monkeypatch.setattr(local_runner, "run", fail)
    monkeypatch.setattr(kubeflow_v2_runner, "compile_pipeline", fail)


@pytest.mark.parametrize("options, message", BAD_VALUES)
@pytest.mark.parametrize("command", [["run"], ["compile", "--image", "img"]])
def test_bad_option_value_is_a_usage_error(options, message, command, capsys, tmp_path,
                                           no_component_may_run):
    with pytest.raises(SystemExit) as caught:
        cli.main([*command, "--data-dir", "d", "--pipeline-root", str(tmp_path), *options])
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert captured.err == f"ner-pipeline: error: {message}\n"
    assert captured.out == ""


def test_bad_value_overrides_a_profile_too(capsys, no_component_may_run):
    with pytest.raises(SystemExit) as caught:
        cli.main(["run", "--profile", "quick", "--data-dir", "d", "--epochs", "0"])
    assert caught.value.code == 2
    assert capsys.readouterr().err == "ner-pipeline: error: --epochs must be at least 1, not 0\n"


@pytest.mark.parametrize("options", [
    ["--warmup-ratio", "0", "--weight-decay", "0", "--clip-norm", "0", "--max-steps", "0",
     "--early-stopping-patience", "0", "--f1-threshold", "0", "--regression-tolerance", "0",
     "--seed", "0", "--max-seq-length", "0"],
    ["--f1-threshold", "1", "--regression-tolerance", "1", "--max-seq-length", "8",
     "--lr-schedule", "constant", "--mixed-precision", "mixed_bfloat16", "--seed", "4294967295"],
])
def test_boundary_values_are_accepted(options):
    args = cli.build_parser().parse_args(["run", "--data-dir", "d", *options])
    cli.config_from_args(args).validate()


@pytest.mark.parametrize("profile", ["main", "quick"])
def test_profiles_and_defaults_are_valid(profile):
    from pipeline.config import config_for_profile
    config_for_profile(profile, data_dir="d").validate()


def test_library_callers_get_the_same_checks():
    with pytest.raises(ValueError, match="--lr-schedule must be 'linear' or 'constant'"):
        TrainingConfig(lr_schedule="cosine").validate()
    with pytest.raises(ValueError, match="--epochs must be a whole number, not 1.5"):
        TrainingConfig(epochs=1.5).validate()
    with pytest.raises(ValueError, match="--batch-size must be"):
        PipelineConfig(data_dir="d", training=TrainingConfig(batch_size=0)).validate()


# --- quiet output without --verbose -----------------------------------------------------------

@pytest.fixture
def run_without_pipeline(monkeypatch, tmp_path):
    """``ner-pipeline run`` with the pipeline and the summary stubbed out; logging,
    warning filters and TF_CPP_MIN_LOG_LEVEL are restored afterwards."""
    import logging
    import warnings
    from pipeline import local_runner, run_summary
    monkeypatch.setattr(local_runner, "run", lambda config: None)
    monkeypatch.setattr(run_summary, "summarize", lambda *args: "summary")
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    with warnings.catch_warnings():
        yield lambda *options: cli.main(
            ["run", "--data-dir", "d", "--pipeline-root", str(tmp_path), *options])
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def _ignores_google_future_warnings():
    import warnings
    return any(action == "ignore" and category is FutureWarning
               for action, _message, category, _module, _line in warnings.filters)


def test_run_quiets_third_party_output_without_verbose(run_without_pipeline):
    import os
    import warnings
    warnings.resetwarnings()
    assert run_without_pipeline() == 0
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "2"
    assert _ignores_google_future_warnings()


def test_run_keeps_the_users_tf_log_level(run_without_pipeline, monkeypatch):
    import os
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    assert run_without_pipeline() == 0
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"


def test_verbose_run_shows_everything(run_without_pipeline):
    import os
    import warnings
    warnings.resetwarnings()
    assert run_without_pipeline("--verbose") == 0
    assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ
    assert not _ignores_google_future_warnings()


def test_progress_filter_drops_known_noise_and_keeps_progress():
    import logging
    from contracts.console import ProgressFilter

    def passes(message, level=logging.WARNING, name="absl"):
        return ProgressFilter().filter(logging.LogRecord(name, level, "f", 1, message, (), None))

    assert passes("Component Trainer is running.", logging.INFO)
    assert passes("Training step 50/460: loss 1.0", logging.INFO, "ner_pipeline.progress")
    assert passes("Split 'train': rewrote 3 IOB1 tags to IOB2")
    assert not passes("Transform is doing something", logging.INFO)
    for noise in [
            "Couldn't find python-snappy so the implementation of _TFRecordUtil._masked_crc32c "
            "is not as fast as it could be.",
            "TensorFlow and JAX classes are deprecated and will be removed in Transformers v5.",
            "Callback method `on_train_batch_end` is slow compared to the batch time (batch "
            "time: 0.06s vs `on_train_batch_end` time: 0.08s). Check your callbacks.",
            "Model's `__init__()` arguments contain non-serializable objects. Please implement",
            "ArtifactQuery.property_predicate is not supported."]:
        assert not passes(noise), noise


def test_configure_logging_routes_library_handlers_through_the_filter():
    import logging
    from absl import logging as absl_logging
    from contracts import console
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    tf_logger = logging.getLogger("tensorflow")
    tf_logger.addHandler(logging.StreamHandler())
    saved_verbosity = absl_logging.get_verbosity()
    try:
        console.configure_logging(verbose=False)
        assert tf_logger.handlers == [] and tf_logger.propagate
        (handler,) = root.handlers
        assert any(isinstance(f, console.ProgressFilter) for f in handler.filters)
        # TensorFlow's SavedModel writer does this; TFX's INFO lines must survive it.
        verbosity = absl_logging.get_verbosity()
        absl_logging.set_verbosity(absl_logging.FATAL)
        absl_logging.set_verbosity(verbosity)
        assert logging.getLogger("absl").isEnabledFor(logging.INFO)
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        absl_logging.set_verbosity(saved_verbosity)


def test_labels_and_scheme_reach_ingestion():
    args = cli.build_parser().parse_args([
        "run", "--data-dir", "d", "--labels", "person,creative-work,città", "--tag-scheme", "BIOES"])
    config = cli.config_from_args(args)
    config.validate()
    assert config.declared_types == ("person", "creative-work", "città")
    assert config.scheme == "IOBES"
    assert cli.config_from_args(cli.build_parser().parse_args(
        ["run", "--data-dir", "d"])).declared_types == ()
