"""Beam stages on separate worker processes: the options every Beam component gets,
and a whole quick-profile run on Beam's DirectRunner with 2 worker processes that
must transform exactly what the in-process run (the quick_pipeline fixture) does."""

import collections
import os
import pathlib
import re
import signal
import subprocess
import sys
import time

import pytest

from pipeline import beam_args, cli


def test_every_runner_gets_the_tensorflow_text_plugin_once():
    assert beam_args.beam_pipeline_args([], 0) == [
        "--beam_plugins=tensorflow_text", "--direct_running_mode=in_memory"]
    given = ["--beam_plugins=tensorflow_text", "--beam_plugins=my_ops"]
    assert beam_args.beam_pipeline_args(given, 0).count("--beam_plugins=tensorflow_text") == 1


def test_beam_workers_choose_the_direct_runners_mode():
    assert beam_args.beam_pipeline_args([], 1)[1:] == ["--direct_running_mode=in_memory"]
    assert beam_args.beam_pipeline_args(["--runner=DirectRunner"], 3)[2:] == [
        "--direct_running_mode=multi_processing", "--direct_num_workers=3"]
    mode = ["--direct_running_mode=multi_threading"]
    assert beam_args.beam_pipeline_args(mode, 0) == [*mode, "--beam_plugins=tensorflow_text"]


def test_dataflow_gets_the_pipeline_image_unless_one_is_given():
    dataflow = ["--runner=DataflowRunner", "--project=p"]
    assert beam_args.beam_pipeline_args(dataflow, 0, "img:1") == [
        *dataflow, "--beam_plugins=tensorflow_text", "--sdk_container_image=img:1"]
    own = [*dataflow, "--sdk_container_image=other:2"]
    assert beam_args.beam_pipeline_args(own, 0, "img:1") == [
        *own, "--beam_plugins=tensorflow_text"]
    assert "--sdk_container_image=img:1" not in beam_args.beam_pipeline_args([], 0, "img:1")


@pytest.mark.parametrize("options, message", [
    (["--beam-workers", "-1"], "--beam-workers must be at least 0, not -1"),
    (["--beam-workers", "2", "--beam-pipeline-arg=--runner=DataflowRunner"],
     "--beam-workers applies to the DirectRunner only"),
    (["--beam-workers", "2", "--beam-pipeline-arg=--direct_running_mode=multi_threading"],
     "give one of them"),
])
def test_bad_beam_worker_options_end_in_one_line_and_exit_code_2(options, message, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["run", "--data-dir", "d", *options])
    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


def transformed_records(config):
    """Each split's transformed examples as a multiset of {feature: values} tuples."""
    import tensorflow as tf
    from pipeline import run_summary
    store = run_summary.open_store(config.resolved_metadata_path)
    executions = run_summary.latest_run_executions(store, config.pipeline_name)
    artifact = run_summary.output_artifacts(store, executions["Transform"])["transformed_examples"]
    splits = {}
    for split in ("train", "eval", "test"):
        files = tf.io.gfile.glob(os.path.join(artifact.uri, f"Split-{split}", "*"))
        records = tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator()
        splits[split] = collections.Counter(
            tuple(sorted((key, tuple(feature.int64_list.value)) for key, feature in
                         tf.train.Example.FromString(record).features.feature.items()))
            for record in records)
    return splits


@pytest.mark.slow
def test_two_beam_workers_push_a_model_and_transform_what_the_in_process_run_does(
        quick_pipeline, tmp_path, capsys):
    code = cli.main(["run", "--profile", "quick", "--beam-workers", "2",
                     "--data-dir", quick_pipeline.data_dir, "--checkpoint", quick_pipeline.checkpoint,
                     "--pipeline-root", str(tmp_path / "root"),
                     "--serving-dir", str(tmp_path / "serving")])
    assert code == 0
    assert "Pushed:" in capsys.readouterr().out
    assert len(list((tmp_path / "serving").iterdir())) == 1

    config = cli.config_from_args(cli.build_parser().parse_args([
        "run", "--profile", "quick", "--data-dir", quick_pipeline.data_dir,
        "--pipeline-root", str(tmp_path / "root")]))
    with_workers, in_process = transformed_records(config), transformed_records(quick_pipeline)
    for split in ("train", "eval", "test"):
        assert sum(with_workers[split].values()) == sum(in_process[split].values()) > 0
        assert with_workers[split] == in_process[split], split


