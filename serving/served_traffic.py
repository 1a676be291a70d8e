"""The served traffic of a request log directory, as one Profile per model version.

Each PredictLog's response holds the model's own words, tags and scores for
every sentence (padded outputs, cut by contracts/padded_outputs.py), so the
served side is read from what the model saw and said, not re-split here.
Only the sentence signatures (serving_default, serve_words) are profiled: a
serve_document instance is a whole document, so its length is not a
sentence's; such records and any without these outputs are counted as skipped.
"""

import dataclasses
from typing import Dict, Optional, Tuple

from contracts.padded_outputs import rows, unpad
from contracts.signatures import SERVE_TEXT, SERVE_WORDS, WORDS
from serving import prediction_logs
from serving.drift_features import Profile

SENTENCE_SIGNATURES = (SERVE_TEXT, SERVE_WORDS)
ModelVersion = Tuple[str, Optional[int]]


@dataclasses.dataclass
class Traffic:
    profiles: Dict[ModelVersion, Profile] = dataclasses.field(default_factory=dict)
    requests: Dict[ModelVersion, int] = dataclasses.field(default_factory=dict)
    files: int = 0
    skipped: int = 0  # records of other signatures, or without a predict response


def read_traffic(directory: str) -> Traffic:
    traffic = Traffic()
    for path in prediction_logs.log_files(directory):
        traffic.files += 1
        for log in prediction_logs.read_logs(path):
            spec = log.log_metadata.model_spec
            outputs = prediction_logs.output_arrays(log)
            if spec.signature_name not in SENTENCE_SIGNATURES or WORDS not in outputs:
                traffic.skipped += 1
                continue
            key = (spec.name, spec.version.value if spec.HasField("version") else None)
            profile = traffic.profiles.setdefault(key, Profile())
            traffic.requests[key] = traffic.requests.get(key, 0) + 1
            for row in rows(outputs):
                words, _ = unpad(row)
                profile.add([word["text"] for word in words], [word["tag"] for word in words],
                            [word["score"] for word in words])
    return traffic
