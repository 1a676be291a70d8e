"""Resolver strategy: the blessed model with the best test entity F1 so far.

TFX's LatestBlessedModelStrategy returns the newest blessed model. Compared
with that one, a series of runs could each lose up to the regression
tolerance and still be blessed, ratcheting down to the absolute threshold.
Compared with the best blessed model, no blessed model is ever more than the
tolerance below the best one.

The resolved model changes only when a better model is blessed, so, like the
latest-blessed baseline, it does not keep the Evaluator out of TFX's cache.
Kubeflow V2 / Vertex pipelines compile only TFX's two built-in strategies
(pipeline/kubeflow_v2_runner.py says what is used there instead).
"""

from typing import Dict, List, Optional

from tfx import types
from tfx.dsl.input_resolution.strategies.latest_blessed_model_strategy import (
    LatestBlessedModelStrategy)

# Custom properties the NerEvaluator writes on its ModelBlessing.
BLESSED_PROPERTY = "blessed"
CURRENT_MODEL_ID_PROPERTY = "current_model_id"
TEST_F1_PROPERTY = "test_entity_f1"


def best_blessing(blessings: List[types.Artifact]) -> Optional[types.Artifact]:
    """The blessing (blessed == 1) with the highest test F1; ties go to the newest model."""
    blessed = [b for b in blessings if b.get_int_custom_property(BLESSED_PROPERTY) == 1]
    if not blessed:
        return None
    return max(blessed, key=lambda b: (b.get_float_custom_property(TEST_F1_PROPERTY),
                                       b.get_int_custom_property(CURRENT_MODEL_ID_PROPERTY),
                                       b.id))


class BestBlessedModelStrategy(LatestBlessedModelStrategy):
    """Resolves the best blessed Model and its ModelBlessing (same channels as
    LatestBlessedModelStrategy, which finds the channels and reads MLMD)."""

    def _resolve(self, input_dict: Dict[str, List[types.Artifact]],
                 model_channel_key: str, model_blessing_channel_key: str):
        models = {model.id: model for model in input_dict[model_channel_key]}
        candidates = [b for b in input_dict[model_blessing_channel_key]
                      if b.get_int_custom_property(CURRENT_MODEL_ID_PROPERTY) in models]
        best = best_blessing(candidates)
        if best is None:
            return {model_channel_key: [], model_blessing_channel_key: []}
        return {model_channel_key: [models[best.get_int_custom_property(CURRENT_MODEL_ID_PROPERTY)]],
                model_blessing_channel_key: [best]}
