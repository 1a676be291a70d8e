"""Placement: what a runner decides about a run that PipelineConfig does not say.

The same configuration runs on this machine or in the pipeline image on
Vertex AI; the runners (local_runner.py, kubeflow_v2_runner.py) translate it
into a Placement: paths as the components will see them, the checkpoint as
resolved here or named for the container, the Beam options, the ML Metadata
connection, where the Trainer runs, how the Evaluator's baseline is found and
how the data directory holds spans.
create_pipeline() reads the configuration and the placement, nothing else.
"""

import dataclasses
from typing import Any, Dict, List, Optional

from components.ner_evaluator.best_blessed_model import BestBlessedModelStrategy
from contracts.checkpoint import Checkpoint
from contracts.spans import SpanSettings


@dataclasses.dataclass(frozen=True)
class Placement:
    schema_file: str
    checkpoint: Checkpoint
    serving_dir: str
    beam_pipeline_args: List[str] = dataclasses.field(default_factory=list)
    # None: the orchestrator's own (Vertex AI has its ML Metadata).
    metadata_connection_config: Optional[Any] = None
    # The Vertex AI Training entries of the Trainer's custom_config (pipeline/vertex.py);
    # None keeps the Trainer in the pipeline's own process or container.
    vertex_training: Optional[Dict[str, Any]] = None
    # Resolver strategy of the blessed model the Evaluator compares with.
    baseline_strategy: type = BestBlessedModelStrategy
    # Span folders in the data directory, as ConllExampleGen reads them (none: a plain one).
    spans: SpanSettings = SpanSettings()
