"""Compiles the pipeline for Vertex AI Pipelines / Kubeflow Pipelines v2 (pipeline-spec JSON).

The same create_pipeline() as the local runner. Compiling reads nothing but
the code: not the data directory (ConllExampleGen finds its split files, and
TFX's driver its span, when it runs), not the checkpoint (named only,
resolved in the container when Transform and the Trainer run), not the
cloud. URLs (gs://...) pass through verbatim.

Components run in the pipeline image (see Dockerfile), where the project
lives under ``image_project_root``: local paths inside this project (the
schema, the checkpoints the image bakes) are rewritten to that root. The same
image is Dataflow's worker image (``--sdk_container_image``, added when the
runner is Dataflow) and, with ``--trainer vertex``, the Vertex AI Training
image.
"""

import json
import os
import pathlib
from typing import Optional

from tfx import v1 as tfx

from contracts.checkpoint import Checkpoint, deferred, looks_like_hub_id
from contracts.spans import AUTO, NONE, SpanSettings
from pipeline import beam_args, paths, vertex
from pipeline.config import DEFAULT_CHECKPOINT, PROJECT_ROOT, TINY_CHECKPOINT, PipelineConfig
from pipeline.pipeline import create_pipeline
from pipeline.placement import Placement

DEFAULT_IMAGE_PROJECT_ROOT = "/pipeline"
# Checkpoints the Dockerfile puts into the image (a test checks it does).
IMAGE_CHECKPOINTS = (DEFAULT_CHECKPOINT, TINY_CHECKPOINT)


class CompileError(ValueError):
    """A setting that cannot work in the compiled pipeline; the message says what to do."""


def in_image(path: str, image_project_root: str) -> str:
    """``path`` as seen inside the image if it lies in this project; unchanged otherwise
    (URLs always unchanged)."""
    if paths.is_url(path):
        return path
    try:
        relative = pathlib.Path(path).resolve().relative_to(PROJECT_ROOT)
    except ValueError:
        return path
    return str(pathlib.PurePosixPath(image_project_root) / relative)


def _inside(path: pathlib.Path, directory: pathlib.Path) -> bool:
    return path == directory or directory in path.parents


def checkpoint_for_image(name: str, image_project_root: str) -> Checkpoint:
    """The checkpoint the compiled pipeline names, resolved only where it runs.

    A checkpoint the image bakes (the offline MiniLM, the quick profile's tiny
    BERT) becomes its path in the image; a Hugging Face Hub id stays a Hub id,
    downloaded in the container; an absolute path that does not exist here is
    taken as a path inside the image (an image derived from this one). Any
    other local directory is refused: the container cannot see it.
    """
    if paths.is_url(name):
        raise CompileError(
            f"--checkpoint {name}: checkpoints are read from local directories or the Hugging "
            f"Face Hub; bake it into the image (Dockerfile) and pass its path there")
    local = pathlib.Path(name).expanduser()
    absolute = pathlib.Path(os.path.normpath(local if local.is_absolute()
                                             else pathlib.Path.cwd() / local))
    baked = {pathlib.Path(path) for path in IMAGE_CHECKPOINTS}
    if absolute in baked:
        return deferred(in_image(str(absolute), image_project_root))
    not_in_image = CompileError(
        f"--checkpoint {name}: the pipeline image holds only "
        f"{' and '.join(str(path.relative_to(PROJECT_ROOT)) for path in sorted(baked))}; "
        f"bake this checkpoint into the image (a COPY line in the Dockerfile) and pass its "
        f"path inside the image, or pass a Hugging Face Hub id")
    if local.exists():
        raise not_in_image
    if local.is_absolute():
        if _inside(absolute, PROJECT_ROOT):
            raise not_in_image
        return deferred(name)
    if _inside(absolute, PROJECT_ROOT / "models"):
        raise not_in_image
    if looks_like_hub_id(name):
        return deferred(name)
    raise CompileError(f"--checkpoint {name}: neither a checkpoint the image holds nor a Hugging "
                       f"Face Hub id")


def compile_beam_args(config: PipelineConfig, image: str, image_project_root: str):
    """Beam options of the compiled pipeline: beam_args' additions (the Dataflow worker
    image among them) and, on the DirectRunner inside the container, the image's
    setup.py as the dependency."""
    return beam_args.with_setup_file(
        beam_args.beam_pipeline_args(config.beam_pipeline_args, config.beam_workers, image),
        str(pathlib.PurePosixPath(image_project_root) / "setup.py"))


def compiled_spans(config: PipelineConfig) -> SpanSettings:
    """Compiling reads no data: 'auto' means no spans, and span options need
    --span-layout. TFX's driver resolves the span where the pipeline runs; there
    is no data fingerprint, so spans on Vertex AI are taken as immutable."""
    layout = NONE if config.span_layout == AUTO else config.span_layout
    try:
        return config.span_settings(layout)
    except ValueError as error:
        hint = "; compile reads no data: pass --span-layout numbered or dated"
        raise CompileError(f"{error}{hint if layout == NONE else ''}") from None


def image_placement(config: PipelineConfig, image: str, image_project_root: str,
                    trainer: vertex.VertexTrainerConfig) -> Placement:
    """Where the compiled pipeline puts things: project paths inside the image, the
    checkpoint named for the container, Vertex AI's own ML Metadata.
    Raises CompileError for a checkpoint the container could not find or span
    options without a span layout."""
    return Placement(
        schema_file=in_image(config.schema_file, image_project_root),
        checkpoint=checkpoint_for_image(config.checkpoint, image_project_root),
        serving_dir=config.serving_dir,
        beam_pipeline_args=compile_beam_args(config, image, image_project_root),
        vertex_training=vertex.trainer_custom_config(trainer, image),
        # The KFP v2 compiler translates only TFX's built-in strategies into
        # MLMD queries, so on Vertex the baseline is the latest blessed model,
        # not the best one (README, "From laptop to Vertex AI").
        baseline_strategy=tfx.dsl.experimental.LatestBlessedModelStrategy,
        spans=compiled_spans(config))


def compile_pipeline(config: PipelineConfig, image: str, output_file: str,
                     image_project_root: str = DEFAULT_IMAGE_PROJECT_ROOT,
                     trainer: Optional[vertex.VertexTrainerConfig] = None) -> dict:
    """Writes the pipeline-spec JSON to ``output_file`` and returns it parsed.
    Raises CompileError for a checkpoint the container could not find or span
    options without a span layout."""
    pipeline = create_pipeline(config, image_placement(
        config, image, image_project_root, trainer or vertex.VertexTrainerConfig()))
    output_dir, output_name = os.path.split(os.path.abspath(output_file))
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(default_image=image),
        output_dir=output_dir, output_filename=output_name)
    runner.run(pipeline, write_out=True)
    with open(output_file) as handle:
        return json.load(handle)
