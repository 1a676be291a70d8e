"""Trainer hyperparameters: the typed contract between the CLI and run_fn.

The pipeline hands a TrainingConfig to the Trainer as custom_config (a
dict of its fields); run_fn rebuilds it. Each field's ``help`` metadata is
the single source of the option's documentation (``ner-pipeline run --help``),
and its ``check`` metadata the rule a value must follow (``validate_fields``,
run by the CLI as it parses the options and again by run_fn).
"""

import dataclasses
import math
from typing import Any, Callable, Optional, Tuple

# Keys of the Trainer's custom_config: the TrainingConfig's, the Checkpoint's and the
# ResumeConfig's fields.
TRAINING_CONFIG_KEY = "training"
CHECKPOINT_CONFIG_KEY = "checkpoint"
RESUME_CONFIG_KEY = "resume"

# A rule: None if the value is fine, else what is wrong ("must be ..., not ...").
Check = Callable[[Any], Optional[str]]


# The Keras precision policies training can run in ('auto' picks one per CPU).
TRAINING_POLICIES = ("float32", "mixed_bfloat16")


def option(default, help_text: str, check: Optional[Check] = None):
    """A dataclass field with its command-line help text and the rule its values follow."""
    metadata = {"help": help_text, **({"check": check} if check else {})}
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def _number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def one_of(*choices: str) -> Check:
    def check(value):
        if value not in choices:
            return f"must be {' or '.join(repr(choice) for choice in choices)}, not {value!r}"
        return None
    return check


def at_least(low, integer: bool = False) -> Check:
    def check(value):
        if integer and not (isinstance(value, int) and not isinstance(value, bool)):
            return f"must be a whole number, not {value!r}"
        if not (_number(value) and value >= low):
            return f"must be at least {low}, not {value!r}"
        return None
    return check


def greater_than(low) -> Check:
    def check(value):
        if not (_number(value) and value > low):
            return f"must be greater than {low}, not {value!r}"
        return None
    return check


def between(low, high, include_high: bool = True, integer: bool = False) -> Check:
    def check(value):
        if integer and not (isinstance(value, int) and not isinstance(value, bool)):
            return f"must be a whole number, not {value!r}"
        if not (_number(value) and low <= value and (value <= high if include_high
                                                     else value < high)):
            return f"must be in [{low}, {high}{']' if include_high else ')'}, not {value!r}"
        return None
    return check


def zero_or_at_least(low: int, zero_means: str) -> Check:
    def check(value):
        if not (isinstance(value, int) and not isinstance(value, bool)
                and (value == 0 or value >= low)):
            return f"must be 0 ({zero_means}) or at least {low}, not {value!r}"
        return None
    return check


def parses(parser: Callable[[str], Any]) -> Check:
    """A rule that ``parser`` accepts the value (its ValueError says why not)."""
    def check(value):
        try:
            parser(value)
        except ValueError as error:
            return str(error)
        return None
    return check


def optional(parser: Callable[[str], Any]) -> Check:
    """Like ``parses``, with None (not given) allowed."""
    return lambda value: None if value is None else parses(parser)(value)


def option_name(field_name: str) -> str:
    """The command-line option of a config field."""
    return "--" + field_name.replace("_", "-")


def validate_fields(config) -> None:
    """Raises ValueError naming the option of the first field that breaks its rule."""
    for field in dataclasses.fields(config):
        check = field.metadata.get("check")
        problem = check(getattr(config, field.name)) if check else None
        if problem:
            raise ValueError(f"{option_name(field.name)} {problem}")


# Shortest --max-seq-length: [CLS], [SEP] and a few pieces per window.
MIN_SEQ_LENGTH = 8


