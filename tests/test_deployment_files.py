"""The images cannot be built here (no Docker engine): check what they reference."""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
from importlib import metadata

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pipeline.config import PROJECT_ROOT


def dockerfile_instructions(path: pathlib.Path):
    text = re.sub(r"\\\n", " ", path.read_text())
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, argument = line.partition(" ")
            yield instruction.upper(), argument.strip()


def _copied_tree(instructions, destination: pathlib.Path) -> pathlib.Path:
    """The project files the image holds under its WORKDIR: what COPY puts there."""
    (workdir,) = [argument for instruction, argument in instructions if instruction == "WORKDIR"]
    root = destination / workdir.strip("/")
    root.mkdir(parents=True)
    for instruction, argument in instructions:
        if instruction != "COPY" or argument.startswith("--from="):
            continue
        *sources, target = argument.split()
        for source in sources:
            path = PROJECT_ROOT / source
            assert path.exists(), f"Dockerfile: COPY {source}: no such path"
            into = root / (path.name if target.endswith("/") or target == "./" else target)
            if path.is_dir():
                shutil.copytree(path, into, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(path, into)
    return root


def _modules_the_image_runs(spec_text: str):
    """Executor classes, the Trainer's run_fn and Transform's preprocessing_fn of the
    compiled pipeline, and the console script: what runs in the container."""
    spec = json.loads(spec_text)
    paths = set()
    for executor in spec["pipelineSpec"]["deploymentSpec"]["executors"].values():
        args = executor.get("container", {}).get("args", [])
        if "--executor_class_path" in args:
            paths.add(args[args.index("--executor_class_path") + 1])
    paths.update(re.findall(r'"((?:[a-z_]+\.)+(?:run_fn|preprocessing_fn))"', spec_text))
    modules = {path.rpartition(".")[0] for path in paths}
    modules.update(entry.value.split(":")[0] for entry
                   in metadata.distribution("conll-ner-tfx").entry_points
                   if entry.group == "console_scripts")
    return sorted(modules)


_IMPORT_WITHOUT_EDITABLE_INSTALL = """
import importlib, json, sys
sys.meta_path[:] = [finder for finder in sys.meta_path
                    if "__editable__" not in getattr(finder, "__module__", "")
                    and "__editable__" not in getattr(type(finder), "__module__", "")]
print(json.dumps({name: importlib.import_module(name).__file__ for name in sys.argv[1:]}))
"""


def test_every_module_the_image_runs_imports_from_the_copied_files(shared_conll_dir, tmp_path):
    """Fails when a COPY source is missing or a module the containers run (an
    executor, run_fn, preprocessing_fn, the CLI) is not among the copied files."""
    from pipeline.config import config_for_profile
    from pipeline.kubeflow_v2_runner import compile_pipeline
    instructions = list(dockerfile_instructions(PROJECT_ROOT / "Dockerfile"))
    image_root = _copied_tree(instructions, tmp_path / "image")
    output = tmp_path / "pipeline.json"
    compile_pipeline(config_for_profile("main", data_dir=str(shared_conll_dir),
                                        pipeline_root="gs://bucket/root",
                                        serving_dir="gs://bucket/serving"),
                     "example.com/ner:1", str(output))
    modules = _modules_the_image_runs(output.read_text())
    assert {"modules.trainer.run", "modules.transform.preprocessing", "pipeline.cli"} <= set(modules)
    project_modules = [name for name in modules if not name.startswith("tfx.")]
    result = subprocess.run([sys.executable, "-c", _IMPORT_WITHOUT_EDITABLE_INSTALL,
                             *project_modules], cwd=image_root, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(image_root),
                                 "TF_CPP_MIN_LOG_LEVEL": "2"}, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    files = json.loads(result.stdout.strip().splitlines()[-1])
    for name, file in files.items():
        assert pathlib.Path(file).is_relative_to(image_root), (name, file)


def test_base_images_match_the_pinned_python_tfx_and_beam():
    instructions = list(dockerfile_instructions(PROJECT_ROOT / "Dockerfile"))
    constraints = (PROJECT_ROOT / "constraints.txt").read_text()
    pinned = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", constraints, re.M))
    (base,) = [argument for instruction, argument in instructions if instruction == "FROM"]
    assert base == f"tensorflow/tfx:{pinned['tfx']}"
    (beam_copy,) = [argument for instruction, argument in instructions
                    if instruction == "COPY" and argument.startswith("--from=")]
    python, beam = re.match(r"--from=apache/beam_python(\d+\.\d+)_sdk:(\S+) ",
                            beam_copy).groups()
    assert beam == pinned["apache-beam"]
    # The image's Python (that of the Beam SDK image, which must be the TFX image's)
    # is one the pinned TFX release and this project both accept, and the one the
    # constraints were resolved with.
    version = Version(f"{python}.0")
    assert version in SpecifierSet(metadata.metadata("tfx")["Requires-Python"])
    assert version in SpecifierSet(re.search(r'python_requires="([^"]+)"',
                                             (PROJECT_ROOT / "setup.py").read_text()).group(1))
    assert python == "{}.{}".format(*sys.version_info[:2])
    run = " ".join(argument for instruction, argument in instructions if instruction == "RUN")
    assert "-c constraints.txt" in run and "pip check" in run


def test_one_image_serves_components_dataflow_workers_and_vertex_training():
    from pipeline.kubeflow_v2_runner import IMAGE_CHECKPOINTS
    instructions = list(dockerfile_instructions(PROJECT_ROOT / "Dockerfile"))
    constraints = (PROJECT_ROOT / "constraints.txt").read_text()
    beam = re.search(r"^apache-beam==(\S+)$", constraints, re.M).group(1)
    # Dataflow starts Beam's boot program: the one of the pinned Beam release.
    assert ("COPY", f"--from=apache/beam_python3.10_sdk:{beam} /opt/apache/beam /opt/apache/beam"
            ) in instructions
    assert instructions[-1] == ("ENTRYPOINT", '["/opt/apache/beam/boot"]')
    run = " ".join(argument for instruction, argument in instructions if instruction == "RUN")
    assert re.search(r"pip install [^&]* tensorflow-text", run)
    assert "tensorflow-text==" in constraints
    # The checkpoints compile_pipeline maps into the image are made there.
    for checkpoint in IMAGE_CHECKPOINTS:
        assert str(checkpoint.relative_to(PROJECT_ROOT)) in run, checkpoint


def test_serving_compose_runs_tf_serving_216_with_the_model_dir():
    compose = yaml.safe_load((PROJECT_ROOT / "serving" / "docker-compose.yml").read_text())
    service = compose["services"]["tf-serving"]
    assert re.fullmatch(r"tensorflow/serving:2\.16\.\d+", service["image"])
    assert service["environment"]["MODEL_NAME"] == "ner"
    assert any(volume.endswith(":/models/ner:ro") for volume in service["volumes"])
    assert "8501:8501" in service["ports"]


def test_serving_compose_exposes_tf_serving_metrics_to_its_prometheus():
    """The server reads the monitoring config mounted where its flag says, and
    Prometheus scrapes the path that config enables on the REST port."""
    from serving import monitoring_config
    serving_dir = PROJECT_ROOT / "serving"
    services = yaml.safe_load((serving_dir / "docker-compose.yml").read_text())["services"]
    tf_serving, prometheus = services["tf-serving"], services["prometheus"]
    flags = dict(argument.split("=", 1) for argument in tf_serving["command"] if "=" in argument)
    mounts = {container: host for host, container, _ in
              (volume.rsplit(":", 2) for volume in tf_serving["volumes"])}
    config_file = serving_dir / mounts[flags["--monitoring_config_file"]]
    path = monitoring_config.metrics_path(str(config_file))
    assert path == monitoring_config.DEFAULT_PATH
    assert re.fullmatch(r"prom/prometheus:v\d+\.\d+\.\d+", prometheus["image"])
    assert "./prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prometheus["volumes"]
    (job,) = yaml.safe_load((serving_dir / "prometheus.yml").read_text())["scrape_configs"]
    assert job["metrics_path"] == path
    assert job["static_configs"] == [{"targets": ["tf-serving:8501"]}]
    assert "8501:8501" in tf_serving["ports"]
