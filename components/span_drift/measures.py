"""The drift measures between two spans' sentences (contracts/drift.py names them).

TFDV compares the distributions: each span's statistics are computed in memory
(a span's train file is a few thousand sentences, not worth a Beam job), then
``tfdv.validate_statistics(..., previous_statistics=...)`` evaluates a
Jensen-Shannon drift comparator on ``ner_tags`` and on the words per sentence
(a feature made here: the examples carry none). TFX 1.16's ExampleValidator
never passes previous statistics, so comparators in its schema are never
evaluated. Jensen-Shannon rather than L-infinity on the tags: the largest
single difference is nearly always in ``O``, which varies between real spans as
much as removing a whole entity type moves it.

TFDV has no comparator for vocabulary, so the unseen-word share is counted
here and added to TFDV's anomalies as a custom validation.
"""

import collections
from typing import Sequence, Tuple

import pyarrow as pa
import tensorflow_data_validation as tfdv
from tensorflow_data_validation.statistics import stats_impl
from tensorflow_metadata.proto.v0 import anomalies_pb2, schema_pb2, statistics_pb2

from contracts import features
from contracts.conll_format import Sentence
from contracts.drift import (
    LENGTH_DIVERGENCE, RECURRING_USES, TAG_DIVERGENCE, UNSEEN_WORDS, DriftThresholds, Measure)

SENTENCE_LENGTH = "sentence_length"
# Feature -> its type and the measure its drift comparator gives (the thresholds'
# field of the same name).
_COMPARED = {features.NER_TAGS: (schema_pb2.BYTES, TAG_DIVERGENCE),
             SENTENCE_LENGTH: (schema_pb2.INT, LENGTH_DIVERGENCE)}


def statistics(sentences: Sequence[Sentence]) -> statistics_pb2.DatasetFeatureStatisticsList:
    """TFDV's statistics of the sentences' tags and lengths."""
    batch = pa.RecordBatch.from_arrays(
        [pa.array([list(sentence.ner_tags) for sentence in sentences], pa.list_(pa.binary())),
         pa.array([[len(sentence.tokens)] for sentence in sentences], pa.list_(pa.int64()))],
        [features.NER_TAGS, SENTENCE_LENGTH])
    return stats_impl.generate_statistics_in_memory(batch)


def drift_schema(thresholds: DriftThresholds) -> schema_pb2.Schema:
    """A schema of the compared features alone, each with its drift comparator."""
    schema = schema_pb2.Schema()
    for name, (kind, measure) in _COMPARED.items():
        feature = schema.feature.add(name=name, type=kind)
        feature.drift_comparator.jensen_shannon_divergence.threshold = getattr(thresholds, measure)
    return schema


def unseen_word_share(previous: Sequence[Sentence], current: Sequence[Sentence]) -> float:
    """Of the uses of words that ``current`` uses RECURRING_USES times or more, the
    share whose word (as written) ``previous`` never has; 0 without such words."""
    seen = {word for sentence in previous for word in sentence.tokens}
    uses = collections.Counter(word for sentence in current for word in sentence.tokens)
    recurring = {word: count for word, count in uses.items() if count >= RECURRING_USES}
    total = sum(recurring.values())
    unseen = sum(count for word, count in recurring.items() if word not in seen)
    return unseen / total if total else 0.0


def _add_unseen_anomaly(anomalies: anomalies_pb2.Anomalies, measure: Measure) -> None:
    info = anomalies.anomaly_info[features.TOKENS]
    info.path.step.append(features.TOKENS)
    info.severity = anomalies_pb2.AnomalyInfo.ERROR
    info.short_description = "High share of words the previous span never has"
    info.description = measure.describe()
    info.reason.add(type=anomalies_pb2.AnomalyInfo.CUSTOM_VALIDATION,
                    short_description=info.short_description, description=info.description)


def compare(previous: Sequence[Sentence], current: Sequence[Sentence],
            thresholds: DriftThresholds) -> Tuple[Tuple[Measure, ...], anomalies_pb2.Anomalies]:
    """Each measure of ``current`` against ``previous``, and TFDV's anomalies (one per
    measure above its threshold; the measurements in ``drift_skew_info``)."""
    anomalies = tfdv.validate_statistics(statistics(current), drift_schema(thresholds),
                                         previous_statistics=statistics(previous))
    measured = {info.path.step[0]: info.drift_measurements[0]
                for info in anomalies.drift_skew_info}
    measures = [Measure(measure, measured[name].value, measured[name].threshold)
                for name, (_, measure) in _COMPARED.items()]
    unseen = Measure(UNSEEN_WORDS, unseen_word_share(previous, current), thresholds.unseen_words)
    if unseen.drifted:
        _add_unseen_anomaly(anomalies, unseen)
    return tuple(measures) + (unseen,), anomalies