@dataclasses.dataclass
class TrainingConfig:
    """Trainer hyperparameters, handed to the Trainer's run_fn as custom_config.

    Plain Adam at a fixed rate is expressible too: --learning-rate 1e-6
    --warmup-ratio 0 --weight-decay 0 --clip-norm 0 --lr-schedule constant.
    """

    epochs: int = option(3, "Training epochs (an upper bound with early stopping).",
                         at_least(1, integer=True))
    batch_size: int = option(32, "Sentences (windows) per training batch.",
                             at_least(1, integer=True))
    # 1e-4 without weight decay beat 5e-5 with 0.01 on MiniLM-L6 (README, Results).
    learning_rate: float = option(1e-4, "Peak learning rate of AdamW.", greater_than(0))
    lr_schedule: str = option("linear", "'linear': warmup then linear decay to 0; 'constant'.",
                              one_of("linear", "constant"))
    warmup_ratio: float = option(0.1, "Fraction of the training steps spent warming up.",
                                 between(0, 1, include_high=False))
    weight_decay: float = option(0.0, "AdamW weight decay (not applied to LayerNorm and biases).",
                                 at_least(0))
    clip_norm: float = option(1.0, "Global gradient-norm clipping; 0 turns it off.", at_least(0))
    # numpy's seed range (tf_keras.utils.set_random_seed seeds numpy too).
    seed: int = option(42, "Random seed for initialization, shuffling and dropout.",
                       between(0, 2 ** 32 - 1, integer=True))
    max_steps: int = option(
        0, "Train at most this many optimizer steps in all (the last epoch is cut short); "
           "0 means no cap.", at_least(0, integer=True))
    max_seq_length: int = option(
        0, "Pieces per window the model sees; longer sentences are split into windows at word "
           "boundaries. 0 means the checkpoint's position limit.",
        zero_or_at_least(MIN_SEQ_LENGTH, "the checkpoint's position limit"))
    document_context: int = option(
        0, "Pieces per window packed from consecutive sentences of a document, so that "
           "sentences see their neighbours in training, evaluation and serve_document; "
           "0 turns document context off (each sentence alone).",
        zero_or_at_least(MIN_SEQ_LENGTH, "off"))
    # The casing ablation: benchmarks/results/quality.json, README "Results".
    casing_embedding: bool = option(
        True, "Add a learned embedding of each word's casing as written (lower, Title, "
               "UPPER, ...) to its pieces: an uncased checkpoint otherwise cannot tell "
               "'US' from 'us'.")
    # Measured on 2 seeds in float32 against --no-freeze-embeddings: benchmarks/results/
    # main_run*.json (README, "Speed without native bf16").
    freeze_embeddings: bool = option(
        True, "Keep the checkpoint's embedding layer (word-piece, position and token-type "
              "tables) as it is: fine-tuning then skips the Adam update of the word-piece "
              "table, about half the encoder's parameters, every step. A checkpoint without "
              "weights (random values) trains it anyway.")
    early_stopping_patience: int = option(
        2, "Stop when eval entity F1 has not improved for this many epochs; the best epoch is kept.",
        at_least(0, integer=True))
    jit_compile: bool = option(False, "Compile the training step with XLA (batches are then "
                                      "padded to a few fixed lengths: XLA compiles per shape).")
    # 'auto': where the CPU computes bf16 natively, bf16 training kept test F1 within
    # the spread of seeds over 2 seeds and trained faster (README, Results: the
    # precision ablation). The exported model computes in float32 either way.
    mixed_precision: str = option(
        "auto", "Keras precision policy for training: 'float32', 'mixed_bfloat16', or 'auto' "
                   "(mixed_bfloat16 where the CPU/GPU computes bf16 natively, else float32). "
                   "The exported model computes in float32 whatever trained it.",
        one_of(*TRAINING_POLICIES, "auto"))

    decoding: str = option(
        "viterbi", "How the exported model picks each word's tag: 'viterbi' (the best tag "
                   "sequence that IOB2 allows, so no I-X without its B-X) or 'argmax' (each "
                   "word's most probable tag alone).", one_of("viterbi", "argmax"))

    # Warm start: modules/trainer/warm_start.py; the schedule is measured in
    # benchmarks/results/warm_start.json (README, "Continuous training").
    warm_start: bool = option(
        False, "Start from the latest blessed model's weights instead of the checkpoint's, "
               "on the warm schedule (--warm-epochs, --warm-learning-rate, "
               "--warm-warmup-ratio). Without a blessed model that fits (same checkpoint, "
               "entity types and casing embedding) training starts cold, and says why.")
    warm_epochs: int = option(1, "Training epochs of a warm start.", at_least(1, integer=True))
    warm_learning_rate: float = option(1e-4, "Peak learning rate of a warm start.",
                                       greater_than(0))
    warm_warmup_ratio: float = option(0.1, "Fraction of a warm start's steps spent warming up.",
                                      between(0, 1, include_high=False))

    def validate(self) -> None:
        """Raises ValueError naming the option whose value breaks its rule."""
        validate_fields(self)

    def warm_schedule(self) -> "TrainingConfig":
        """These settings with the warm start's epochs, peak rate and warmup."""
        return dataclasses.replace(self, epochs=self.warm_epochs,
                                   learning_rate=self.warm_learning_rate,
                                   warmup_ratio=self.warm_warmup_ratio)

    def window_lengths(self, max_positions: int) -> Tuple[int, int]:
        """(pieces per window, pieces per document-context window or 0) for a
        checkpoint of ``max_positions``: neither exceeds it."""
        max_length = min(self.max_seq_length or max_positions, max_positions)
        return max_length, min(self.document_context, max_length)


@dataclasses.dataclass(frozen=True)
class ResumeConfig:
    """Where and how often the Trainer backs its state up, so that a rerun of a killed
    Trainer resumes (modules/trainer/resume.py). Not a hyperparameter: the interval
    changes no result, and the backup's key leaves it out."""

    # <pipeline_root>/checkpoints/Trainer: outside any execution's output, which TFX
    # makes anew for each run; run_fn adds a key of the Trainer's inputs and settings.
    root: str
    every: int  # optimizer steps between backups; one more at each epoch end
    # Of run_fn's code: a backup that other code wrote is never resumed.
    code_fingerprint: str
