"""The steps of the batch prediction pipeline (batch_predict.py), between
reading the input file and writing the sorted chunks of output lines.

Each step counts what it sees in METRICS_NAMESPACE; the launcher checks the
counts against the output and prints them.
"""

import logging
import time
from typing import Any, List, Tuple

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindows

from serving.batch_inputs import Unit, has_words, model_input, parse_lines
from serving.batch_outputs import format_result, format_unit

# The progress lines belong to the command's log, which ``ner-pipeline predict`` shows at INFO.
log = logging.getLogger("serving.batch_predict")

SORT_WINDOW = 1_024
PROGRESS_EVERY = 1_000
METRICS_NAMESPACE = "ner_batch_predict"
COUNTERS = ("units", "sentences", "empty", "errors")


class ReadUnits(beam.DoFn):
    def __init__(self, input_format: str, max_words: int):
        self._input_format = input_format
        self._max_words = max_words
        self._units = Metrics.counter(METRICS_NAMESPACE, "units")

    def process(self, path):
        with FileSystems.open(path) as handle:
            for unit in parse_lines(iter(handle.readline, b""), self._input_format, path,
                                    self._max_words):
                self._units.inc()
                yield unit


class Route(beam.DoFn):
    """Units with words go to the model (tagged output); errors and empty lines are done."""
    MODEL = "model"

    def __init__(self):
        self._errors = Metrics.counter(METRICS_NAMESPACE, "errors")
        self._empty = Metrics.counter(METRICS_NAMESPACE, "empty")

    def process(self, unit):
        if has_words(unit):
            yield beam.pvalue.TaggedOutput(self.MODEL, (unit, model_input(unit)))
            return
        (self._errors if unit.error is not None else self._empty).inc()
        yield unit.index, format_unit(unit)


class SortByLength(beam.DoFn):
    """Passes sentences on in groups of SORT_WINDOW, each sorted by length.

    The model pads a batch to its longest sentence, and after the Reshuffle
    the order is random; sorted groups make batches of similar lengths, which
    about doubled the sentences/s on CoNLL test with MiniLM.
    """

    def start_bundle(self):
        self._waiting = []

    def process(self, element):
        self._waiting.append(element)
        if len(self._waiting) >= SORT_WINDOW:
            yield from self._sorted()

    def finish_bundle(self):
        for element in self._sorted():
            yield GlobalWindows.windowed_value(element)

    def _sorted(self) -> List[Tuple[Unit, Any]]:
        waiting, self._waiting = self._waiting, []
        return sorted(waiting, key=lambda element: len(element[0].text))


class FormatResults(beam.DoFn):
    """Formats tagged units and logs progress every PROGRESS_EVERY sentences (per worker)."""

    def __init__(self):
        self._sentences = Metrics.counter(METRICS_NAMESPACE, "sentences")

    def setup(self):
        self._count, self._start = 0, 0.0

    def process(self, element):
        unit, outputs = element
        self._sentences.inc()
        if self._count == 0:  # the rate leaves out loading the model
            self._start = time.monotonic()
        self._count += 1
        if self._count % PROGRESS_EVERY == 0:
            log.info("Tagged %d sentences (%.1f sentences/s)", self._count,
                     self._count / (time.monotonic() - self._start))
        yield unit.index, format_result(unit, outputs)


class WriteChunk(beam.DoFn):
    """Writes one chunk of consecutive indexes, sorted, as its own file (a retry rewrites it)."""

    def __init__(self, parts_prefix: str):
        self._parts_prefix = parts_prefix

    def process(self, element):
        chunk, lines = element
        with FileSystems.create(f"{self._parts_prefix}{chunk:08d}.jsonl") as handle:
            for _, line in sorted(lines):
                handle.write(line.encode("utf-8") + b"\n")
