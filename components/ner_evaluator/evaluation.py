"""Scoring exported models on the evaluated splits: metrics, predictions and
error tables in memory, for blessing.py to judge and outputs.py to write."""

import dataclasses
import functools
from typing import Dict, Mapping, Tuple

import tensorflow as tf
from absl import logging
from tfx.utils import path_utils

from components.ner_evaluator import error_analysis, metrics
from components.ner_evaluator.blessing import Baseline
from components.ner_evaluator.predictions import SplitPredictions, predict_split
from contracts import features
from contracts.inventory import EntityInventory, served_inventory

EVALUATED_SPLITS = (features.EVAL_SPLIT, features.TEST_SPLIT)


@dataclasses.dataclass
class Evaluation:
    """One model's scores, kept until the blessing is decided: the report states it."""

    results: Dict  # metrics.json's "splits" and "entity_types"
    predictions: Dict[str, SplitPredictions]
    error_tables: Dict[str, Dict]  # error_analysis.analyse's, per split

    @property
    def test_f1(self) -> float:
        return self.results["splits"][features.TEST_SPLIT]["entities"][metrics.MICRO]["f1"]


def load_served(model_uri: str):
    """The exported model of a Model artifact, loaded once for all the splits it
    scores (loading takes seconds)."""
    return tf.saved_model.load(path_utils.serving_model_path(model_uri))


def score_split(model, split_dir: str, inventory: EntityInventory
                ) -> Tuple[SplitPredictions, Dict]:
    """The predictions of ``model`` on one split and their metrics."""
    predictions = predict_split(model, split_dir, inventory.labels)
    return predictions, {
        **metrics.token_metrics(predictions.gold, predictions.predicted,
                                predictions.gold_probabilities),
        "entities": metrics.entity_scores(predictions.gold, predictions.predicted,
                                          inventory.types),
        "argmax_entity_f1": metrics.entity_scores(predictions.gold, predictions.argmax,
                                                  inventory.types)[metrics.MICRO]["f1"],
        "confusion": metrics.entity_confusion(predictions.gold, predictions.predicted,
                                              inventory.types),
    }


def evaluate(model, split_dirs: Mapping[str, str], inventory: EntityInventory) -> Evaluation:
    """Scores ``model`` on each split of ``split_dirs`` (split name → directory)
    and analyses its errors there."""
    evaluation = Evaluation({"splits": {}, "entity_types": list(inventory.types)}, {}, {})
    for split, split_dir in split_dirs.items():
        predictions, split_metrics = score_split(model, split_dir, inventory)
        tables = error_analysis.analyse(predictions.tokens, predictions.gold,
                                        predictions.predicted)
        split_metrics["errors"] = dict(zip(tables["categories"]["category"],
                                           tables["categories"]["errors"].tolist()))
        evaluation.results["splits"][split] = split_metrics
        evaluation.predictions[split], evaluation.error_tables[split] = predictions, tables
        logging.info("%s: %s", split, {k: v for k, v in split_metrics.items() if k != "confusion"})
    return evaluation


def served_baseline(model_uri: str, model_id: int, test_dir: str,
                    inventory: EntityInventory) -> Baseline:
    """The blessed baseline as blessing.decide asks for it: loaded on first use
    and scored on ``test_dir``."""
    loaded = functools.cache(lambda: load_served(model_uri))

    def test_f1() -> float:
        predictions = predict_split(loaded(), test_dir, inventory.labels)
        return metrics.entity_scores(predictions.gold, predictions.predicted,
                                     inventory.types)[metrics.MICRO]["f1"]

    return Baseline(model_uri, model_id, lambda: served_inventory(loaded()), test_f1)
