"""This project's own serving metrics: what TF Serving cannot know about an NER model.

Named ``ner_serving_*`` so that they cannot be taken for TF Serving's
``:tensorflow:serving:*``. They count what a successful predict call sent
back (its output tensors, before JSON), and how long each loaded version
took to load.
"""

import collections
from typing import Callable, Dict, Iterable, Mapping, Tuple

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

from contracts import signatures
from serving.tf_serving_metrics import BATCH_SIZE_BUCKETS, exponential_buckets

# 1 to 131072 words: beyond --max-instances times --max-words at their defaults.
WORD_BUCKETS = exponential_buckets(1, 2, 18)
# (model name, version) -> seconds its load took, for the versions loaded now.
LoadSeconds = Callable[[], Dict[Tuple[str, int], float]]


class NerMetrics:
    def __init__(self, registry: CollectorRegistry, load_seconds: LoadSeconds):
        self.request_words = Histogram(
            "ner_serving_request_words", "Words in one predict request (all its instances).",
            ["model_name"], buckets=WORD_BUCKETS, registry=registry)
        self.request_instances = Histogram(
            "ner_serving_request_instances",
            "Instances (sentences, documents or examples) in one predict request.",
            ["model_name"], buckets=BATCH_SIZE_BUCKETS, registry=registry)
        self.entities = Counter(
            "ner_serving_entities", "Entities found, by type.", ["model_name", "entity_type"],
            registry=registry)
        self._load_seconds = load_seconds
        registry.register(self)

    def observe_predict(self, model_name: str, inputs: Mapping[str, np.ndarray],
                        outputs: Mapping[str, np.ndarray]) -> None:
        self.request_instances.labels(model_name).observe(len(next(iter(inputs.values()))))
        if signatures.WORD_COUNT in outputs:
            self.request_words.labels(model_name).observe(
                int(np.sum(outputs[signatures.WORD_COUNT])))
        if signatures.ENTITY_TYPES in outputs and signatures.ENTITY_COUNT in outputs:
            found = collections.Counter(
                entity_type for types, count in zip(outputs[signatures.ENTITY_TYPES],
                                                    outputs[signatures.ENTITY_COUNT])
                for entity_type in types[:count])  # the rest is padding
            for entity_type, number in found.items():
                self.entities.labels(model_name, entity_type.decode("utf-8")).inc(number)

    def collect(self) -> Iterable[Metric]:
        """The load times of the versions loaded at scrape time: unloaded ones drop out."""
        family = GaugeMetricFamily("ner_serving_model_load_seconds",
                                   "How long loading this version took.",
                                   labels=["model_name", "version"])
        for (model_name, version), seconds in sorted(self._load_seconds().items()):
            family.add_metric([model_name, str(version)], seconds)
        yield family
