"""Where the Trainer runs in a compiled pipeline: in the pipeline step's own
container (default) or as a Vertex AI Training custom job on machines and
GPUs of its own (``--trainer vertex``), running the same image.

Pure Python (the CLI builds its options from VertexTrainerConfig before
anything heavy is imported). The job spec follows TFX 1.16's
``tfx.extensions.google_cloud_ai_platform.Trainer``: custom_config carries
``ai_platform_enable_vertex``, ``ai_platform_vertex_region`` and
``ai_platform_training_args`` = {"project": ..., "worker_pool_specs": [...]}.
Each replica runs ``python -m tfx.scripts.run_executor`` in the image; with
several replicas Vertex sets TF_CONFIG and run_fn trains with
MultiWorkerMirroredStrategy (modules/trainer/distribution.py). When a worker
restarts (a preempted or failed machine), Vertex restarts the whole job, and
run_fn resumes from its last backup (modules/trainer/resume.py).
"""

import dataclasses
from typing import Any, Dict, List, Optional

from contracts.training import at_least, one_of, option, validate_fields

# Keys of the Vertex Trainer's custom_config (the values of TFX 1.16's
# ENABLE_VERTEX_KEY, VERTEX_REGION_KEY and TRAINING_ARGS_KEY; a test checks them).
ENABLE_VERTEX_KEY = "ai_platform_enable_vertex"
VERTEX_REGION_KEY = "ai_platform_vertex_region"
TRAINING_ARGS_KEY = "ai_platform_training_args"


@dataclasses.dataclass
class VertexTrainerConfig:
    """Options of ``ner-pipeline compile`` that place the Trainer."""

    trainer: str = option(
        "pipeline", "Where the Trainer runs: 'pipeline' (in the pipeline step's own container) "
                    "or 'vertex' (a Vertex AI Training custom job with the pipeline image).",
        one_of("pipeline", "vertex"))
    vertex_project: Optional[str] = option(None, "Google Cloud project of the training job.")
    vertex_region: Optional[str] = option(None, "Vertex AI region of the training job.")
    vertex_machine_type: Optional[str] = option(
        None, "Machine type of each training replica, e.g. n1-standard-8.")
    vertex_accelerator_type: Optional[str] = option(
        None, "GPU type of each replica, e.g. NVIDIA_TESLA_T4 (none: CPU only).")
    vertex_accelerator_count: int = option(
        0, "GPUs per replica (with --vertex-accelerator-type); several GPUs train with "
           "MirroredStrategy.", at_least(0, integer=True))
    vertex_replicas: int = option(
        1, "Training replicas (machines); more than one trains with MultiWorkerMirroredStrategy, "
           "--batch-size being the global batch.", at_least(1, integer=True))

    def validate(self) -> None:
        """Raises ValueError naming the option that is missing or does not fit."""
        validate_fields(self)
        defaults = VertexTrainerConfig()
        if self.trainer != "vertex":
            given = [field.name for field in dataclasses.fields(self) if field.name != "trainer"
                     and getattr(self, field.name) != getattr(defaults, field.name)]
            if given:
                raise ValueError(f"--{given[0].replace('_', '-')} applies only with "
                                 f"--trainer vertex")
            return
        for name in ("vertex_project", "vertex_region", "vertex_machine_type"):
            if not getattr(self, name):
                raise ValueError(f"--trainer vertex needs --{name.replace('_', '-')}")
        if bool(self.vertex_accelerator_type) != (self.vertex_accelerator_count > 0):
            raise ValueError("--vertex-accelerator-type and --vertex-accelerator-count (at least "
                             "1) go together")


def worker_pool_specs(config: VertexTrainerConfig, image: str) -> List[Dict[str, Any]]:
    """Pool 0 is the chief (one replica); pool 1, if any, the other workers."""
    machine_spec: Dict[str, Any] = {"machine_type": config.vertex_machine_type}
    if config.vertex_accelerator_type:
        machine_spec.update(accelerator_type=config.vertex_accelerator_type,
                            accelerator_count=config.vertex_accelerator_count)
    pool = {"machine_spec": machine_spec, "container_spec": {"image_uri": image}}
    pools = [{**pool, "replica_count": 1}]
    if config.vertex_replicas > 1:
        pools.append({**pool, "replica_count": config.vertex_replicas - 1})
    return pools


def trainer_custom_config(config: VertexTrainerConfig, image: str) -> Optional[Dict[str, Any]]:
    """The Vertex entries of the Trainer's custom_config; None keeps the Trainer in
    the pipeline's container."""
    if config.trainer != "vertex":
        return None
    return {ENABLE_VERTEX_KEY: True,
            VERTEX_REGION_KEY: config.vertex_region,
            TRAINING_ARGS_KEY: {"project": config.vertex_project,
                                "worker_pool_specs": worker_pool_specs(config, image),
                                "scheduling": {"restart_job_on_worker_restart": True}}}
