"""Typed pipeline configuration; the CLI builds its options from these fields.

Each field's ``help`` metadata is the single source of the option's
documentation (``ner-pipeline run --help`` prints it).
"""

import dataclasses
import pathlib
from typing import List, Optional

PROJECT_ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_SCHEMA_FILE = PROJECT_ROOT / "data" / "schema" / "schema.pbtxt"
DEFAULT_CHECKPOINT = PROJECT_ROOT / "models" / "all-MiniLM-L6-v2"


def _option(default, help_text: str, **kwargs):
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata={"help": help_text}, **kwargs)
    return dataclasses.field(default=default, metadata={"help": help_text}, **kwargs)


@dataclasses.dataclass
class PipelineConfig:
    """Everything a pipeline run depends on; create_pipeline reads nothing else."""

    data_dir: str = _option(
        None, "Directory with the CoNLL files: train.txt/valid.txt/test.txt "
              "(or eng.train/eng.testa/eng.testb). Local path or any tf.io.gfile URL.")
    pipeline_root: str = _option(
        "pipeline_root", "Where TFX writes artifacts (and, locally, ML Metadata).")
    pipeline_name: str = _option("conll-ner", "Pipeline name recorded in ML Metadata.")
    metadata_path: Optional[str] = _option(
        None, "SQLite ML Metadata file for local runs; default <pipeline-root>/metadata.sqlite.")
    schema_file: str = _option(
        str(DEFAULT_SCHEMA_FILE), "Curated schema that pins the feature layout and the NER tag domain.")
    checkpoint: str = _option(
        str(DEFAULT_CHECKPOINT),
        "BERT checkpoint: a local directory (config.json, vocab.txt, weights) or a Hugging Face "
        "Hub id such as bert-base-cased (needs network). Vocabulary and casing come from it. "
        "The default is the offline all-MiniLM-L6-v2 unpacked by 'make models'.")
    enable_cache: bool = _option(
        True, "Reuse the outputs of components whose inputs and settings are unchanged.")
    beam_pipeline_args: List[str] = _option(
        # In-memory DirectRunner: Beam stages run in this process, where
        # tensorflow_text's ops are registered; separate worker processes would
        # not have them (see components/transform/preprocessing.py).
        ["--direct_running_mode=in_memory"],
        "Apache Beam options for the Beam-based components (e.g. --runner=DataflowRunner ...).")

    @property
    def resolved_metadata_path(self) -> str:
        return self.metadata_path or str(pathlib.Path(self.pipeline_root) / "metadata.sqlite")
