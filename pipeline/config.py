"""Typed pipeline configuration; the CLI builds its options from these fields.

Each field's ``help`` metadata is the single source of the option's
documentation (``ner-pipeline run --help`` prints it). Profiles are named
sets of defaults; options given on the command line override them.
"""

import dataclasses
import pathlib
from typing import Any, Dict, List, Optional

PROJECT_ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_SCHEMA_FILE = PROJECT_ROOT / "data" / "schema" / "schema.pbtxt"
DEFAULT_CHECKPOINT = PROJECT_ROOT / "models" / "all-MiniLM-L6-v2"
TINY_CHECKPOINT = PROJECT_ROOT / "models" / "tiny-bert"


def _option(default, help_text: str):
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata={"help": help_text})
    return dataclasses.field(default=default, metadata={"help": help_text})


@dataclasses.dataclass
class TrainingConfig:
    """Trainer hyperparameters, handed to the Trainer's run_fn as custom_config.

    The seed notebook's settings are expressible: --epochs 5 --batch-size 8
    --learning-rate 1e-6 --warmup-ratio 0 --weight-decay 0 --clip-norm 0
    --lr-schedule constant (Adam with a fixed rate).
    """

    epochs: int = _option(3, "Training epochs (an upper bound with early stopping).")
    batch_size: int = _option(32, "Sentences (windows) per training batch.")
    # 1e-4 and no weight decay: 0.9085/0.8626 eval/test entity F1 on MiniLM-L6 in 3
    # epochs, against 0.8921/0.8490 with 5e-5 and 0.01 (README, Results).
    learning_rate: float = _option(1e-4, "Peak learning rate of AdamW.")
    lr_schedule: str = _option("linear", "'linear': warmup then linear decay to 0; 'constant'.")
    warmup_ratio: float = _option(0.1, "Fraction of the training steps spent warming up.")
    weight_decay: float = _option(0.0, "AdamW weight decay (not applied to LayerNorm and biases).")
    clip_norm: float = _option(1.0, "Global gradient-norm clipping; 0 turns it off.")
    seed: int = _option(42, "Random seed for initialization, shuffling and dropout.")
    max_steps: int = _option(0, "Stop after this many optimizer steps; 0 means no cap.")
    max_seq_length: int = _option(
        0, "Pieces per window the model sees; longer sentences are split into windows at word "
           "boundaries. 0 means the checkpoint's position limit.")
    early_stopping_patience: int = _option(
        2, "Stop when eval entity F1 has not improved for this many epochs; the best epoch is kept.")
    jit_compile: bool = _option(False, "Compile the training step with XLA.")
    mixed_precision: str = _option(
        "float32", "Keras precision policy: 'float32' or 'mixed_bfloat16'.")


@dataclasses.dataclass
class PipelineConfig:
    """Everything a pipeline run depends on; create_pipeline reads nothing else."""

    data_dir: str = _option(
        None, "Directory with the CoNLL files: train.txt/valid.txt/test.txt "
              "(or eng.train/eng.testa/eng.testb). Local path or any tf.io.gfile URL.")
    pipeline_root: str = _option(
        "pipeline_root", "Where TFX writes artifacts (and, locally, ML Metadata).")
    serving_dir: str = _option(
        "serving_model", "Where the Pusher writes blessed models as <serving-dir>/<version>/, "
                         "the layout TensorFlow Serving watches.")
    pipeline_name: str = _option("conll-ner", "Pipeline name recorded in ML Metadata.")
    metadata_path: Optional[str] = _option(
        None, "SQLite ML Metadata file for local runs; default <pipeline-root>/metadata.sqlite.")
    schema_file: str = _option(
        str(DEFAULT_SCHEMA_FILE), "Curated schema that pins the feature layout and the NER tag domain.")
    checkpoint: str = _option(
        str(DEFAULT_CHECKPOINT),
        "BERT checkpoint: a local directory (config.json, vocab.txt and weights; without weights "
        "the model starts from random values) or a Hugging Face Hub id such as bert-base-cased "
        "(needs network). Vocabulary and casing come from it.")
    f1_threshold: float = _option(
        0.80, "Bless the model only if its test-split entity F1 (micro) reaches this.")
    regression_tolerance: float = _option(
        0.01, "Bless only if test entity F1 is at most this much below the latest blessed model's.")
    enable_cache: bool = _option(
        True, "Reuse the outputs of components whose inputs and settings are unchanged.")
    beam_pipeline_args: List[str] = _option(
        # In-memory DirectRunner: Beam stages run in this process, where
        # tensorflow_text's ops are registered; separate worker processes would
        # not have them (see components/transform/preprocessing.py).
        ["--direct_running_mode=in_memory"],
        "Apache Beam options for the Beam-based components (e.g. --runner=DataflowRunner ...).")
    training: TrainingConfig = dataclasses.field(default_factory=TrainingConfig)

    @property
    def resolved_metadata_path(self) -> str:
        return self.metadata_path or str(pathlib.Path(self.pipeline_root) / "metadata.sqlite")


# Named defaults. 'main': the offline MiniLM on full CoNLL-2003. 'quick': a
# tiny random BERT and a few hundred steps, for the end-to-end test and smoke runs.
PROFILES: Dict[str, Dict[str, Any]] = {
    "main": {},
    "quick": {"checkpoint": str(TINY_CHECKPOINT), "f1_threshold": 0.0,
              "training": {"epochs": 1, "max_steps": 150, "batch_size": 32,
                           "learning_rate": 1e-3, "early_stopping_patience": 1}},
}


def config_for_profile(profile: str, **overrides: Any) -> PipelineConfig:
    """The profile's defaults with ``overrides`` (a nested 'training' dict merges)."""
    values = {**PROFILES[profile]}
    training = {**values.pop("training", {}), **overrides.pop("training", {})}
    values.update(overrides)
    return PipelineConfig(**values, training=TrainingConfig(**training))
