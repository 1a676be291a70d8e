"""Compiles the pipeline for Vertex AI Pipelines / Kubeflow Pipelines v2 (pipeline-spec JSON).

The same create_pipeline() as the local runner. Components run in the
pipeline image (see Dockerfile), where the project lives under
``image_project_root``: local paths inside this project (the schema, the
offline checkpoint baked into the image) are rewritten to that root, so the
compiled spec names files that exist in the container. Data, pipeline root
and serving directory are given as cloud URLs (gs://...); Beam stages take
``beam_pipeline_args`` (e.g. --runner=DataflowRunner --project=... --region=...).
"""

import dataclasses
import json
import os
import pathlib

from tfx import v1 as tfx

from contracts.checkpoint import Checkpoint, resolve_checkpoint
from pipeline.config import PROJECT_ROOT, PipelineConfig
from pipeline.pipeline import create_pipeline

DEFAULT_IMAGE_PROJECT_ROOT = "/pipeline"


def in_image(path: str, image_project_root: str) -> str:
    """``path`` as seen inside the image if it lies in this project; unchanged otherwise."""
    try:
        relative = pathlib.Path(path).resolve().relative_to(PROJECT_ROOT)
    except ValueError:
        return path
    return str(pathlib.PurePosixPath(image_project_root) / relative)


def compile_pipeline(config: PipelineConfig, image: str, output_file: str,
                     image_project_root: str = DEFAULT_IMAGE_PROJECT_ROOT) -> dict:
    """Writes the pipeline-spec JSON to ``output_file`` and returns it parsed."""
    local = resolve_checkpoint(config.checkpoint)
    checkpoint = Checkpoint(**{
        **dataclasses.asdict(local),
        "directory": in_image(local.directory, image_project_root),
        "vocab_file": in_image(local.vocab_file, image_project_root)})
    pipeline = create_pipeline(
        pipeline_name=config.pipeline_name,
        pipeline_root=config.pipeline_root,
        data_dir=config.data_dir,
        schema_file=in_image(config.schema_file, image_project_root),
        checkpoint=checkpoint,
        training=config.training,
        f1_threshold=config.f1_threshold,
        regression_tolerance=config.regression_tolerance,
        serving_dir=config.serving_dir,
        enable_cache=config.enable_cache,
        beam_pipeline_args=config.beam_pipeline_args,
    )
    output_dir, output_name = os.path.split(os.path.abspath(output_file))
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(default_image=image),
        output_dir=output_dir, output_filename=output_name)
    runner.run(pipeline, write_out=True)
    with open(output_file) as handle:
        return json.load(handle)