def _small_conll_dir(source, target, sentences=300):
    """The first sentences of each shared CoNLL-2003 file."""
    target.mkdir()
    for name in ("train.txt", "valid.txt", "test.txt"):
        blocks = (source / name).read_text(encoding="utf-8").split("\n\n")
        (target / name).write_text("\n\n".join(blocks[:sentences]) + "\n", encoding="utf-8")
    return target


def _run_through_transform(data_dir, root, user_beam_args, checkpoint):
    """Ingestion, validation and Transform (no training) with these Beam options."""
    from tfx import v1 as tfx
    from pipeline import local_runner
    from pipeline.config import PipelineConfig
    from pipeline.pipeline import create_pipeline
    config = PipelineConfig(data_dir=str(data_dir), pipeline_root=str(root),
                            pipeline_name="through-transform", checkpoint=str(checkpoint),
                            beam_pipeline_args=user_beam_args, enable_cache=False)
    tfx.orchestration.LocalDagRunner().run(create_pipeline(
        config, local_runner.placement(config), training=False))
    return config


def _stop(process):
    """Ctrl-C, so that Beam's services stop their workers, then a kill if need be."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_transform_runs_on_the_portable_runner_with_external_workers(
        shared_conll_dir, tiny_checkpoint, tmp_path):
    """Job submission and artifact staging as on Flink or Dataflow: Beam's pure-Python
    job service runs each Beam stage on workers that an external worker pool starts
    through a boot program (tests/beam_worker_boot.py), which gets the pipeline
    options, --beam_plugins=tensorflow_text among them, from the provision service."""
    from tests.test_multi_worker_training import _free_ports
    data_dir = _small_conll_dir(shared_conll_dir, tmp_path / "conll")
    boot = tmp_path / "boot"
    boot.write_text(f"#!/bin/sh\nexec {sys.executable} "
                    f"{pathlib.Path(__file__).with_name('beam_worker_boot.py')} \"$@\"\n")
    boot.chmod(0o755)
    (pool_port,) = _free_ports(1)
    port_file, log_file = tmp_path / "job-service.port", tmp_path / "services.log"
    with open(log_file, "w") as log:
        services = [subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT) for command in (
            [sys.executable, "-m", "apache_beam.runners.portability.local_job_service_main",
             "--port", "0", "--port_file", str(port_file)],
            [sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main",
             f"--service_port={pool_port}", f"--container_executable={boot}"])]
        try:
            deadline = time.monotonic() + 180
            while not port_file.exists() and time.monotonic() < deadline:
                time.sleep(0.5)
            portable = _run_through_transform(data_dir, tmp_path / "portable", [
                "--runner=PortableRunner", f"--job_endpoint=localhost:{port_file.read_text()}",
                "--environment_type=EXTERNAL", f"--environment_config=localhost:{pool_port}"],
                tiny_checkpoint)
        finally:
            for process in services:
                _stop(process)
    services_log = log_file.read_text()
    # ConllExampleGen, StatisticsGen and Transform: one Beam job each.
    assert services_log.count("with state DONE") == 3, services_log[-3000:]
    assert re.search(r"beam_plugins\\?': \[\\?'tensorflow_text", services_log)
    in_process = _run_through_transform(data_dir, tmp_path / "in-process", [], tiny_checkpoint)
    assert transformed_records(portable) == transformed_records(in_process)
