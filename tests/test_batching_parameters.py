"""TF Serving's batching parameters file (serving/batching_parameters.py) and serve's
--enable_batching / --batching_parameters_file options (serving/batching_options.py)."""

import pathlib

import pytest

from pipeline import cli
from serving import batching_options
from serving.batching_parameters import BatchingConfigError, BatchingParameters, parse, read

REPO_FILE = pathlib.Path(__file__).resolve().parents[1] / "serving" / "batching_parameters.txt"


def test_parameters_file_takes_tf_serving_syntax():
    assert read(str(REPO_FILE)).max_batch_size >= 1
    parameters = parse("max_batch_size { value: 32 }\nbatch_timeout_micros { value: 2000 }\n"
                       "# a comment\nnum_batch_threads { value: 2 }\n"
                       "max_enqueued_batches { value: 100 }\n"
                       'thread_pool_name { value: "ner_batch" }\n'
                       "pad_variable_length_inputs: true\nallowed_batch_sizes: [8, 32]\n", "b.txt")
    assert parameters == BatchingParameters(32, 2000, 100, 2, "ner_batch",
                                            ignored=("allowed_batch_sizes",))
    defaults = read(None)  # --enable_batching alone: TF Serving's defaults
    assert (defaults.max_batch_size, defaults.batch_timeout_micros,
            defaults.max_enqueued_batches) == (1000, 0, 10)


def test_compose_gives_tf_serving_the_same_batching_file():
    import yaml
    service = yaml.safe_load((REPO_FILE.parent / "docker-compose.yml").read_text())[
        "services"]["tf-serving"]
    assert "--enable_batching" in service["command"]
    flags = dict(argument.split("=", 1) for argument in service["command"] if "=" in argument)
    mounts = {container: host for host, container, _ in
              (volume.rsplit(":", 2) for volume in service["volumes"])}
    mounted = REPO_FILE.parent / mounts[flags["--batching_parameters_file"]]
    assert mounted.resolve() == REPO_FILE


@pytest.mark.parametrize("text, message", [
    ("max_batch_size { value: 8 }\nmax_batch_size_typo { value: 8 }",
     'b.txt:2: Message type "tensorflow.serving.BatchingParameters" has no field named '
     '"max_batch_size_typo".'),
    ("\nbatch_timeout_micros { value: soon }", "b.txt:2: "),
    ("max_batch_size: 8", 'b.txt:1: '),
    ("num_batch_threads { value: 0 }", "b.txt:1: num_batch_threads must be at least 1; was 0"),
    ("max_batch_size { value: 8 }\nallowed_batch_sizes: 4",
     "b.txt:2: Last entry in allowed_batch_sizes must match max_batch_size; last entry was 4; "
     "expected 8"),
])
def test_bad_parameters_files_fail_in_one_line_naming_file_and_line(text, message):
    with pytest.raises(BatchingConfigError) as error:
        parse(text, "b.txt")
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_serve_flags_take_tf_serving_and_hyphenated_names():
    parser = cli.build_parser()
    for flags in (["--enable_batching", "--batching_parameters_file", "b.txt"],
                  ["--enable-batching", "--batching-parameters-file=b.txt"]):
        args = parser.parse_args(["serve", "--model-dir", "m", *flags])
        assert (args.enable_batching, args.batching_parameters_file) == (True, "b.txt")
        assert batching_options.usage_problem(args) is None
    args = parser.parse_args(["serve", "--model-dir", "m", "--batching_parameters_file=b.txt"])
    assert "only with --enable_batching" in batching_options.usage_problem(args)
    assert batching_options.batching_parameters(
        parser.parse_args(["serve", "--model-dir", "m"])) is None


def test_serve_stops_on_a_bad_file_with_its_one_line_error(tmp_path, capsys):
    bad = tmp_path / "batching.txt"
    bad.write_text("max_batch_size { value: 8 }\nbatch_threads { value: 2 }\n")
    assert cli.main(["serve", "--model-dir", str(tmp_path), "--enable_batching",
                     "--batching_parameters_file", str(bad)]) == 1
    assert capsys.readouterr().err == (
        f"ner-pipeline serve: error: {bad}:2: Message type "
        '"tensorflow.serving.BatchingParameters" has no field named "batch_threads".\n')
