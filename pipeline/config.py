"""Typed pipeline configuration; the CLI builds its options from these fields.

Each field's ``help`` metadata is the single source of the option's
documentation (``ner-pipeline run --help`` prints it). Profiles are named
sets of defaults; options given on the command line override them.
"""

import dataclasses
import pathlib
from typing import Any, Dict, List, Optional, Tuple

from contracts import spans
from contracts.tag_schemes import scheme_name
from contracts.inventory import parse_type_list
from contracts.training import (
    TrainingConfig, at_least, between, one_of, option, option_name, optional, parses,
    validate_fields)
from pipeline import beam_args, paths

PROJECT_ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_SCHEMA_FILE = PROJECT_ROOT / "data" / "schema" / "schema.pbtxt"
DEFAULT_CHECKPOINT = PROJECT_ROOT / "models" / "all-MiniLM-L6-v2"
TINY_CHECKPOINT = PROJECT_ROOT / "models" / "tiny-bert"


@dataclasses.dataclass
class PipelineConfig:
    """What the user decides about a run; create_pipeline reads it and the runner's
    Placement (pipeline/placement.py), nothing else."""

    data_dir: str = option(
        None, "Directory with the data: CoNLL files train.txt/valid.txt/test.txt "
              "(or eng.train/eng.testa/eng.testb), or annotation-tool JSONL "
              "train.jsonl/valid.jsonl/test.jsonl. Local path or any tf.io.gfile URL. Data that "
              "arrives in spans goes in span folders span-1/, span-2/, ... or 2026-12-01/, ..., "
              "each with these files (valid and test optional).")
    span_layout: str = option(
        spans.AUTO, "How --data-dir holds spans: 'numbered' (span-1/, span-2/, ..., not "
                    "zero-padded), 'dated' (2026-12-01/, ...), 'none' (the split files "
                    "themselves), or 'auto' to tell from the directory. Compiling reads no "
                    "data, so there 'auto' means 'none'.", one_of(*spans.LAYOUTS))
    span: Optional[str] = option(
        None, "Span to ingest: N for span-N/, a date YYYY-MM-DD for dated folders. Default: "
              "the newest.", optional(spans.check_span_value))
    train_spans: str = option(
        "1", "Train on the newest N spans up to the ingested one, or on 'all' of them.",
        parses(spans.parse_train_spans))
    eval_dir: Optional[str] = option(
        None, "Directory with the held-out valid and test files that score every model "
              "trained on spans. Default: the newest span (up to the ingested one) that "
              "has both.")
    drift_gate: bool = option(
        False, "Stop the run before Transform when the ingested span's train data drifted from "
               "the previous span's (tags, sentence length, unseen words; thresholds in "
               "contracts/drift.py). Without it drift is only reported, in the run summary and "
               "the evaluation report.")
    labels: Optional[str] = option(
        None, "Entity types the model learns, comma-separated (e.g. PER,ORG,LOC); a tag of "
              "another type in any split stops the run. Default: the types the train split "
              "tags, sorted.", optional(parse_type_list))
    tag_scheme: str = option(
        "auto", "Tagging scheme of the CoNLL files: iob1, iob2, iobes (also bioes), bilou, or "
                "'auto' to detect it from the data.", parses(scheme_name))
    pipeline_root: str = option(
        "pipeline_root", "Where TFX writes artifacts (and, locally, ML Metadata).")
    serving_dir: str = option(
        "serving_model", "Where the Pusher writes blessed models as <serving-dir>/<version>/, "
                         "the layout TensorFlow Serving watches.")
    pipeline_name: str = option("conll-ner", "Pipeline name recorded in ML Metadata.")
    metadata_path: Optional[str] = option(
        None, "SQLite ML Metadata file for local runs; default <pipeline-root>/metadata.sqlite "
              "(./metadata.sqlite when the pipeline root is a URL: SQLite needs a local file).")
    schema_file: str = option(
        str(DEFAULT_SCHEMA_FILE), "Curated schema that pins the feature layout and the NER tag domain.")
    checkpoint: str = option(
        str(DEFAULT_CHECKPOINT),
        "BERT checkpoint: a local directory (config.json, vocab.txt and weights; without weights "
        "the model starts from random values) or a Hugging Face Hub id such as bert-base-cased "
        "(needs network; bert-base-cased@<commit> pins a revision). Vocabulary and casing come "
        "from it. Compiled pipelines take a checkpoint the image holds or a Hub id, resolved "
        "where the pipeline runs.")
    f1_threshold: float = option(
        0.80, "Bless the model only if its test-split entity F1 (micro) reaches this.",
        between(0, 1))
    regression_tolerance: float = option(
        0.01, "Bless only if test entity F1 is at most this much below the best blessed model's.",
        between(0, 1))
    enable_cache: bool = option(
        True, "Reuse the outputs of components whose inputs and settings are unchanged.")
    checkpoint_every: int = option(
        200, "Optimizer steps between backups of the Trainer's state (one more at each epoch "
             "end). A rerun after a crash resumes from the last backup; it finds it through "
             "the Trainer's inputs, so only with the cache on.", at_least(1, integer=True))
    beam_pipeline_args: List[str] = option(
        # pipeline/beam_args.py adds --beam_plugins=tensorflow_text, the
        # DirectRunner's mode (--beam-workers) and, on Dataflow, the worker image.
        [], "Apache Beam options for the Beam-based components (e.g. --runner=DataflowRunner ...).")
    beam_workers: int = option(
        0, "Worker processes of Beam's DirectRunner (multi_processing); 0 or 1 runs the Beam "
           "stages in this process (in_memory).", at_least(0, integer=True))
    training: TrainingConfig = dataclasses.field(default_factory=TrainingConfig)

    def validate(self) -> None:
        """Raises ValueError naming the first option (training ones included) whose
        value breaks its rule; the CLI calls it before any component runs."""
        validate_fields(self)
        beam_args.check(self.beam_pipeline_args, self.beam_workers)
        self.training.validate()

    def span_settings(self, layout: str) -> spans.SpanSettings:
        """The span options for ``layout`` (NONE, NUMBERED or DATED, as the runner
        found or was told it); raises ValueError for span options without spans."""
        if layout == spans.NONE:
            given = [option_name(name) for name, value in (
                ("span", self.span), ("train_spans", self.train_spans != "1"),
                ("eval_dir", self.eval_dir)) if value]
            if given:
                raise ValueError(f"{', '.join(given)} need{'s' if len(given) == 1 else ''} "
                                 f"span folders in --data-dir (span-1/, ... or 2026-12-01/, ...)")
            return spans.SpanSettings()
        return spans.SpanSettings(
            layout, spans.span_number(self.span, layout) if self.span else None,
            self.train_spans, self.eval_dir or "")

    @property
    def declared_types(self) -> Tuple[str, ...]:
        """``--labels`` as a tuple of types; empty when the data decides."""
        return parse_type_list(self.labels) if self.labels else ()

    @property
    def scheme(self) -> str:
        return scheme_name(self.tag_scheme)

    @property
    def resolved_metadata_path(self) -> str:
        if self.metadata_path:
            return self.metadata_path
        if paths.is_url(self.pipeline_root):
            return "metadata.sqlite"
        return str(pathlib.Path(self.pipeline_root) / "metadata.sqlite")


# Named defaults. 'main': the offline MiniLM on full CoNLL-2003. 'quick': a
# tiny random BERT and a few hundred steps, for the end-to-end test and smoke runs.
PROFILES: Dict[str, Dict[str, Any]] = {
    "main": {},
    "quick": {"checkpoint": str(TINY_CHECKPOINT), "f1_threshold": 0.0,
              "training": {"epochs": 1, "max_steps": 150, "batch_size": 32,
                           "learning_rate": 1e-3, "warm_learning_rate": 3e-4,
                           "early_stopping_patience": 1}},
}


def config_for_profile(profile: str, **overrides: Any) -> PipelineConfig:
    """The profile's defaults with ``overrides`` (a nested 'training' dict merges)."""
    values = {**PROFILES[profile]}
    training = {**values.pop("training", {}), **overrides.pop("training", {})}
    values.update(overrides)
    return PipelineConfig(**values, training=TrainingConfig(**training))
