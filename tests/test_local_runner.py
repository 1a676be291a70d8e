"""The local runner's Beam options and its private temporary directory."""

import os
import pathlib
import tempfile

import pytest

from pipeline import local_runner
from pipeline.config import PROJECT_ROOT


def test_direct_runner_gets_the_projects_setup_file_so_tfx_builds_no_sdist():
    from tfx.utils import dependency_utils
    args = local_runner.local_beam_args(["--direct_running_mode=in_memory"])
    assert args == ["--direct_running_mode=in_memory", f"--setup_file={PROJECT_ROOT / 'setup.py'}"]
    # With a dependency option present TFX passes the options through unchanged,
    # instead of copying itself into /tmp and running setup.py sdist per Beam component.
    assert dependency_utils.make_beam_dependency_flags(args) == args


@pytest.mark.parametrize("args", [
    ["--runner=DataflowRunner", "--project=p"],
    ["--extra_package=/dist/x.tar.gz"],
    ["--setup_file=/elsewhere/setup.py"],
    ["--sdk_container_image=gcr.io/x/y"],
])
def test_users_runner_or_dependency_options_are_left_alone(args):
    assert local_runner.local_beam_args(args) == args


def test_temporary_files_go_under_the_pipeline_root_and_are_removed(tmp_path, monkeypatch):
    import apache_beam as beam
    monkeypatch.setenv("TMPDIR", "/somewhere")
    before = tempfile.gettempdir()
    with local_runner.private_tempdir(str(tmp_path / "root")) as directory:
        assert pathlib.Path(directory).parent == tmp_path / "root" / "tmp"
        assert tempfile.mkdtemp().startswith(directory)
        assert os.environ["TMPDIR"] == directory
        # A Beam pipeline that is built but never run leaves its temp directory behind.
        leaked = beam.Pipeline().local_tempdir
        assert leaked.startswith(directory)
    assert not os.path.exists(leaked)
    assert not (tmp_path / "root" / "tmp").exists()
    assert tempfile.gettempdir() == before and os.environ["TMPDIR"] == "/somewhere"


def test_temporary_files_are_removed_when_the_run_fails(tmp_path):
    with pytest.raises(RuntimeError):
        with local_runner.private_tempdir(str(tmp_path)) as directory:
            pathlib.Path(directory, "partial").write_text("x")
            raise RuntimeError("component failed")
    assert not os.path.exists(directory)


def test_remote_pipeline_root_uses_a_local_private_directory():
    with local_runner.private_tempdir("gs://bucket/root") as directory:
        assert os.path.basename(directory).startswith("ner-pipeline-")
    assert not os.path.exists(directory)
