"""Which two spans the drift check compares, read from their folders.

The new span is the one TFX's driver ingested; the previous span is the newest
span folder before it. Both train files are read from the data directory, not
from earlier artifacts: with ``--train-spans N`` an Examples artifact (and its
statistics) holds a window of spans, not one; a Resolver's
LatestArtifactStrategy (the only artifact query besides the blessed model that
compiles for Vertex AI) returns the latest statistics, which after a rerun of
the same span are that span's own; and no statistics hold the vocabulary the
unseen-word share needs. TFX's DistributionValidator compares two such
statistics artifacts, so it inherits all three problems. Reading the two
folders compares one span with one span whatever the window, locally and on
Vertex AI alike.
"""

from typing import List, Optional, Tuple

from tensorflow_metadata.proto.v0 import anomalies_pb2

from components.conll_example_gen.executor import read_file
from components.conll_example_gen.spans import SpanFolder, span_folders
from components.conll_example_gen.window import train_file
from components.span_drift.measures import compare
from contracts.conll_format import Sentence
from contracts.drift import DriftCheck, DriftThresholds
from contracts.spans import NONE


def _train_sentences(data_dir: str, folder: SpanFolder, scheme: str) -> List[Sentence]:
    return list(read_file(train_file(data_dir, folder), scheme))


def check_span(data_dir: str, layout: str, span: Optional[int], scheme: str,
               thresholds: DriftThresholds = DriftThresholds()
               ) -> Tuple[DriftCheck, Optional[anomalies_pb2.Anomalies]]:
    """The check of ``span`` (as TFX numbers it) against the span folder before it,
    and TFDV's anomalies; without span folders or an earlier span, an empty check
    that passes and no anomalies. ``scheme`` is the tagging scheme ingestion decided."""
    if layout == NONE:
        return DriftCheck(), None
    folders = span_folders(data_dir, layout)
    current = next(folder for folder in folders if folder.span == span)
    earlier = [folder for folder in folders if folder.span < span]
    if not earlier:
        return DriftCheck(current.name), None
    previous = earlier[-1]
    measures, anomalies = compare(_train_sentences(data_dir, previous, scheme),
                                  _train_sentences(data_dir, current, scheme), thresholds)
    return DriftCheck(current.name, previous.name, measures), anomalies
