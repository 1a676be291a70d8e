"""The drift measures and thresholds on sentences written here: TFDV's comparators
on tags and sentence lengths, the unseen-word share, and the check's verdict."""

from typing import Sequence

import pytest
from tensorflow_metadata.proto.v0 import anomalies_pb2

from components.span_drift.measures import compare, drift_schema, unseen_word_share
from contracts.conll_format import Sentence
from contracts.drift import (
    LENGTH_DIVERGENCE, RECURRING_USES, TAG_DIVERGENCE, UNSEEN_WORDS, DriftCheck, DriftThresholds,
    Measure)

Type = anomalies_pb2.AnomalyInfo.Type


def sentence(tokens: Sequence[str], tags: Sequence[str] = ()) -> Sentence:
    return Sentence(document_id="doc:0", sentence_index=0, tokens=tuple(tokens),
                    ner_tags=tuple(tags) or ("O",) * len(tokens), pos_tags=None,
                    chunk_tags=None, first_line=1, retagged=0)


# 200 sentences: a quarter name a person.
SPAN = [sentence(["Peter", "said", "so"], ["B-PER", "O", "O"]) if index % 4 == 0
        else sentence(["he", "said", "it", "was", "so"]) for index in range(200)]


def drifted(measures) -> set:
    return {measure.name for measure in measures if measure.drifted}


def test_a_measure_is_drift_only_above_its_threshold():
    assert not Measure(TAG_DIVERGENCE, 0.006, 0.006).drifted
    assert Measure(TAG_DIVERGENCE, 0.0061, 0.006).drifted


def test_the_schema_carries_a_jensen_shannon_comparator_per_distribution():
    schema = drift_schema(DriftThresholds(tag_divergence=0.01, length_divergence=0.2))
    thresholds = {feature.name: feature.drift_comparator.jensen_shannon_divergence.threshold
                  for feature in schema.feature}
    assert thresholds == {"ner_tags": 0.01, "sentence_length": 0.2}


def test_the_same_data_does_not_drift():
    measures, anomalies = compare(SPAN, SPAN, DriftThresholds())
    assert [measure.name for measure in measures] == [
        TAG_DIVERGENCE, LENGTH_DIVERGENCE, UNSEEN_WORDS]
    assert [measure.value for measure in measures] == [0, 0, 0]
    assert not anomalies.anomaly_info


def test_tags_without_the_person_drift_and_tfdv_says_so():
    untagged = [sentence(s.tokens) for s in SPAN]
    measures, anomalies = compare(SPAN, untagged, DriftThresholds())
    assert drifted(measures) == {TAG_DIVERGENCE}
    info = anomalies.anomaly_info["ner_tags"]
    assert info.reason[0].type == Type.COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH
    measured = {info.path.step[0]: info.drift_measurements[0].value
                for info in anomalies.drift_skew_info}
    assert measured["ner_tags"] == measures[0].value > 0.006


def test_longer_sentences_drift_in_length_only():
    longer = [sentence(s.tokens * 2, s.ner_tags * 2) for s in SPAN]
    measures, anomalies = compare(SPAN, longer, DriftThresholds())
    assert drifted(measures) == {LENGTH_DIVERGENCE}
    assert set(anomalies.anomaly_info) == {"sentence_length"}


def test_unseen_words_count_recurring_words_as_written():
    previous = [sentence(["the", "cat", "sat"])]
    recurring = [sentence(["The", "cat"])] * RECURRING_USES
    # "The" (5 uses) is new, "cat" (5 uses) is not; "dog" (once) does not count.
    assert unseen_word_share(previous, recurring + [sentence(["dog"])]) == 0.5
    assert unseen_word_share(previous, [sentence(["dog"])]) == 0.0


def test_lower_cased_text_drifts_in_unseen_words_as_a_custom_anomaly():
    lower_cased = [sentence([word.lower() for word in s.tokens], s.ner_tags) for s in SPAN]
    measures, anomalies = compare(SPAN, lower_cased, DriftThresholds(unseen_words=0.05))
    assert drifted(measures) == {UNSEEN_WORDS}
    assert measures[-1].value == pytest.approx(50 / 900)  # "peter": 50 of 900 words
    info = anomalies.anomaly_info["tokens"]
    assert info.reason[0].type == Type.CUSTOM_VALIDATION
    assert info.description.startswith("unseen words (share of the uses of words used 5+ times")


def test_a_check_says_what_drifted_and_survives_json():
    check = DriftCheck("span-3", "span-2", (Measure(TAG_DIVERGENCE, 0.0111, 0.006),
                                            Measure(UNSEEN_WORDS, 0.03, 0.08)))
    assert check.drifted
    assert check.verdict() == ("span-3 against span-2: tag distribution (Jensen-Shannon "
                               "divergence of ner_tags) 0.0111 above 0.006")
    assert DriftCheck.from_json(check.to_json()) == check
    calm = DriftCheck("span-3", "span-2", (Measure(UNSEEN_WORDS, 0.03, 0.08),))
    assert calm.verdict() == "span-3 against span-2: no drift" and not calm.drifted


def test_without_a_previous_span_the_check_passes():
    assert not DriftCheck("span-1").drifted
    assert DriftCheck("span-1").verdict() == "no previous span before span-1: nothing to compare"
    assert DriftCheck().verdict() == "no previous span (no span folders): nothing to compare"
    assert DriftCheck.from_json(DriftCheck().to_json()) == DriftCheck()
