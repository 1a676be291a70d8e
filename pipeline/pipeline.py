"""create_pipeline(): the one definition of the TFX graph, shared by every runner."""

import dataclasses
from typing import List, Optional

from tfx import v1 as tfx
from tfx.dsl.components.base import base_node

from components.conll_example_gen.component import ConllExampleGen
from components.validation_gate.component import ValidationGate
from pipeline.checkpoint import Checkpoint

PREPROCESSING_FN = "components.transform.preprocessing.preprocessing_fn"


def create_components(data_dir: str, schema_file: str, checkpoint: Checkpoint
                      ) -> List[base_node.BaseNode]:
    """Ingestion, data validation (a run stops at the gate on any anomaly), Transform."""
    example_gen = ConllExampleGen(data_dir=data_dir)
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = tfx.components.ImportSchemaGen(schema_file=schema_file)
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])
    validation_gate = ValidationGate(anomalies=example_validator.outputs["anomalies"],
                                     examples=example_gen.outputs["examples"])
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        preprocessing_fn=PREPROCESSING_FN,
        custom_config=dataclasses.asdict(checkpoint),
        # StatisticsGen already profiles the raw data; statistics of id sequences add
        # minutes on the full data set and nothing a reader would look at.
        disable_statistics=True)
    transform.add_upstream_node(validation_gate)
    return [example_gen, statistics_gen, schema_gen, example_validator, validation_gate,
            transform]


def create_pipeline(pipeline_name: str, pipeline_root: str, data_dir: str, schema_file: str,
                    checkpoint: Checkpoint, enable_cache: bool, beam_pipeline_args: List[str],
                    metadata_connection_config: Optional[object] = None) -> tfx.dsl.Pipeline:
    """Builds the pipeline from explicit arguments only (no environment reads)."""
    return tfx.dsl.Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        components=create_components(data_dir, schema_file, checkpoint),
        enable_cache=enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=beam_pipeline_args,
    )
