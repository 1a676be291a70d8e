"""The images cannot be built here (no Docker engine): check what they reference."""

import pathlib
import re

import yaml

from pipeline.config import PROJECT_ROOT


def dockerfile_instructions(path: pathlib.Path):
    text = re.sub(r"\\\n", " ", path.read_text())
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, argument = line.partition(" ")
            yield instruction.upper(), argument.strip()


def test_pipeline_image_is_the_pinned_tfx_release_and_copies_existing_paths():
    instructions = list(dockerfile_instructions(PROJECT_ROOT / "Dockerfile"))
    (base,) = [argument for instruction, argument in instructions if instruction == "FROM"]
    installed_tfx = re.search(r"^tfx==(\S+)$", (PROJECT_ROOT / "constraints.txt").read_text(),
                              re.M).group(1)
    assert base == f"tensorflow/tfx:{installed_tfx}"
    for instruction, argument in instructions:
        if instruction == "COPY" and not argument.startswith("--from="):
            *sources, _ = argument.split()
            for source in sources:
                assert (PROJECT_ROOT / source).exists(), source
    run = " ".join(argument for instruction, argument in instructions if instruction == "RUN")
    assert "-c constraints.txt" in run and "pip check" in run
    assert "scripts/fetch_minilm.py" in run and (PROJECT_ROOT / "scripts/fetch_minilm.py").exists()


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
