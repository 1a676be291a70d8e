"""Where a trained model's weights started: the checkpoint (cold) or a blessed model (warm).

run_fn records it in the Trainer's history file; the run summary shows it.
"""

import dataclasses
from typing import Dict

COLD, WARM = "cold", "warm"


@dataclasses.dataclass(frozen=True)
class Initialization:
    """``kind`` COLD (``source``: the checkpoint directory) or WARM (``source``: a
    model's Format-Serving export); ``reason`` says why a run asked to warm-start
    started cold ("" otherwise)."""

    kind: str
    source: str
    reason: str = ""

    def as_record(self) -> Dict[str, str]:
        return dataclasses.asdict(self)

    def describe(self) -> str:
        if self.kind == WARM:
            return f"warm start from {self.source}"
        return f"cold start from {self.source}" + (f" ({self.reason})" if self.reason else "")
