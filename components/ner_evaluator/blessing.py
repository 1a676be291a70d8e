"""The blessing decision: may the candidate be pushed, and why.

Pure: the baseline comes in as numbers and callables (evaluation.served_baseline
loads and scores a real one), so every case is tested without a model.
"""

import dataclasses
from typing import Callable, Dict, Optional, Tuple

from absl import logging

from contracts.inventory import EntityInventory


@dataclasses.dataclass(frozen=True)
class Baseline:
    """The best blessed model so far (pipeline/pipeline.py picks the resolver),
    measured again on today's test split. (Its blessing is not an input: each
    rerun adds a blessing, which would keep the Evaluator out of the cache.)
    The callables load and score it when asked: never when it is the candidate."""

    uri: str
    model_id: int
    inventory: Callable[[], EntityInventory]
    test_f1: Callable[[], float]


@dataclasses.dataclass(frozen=True)
class Decision:
    """What was decided and on which numbers: metrics.json and the
    ModelBlessing record it (outputs.py, properties.py)."""

    blessed: bool
    reason: str
    test_f1: float
    f1_threshold: float
    regression_tolerance: float
    baseline: Optional[Baseline] = None
    baseline_f1: Optional[float] = None  # also None when the baseline is not comparable

    @property
    def best_f1(self) -> float:
        return best_after_blessing(self.baseline_f1, self.test_f1)

    def results(self) -> Dict:
        """metrics.json's "baseline" (when there is one) and "blessing" entries."""
        entries = {}
        if self.baseline is not None:
            entries["baseline"] = {"model_uri": self.baseline.uri,
                                   "test_entity_f1": self.baseline_f1}
        entries["blessing"] = {"blessed": self.blessed, "reason": self.reason,
                               "f1_threshold": self.f1_threshold,
                               "regression_tolerance": self.regression_tolerance}
        return entries


def blessing_decision(test_f1: float, threshold: float, best_f1: Optional[float],
                      tolerance: float) -> Tuple[bool, str]:
    """Blessed if test F1 reaches the threshold and is not more than ``tolerance``
    below ``best_f1`` (None if no model was blessed before). Holding candidates to
    the best blessed F1 so far keeps a series of runs from ratcheting down a
    tolerance at a time; the pipeline passes its best blessed model's F1."""
    if test_f1 < threshold:
        return False, f"test entity F1 {test_f1:.4f} is below the threshold {threshold:.4f}"
    if best_f1 is None:
        return True, (f"test entity F1 {test_f1:.4f} >= threshold {threshold:.4f}; "
                      f"the first blessed model")
    if test_f1 < best_f1 - tolerance:
        return False, (f"test entity F1 {test_f1:.4f} is more than {tolerance:.4f} below the "
                       f"blessed baseline's {best_f1:.4f}")
    return True, (f"test entity F1 {test_f1:.4f} >= threshold {threshold:.4f} and within "
                  f"{tolerance:.4f} of the blessed baseline's {best_f1:.4f}")


def best_after_blessing(best_f1: Optional[float], test_f1: float) -> float:
    """The best blessed test F1 once a model with ``test_f1`` has been blessed."""
    return test_f1 if best_f1 is None else max(best_f1, test_f1)


def _comparable_f1(baseline: Baseline, inventory: EntityInventory) -> Optional[float]:
    """The baseline's test F1, or None when it knows other entity types (it
    cannot be compared on this data: the candidate is judged on its own)."""
    known = baseline.inventory()
    if known.labels != inventory.labels:
        logging.warning("The blessed baseline knows the entity types %s, this data %s: "
                        "not compared", ", ".join(known.types), ", ".join(inventory.types))
        return None
    return baseline.test_f1()


def decide(test_f1: float, candidate_id: int, inventory: EntityInventory, *,
           f1_threshold: float, regression_tolerance: float,
           baseline: Optional[Baseline] = None) -> Decision:
    """Blesses the candidate (test F1 ``test_f1``, MLMD id ``candidate_id``, trained
    on ``inventory``) against the threshold and the baseline, and logs why."""
    baseline_f1 = None
    if baseline is not None and baseline.model_id == candidate_id:
        baseline_f1 = test_f1
        blessed, reason = True, (f"this model (test entity F1 {test_f1:.4f}) is already the "
                                 f"blessed baseline")
    else:
        if baseline is not None:
            baseline_f1 = _comparable_f1(baseline, inventory)
        blessed, reason = blessing_decision(test_f1, f1_threshold, baseline_f1,
                                            regression_tolerance)
    logging.info("%s: %s", "Blessed" if blessed else "Not blessed", reason)
    return Decision(blessed, reason, test_f1, f1_threshold, regression_tolerance,
                    baseline, baseline_f1)
