"""Offline batch prediction: tags a whole file with the exported SavedModel in a Beam pipeline.

One DoFn reads the file, so every unit (a line, or a CoNLL sentence) gets its
index and line number as it is read; a Reshuffle then spreads the units over
the workers, RunInference tags them in batches through the model's signature,
and every unit becomes exactly one JSON line: a result, an empty result (a
line without words) or ``{"line": n, "error": ...}``.

Order: results are keyed by index and grouped into chunks of ``CHUNK_LINES``
consecutive indexes; a worker sorts one chunk in memory and writes it as its
own file, and the launcher concatenates the chunk files in index order. So a
worker holds at most one chunk of output lines, not the whole file, and the
launcher only streams; the price is one extra copy of the output. (The
DirectRunner holds every step's data in memory regardless; the bound matters
on distributed runners.)

The launcher checks that the output has as many lines as units were read.
"""

import atexit
import dataclasses
import gc
import json
import logging
import os
import re
import time
import uuid
import weakref
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import apache_beam as beam
import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401  # registers the TF Text ops the model's graph calls
from apache_beam.io.filesystem import BeamIOError
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.ml.inference.base import KeyedModelHandler, ModelHandler, RunInference
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms.window import GlobalWindows
from tensorflow.core.protobuf import saved_model_pb2

from contracts.conll_format import (DOCSTART, ConllFormatError, decode_lines,
                                                       read_sentences)
from contracts.signatures import INPUT_OF, SERVE_TEXT, SERVE_WORDS, WORD_COUNT
from serving.limits import Limits, count_words

log = logging.getLogger(__name__)

SAVED_MODEL_FILE = "saved_model.pb"
# Workers import these before running any code, so Dataflow workers know the TF Text ops.
DEFAULT_BEAM_ARGS = ("--beam_plugins=tensorflow_text",)
CHUNK_LINES = 10_000
SORT_WINDOW = 1_024
PROGRESS_EVERY = 1_000
METRICS_NAMESPACE = "ner_batch_predict"


class BatchPredictError(RuntimeError):
    """A model directory, input or output that cannot be used; the CLI prints it on one line."""


@dataclasses.dataclass(frozen=True)
class Unit:
    """One input unit: a line (text, jsonl) or a sentence (conll)."""

    index: int  # 0-based position among the units: the output order
    line: int  # 1-based line number; a CoNLL sentence's first line
    text: str = ""
    words: Optional[Tuple[str, ...]] = None  # CoNLL tokens; None: the model splits the text
    gold_tags: Optional[Tuple[str, ...]] = None
    error: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class Summary:
    lines: int
    sentences: int  # tagged by the model
    empty: int  # lines without words
    errors: int
    seconds: float

    def __str__(self) -> str:
        rate = self.sentences / self.seconds if self.seconds else 0.0
        return (f"{self.lines} lines: {self.sentences} sentences tagged, {self.empty} empty, "
                f"{self.errors} errors; {self.seconds:.1f} s, {rate:.1f} sentences/s")


# Parsing: bytes of one input file -> units. Pure, so each rule is tested on its own.

def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not valid UTF-8 ({error.reason} at byte {error.start})") from None


def _check_length(word_count: int, max_words: int) -> None:
    if word_count > max_words:
        raise ValueError(f"{word_count} words; the limit is {max_words} words per sentence")


def parse_text_line(index: int, raw: bytes, max_words: int) -> Unit:
    """A plain text line: the whole line is the sentence (an empty line has no words)."""
    try:
        text = _decode(raw)
        _check_length(count_words(text), max_words)
    except ValueError as error:
        return Unit(index, index + 1, error=str(error))
    return Unit(index, index + 1, text)


def parse_json_line(index: int, raw: bytes, max_words: int) -> Unit:
    """A JSON Lines line: an object whose "text" is the sentence."""
    try:
        document = json.loads(_decode(raw)) if raw.strip() else None
        if not isinstance(document, dict):
            found = "an empty line" if document is None else type(document).__name__
            raise ValueError(f'expected a JSON object with a "text" string, found {found}')
        if "text" not in document:
            raise ValueError('missing "text"')
        if not isinstance(document["text"], str):
            raise ValueError(f'"text" is {type(document["text"]).__name__}, not a string')
        _check_length(count_words(document["text"]), max_words)
    except json.JSONDecodeError as error:
        message = error.msg.removesuffix(" at")  # "Unterminated string starting at"
        return Unit(index, index + 1, error=f"invalid JSON: {message} at column {error.colno}")
    except ValueError as error:
        return Unit(index, index + 1, error=str(error))
    return Unit(index, index + 1, document["text"])


def parse_conll(lines: Iterable[bytes], source: str, max_words: int) -> Iterator[Unit]:
    """One unit per sentence of a CoNLL file (conll_format's rules); -DOCSTART- is skipped.

    Each sentence is read on its own, so a bad line turns its sentence into an
    error line (``file:line: problem``) and the rest of the file is still tagged.
    """
    block: List[bytes] = []
    first_line = index = 0
    for number, raw in enumerate(lines, start=1):
        raw = raw.rstrip(b"\r\n")
        content = raw.rstrip(b" \t")
        if content and not content.startswith(DOCSTART.encode()):
            if not block:
                first_line = number
            block.append(raw)
            continue
        if block:
            yield _conll_sentence(index, first_line, block, source, max_words)
            index, block = index + 1, []
    if block:
        yield _conll_sentence(index, first_line, block, source, max_words)


def _conll_sentence(index: int, first_line: int, block: List[bytes], source: str,
                    max_words: int) -> Unit:
    try:
        (sentence,) = read_sentences(decode_lines(b"\n".join(block), source), source)
        _check_length(len(sentence.tokens), max_words)
    except ConllFormatError as error:  # its line number counts from the block's first line
        located = ConllFormatError(source, first_line + error.line_number - 1, error.line,
                                   error.problem)
        return Unit(index, first_line, error=str(located))
    except ValueError as error:
        return Unit(index, first_line, error=f"{source}:{first_line}: {error}")
    return Unit(index, first_line, " ".join(sentence.tokens), sentence.tokens, sentence.ner_tags)


def parse_lines(lines: Iterable[bytes], input_format: str, source: str,
                max_words: int) -> Iterator[Unit]:
    """The units of a file in ``input_format``: text, jsonl or conll."""
    if input_format == "conll":
        return parse_conll(lines, source, max_words)
    parse = {"text": parse_text_line, "jsonl": parse_json_line}[input_format]
    return (parse(index, raw.rstrip(b"\r\n"), max_words) for index, raw in enumerate(lines))


# Formatting: a unit and the model's padded outputs for it -> one JSON line.

def has_words(unit: Unit) -> bool:
    return unit.error is None and bool(unit.words or count_words(unit.text))


def _record(unit: Unit, words: List[Dict[str, Any]], entities: List[Dict[str, Any]]) -> str:
    record = {"line": unit.line, "text": unit.text, "words": words, "entities": entities}
    if unit.gold_tags is not None:
        record["gold_tags"] = list(unit.gold_tags)
    return json.dumps(record, ensure_ascii=False)


def format_unit(unit: Unit) -> str:
    """The line of a unit that needs no model: an error, or a result without words."""
    if unit.error is not None:
        return json.dumps({"line": unit.line, "error": unit.error}, ensure_ascii=False)
    return _record(unit, [], [])


def _strings(values: np.ndarray) -> List[str]:
    return [value.decode("utf-8", "replace") for value in values]


def _floats(values: np.ndarray) -> List[float]:
    # The shortest decimal of each float32 (0.9634486, not 0.9634485840797424).
    return values.astype(str).astype(np.float64).tolist()


def format_result(unit: Unit, outputs: Dict[str, np.ndarray]) -> str:
    """The unit's line from one row of the signature's outputs, padding cut off.

    Words and entities have the same fields as ``ner-pipeline predict --json``.
    """
    words, entities = int(outputs["word_count"]), int(outputs["entity_count"])
    word_fields = {"text": _strings(outputs["words"][:words]),
                   "tag": _strings(outputs["tags"][:words]),
                   "score": _floats(outputs["scores"][:words]),
                   "start": outputs["word_starts"][:words].tolist(),
                   "end": outputs["word_ends"][:words].tolist()}
    entity_fields = {"type": _strings(outputs["entity_types"][:entities]),
                     "text": _strings(outputs["entity_texts"][:entities]),
                     "start": outputs["entity_starts"][:entities].tolist(),
                     "end": outputs["entity_ends"][:entities].tolist(),
                     "score": _floats(outputs["entity_scores"][:entities])}
    return _record(unit, _rows(word_fields, words), _rows(entity_fields, entities))


def _rows(columns: Dict[str, list], count: int) -> List[Dict[str, Any]]:
    return [{name: values[row] for name, values in columns.items()} for row in range(count)]


# The model.

def resolve_model_dir(model_dir: str) -> str:
    """A SavedModel directory itself, or the newest numbered version under a serving base dir.

    tf.io.gfile, not Beam's FileSystems: Beam's local listing walks the whole
    tree and skips symlinked version directories.
    """
    model_dir = model_dir.rstrip("/")
    if tf.io.gfile.exists(f"{model_dir}/{SAVED_MODEL_FILE}"):
        return model_dir
    names = ([name.rstrip("/") for name in tf.io.gfile.listdir(model_dir)]  # gs:// dirs end in /
             if tf.io.gfile.isdir(model_dir) else [])
    versions = [int(name) for name in names if name.isascii() and name.isdigit()
                and tf.io.gfile.exists(f"{model_dir}/{name}/{SAVED_MODEL_FILE}")]
    if not versions:
        raise BatchPredictError(f"--model-dir {model_dir} holds neither {SAVED_MODEL_FILE} "
                                "nor numbered version directories with one")
    return f"{model_dir}/{max(versions)}"


def signature_names(version_dir: str) -> List[str]:
    saved_model = saved_model_pb2.SavedModel()
    with tf.io.gfile.GFile(f"{version_dir}/{SAVED_MODEL_FILE}", "rb") as handle:
        saved_model.ParseFromString(handle.read())
    return sorted(name for graph in saved_model.meta_graphs for name in graph.signature_def)


def model_input(unit: Unit, words_signature: bool):
    """What the signature gets for a unit: its words (serve_words) or its text.

    Without serve_words (models exported before it), CoNLL tokens go to
    serving_default joined by single spaces, which is what unit.text holds.
    """
    return unit.words if words_signature else unit.text


class _LoadedModel:
    """The loaded SavedModel, dropped at exit while the interpreter is still whole:
    Beam's shared-model cache keeps the last model until the modules are torn
    down, where TensorFlow's function destructors fail noisily."""

    def __init__(self, saved_model):
        self.saved_model = saved_model
        atexit.register(_drop_at_exit, weakref.ref(self))


def _drop_at_exit(reference: "weakref.ref[_LoadedModel]") -> None:
    loaded = reference()
    if loaded is not None:
        loaded.saved_model = None
        gc.collect()


class SignatureModelHandler(ModelHandler[Any, Dict[str, np.ndarray], _LoadedModel]):
    """Runs one signature of the exported SavedModel on a batch of texts or word lists.

    TFModelHandlerTensor stacks one numeric tensor per element and calls the
    loaded object itself; this model is called through a named signature with
    keyword string inputs (two of them for serve_words), hence this handler.
    """

    def __init__(self, version_dir: str, batch_size: int, words_signature: bool):
        super().__init__()
        self._version_dir = version_dir
        self._batch_size = batch_size
        self._signature = SERVE_WORDS if words_signature else SERVE_TEXT

    def load_model(self) -> _LoadedModel:
        return _LoadedModel(tf.saved_model.load(self._version_dir))

    def run_inference(self, batch: Sequence[Any], model: _LoadedModel, inference_args=None):
        if self._signature == SERVE_WORDS:
            width = max(len(words) for words in batch)
            inputs = {INPUT_OF[SERVE_WORDS]: tf.constant([list(words) + [""] * (width - len(words))
                                            for words in batch], tf.string),
                      WORD_COUNT: tf.constant([len(words) for words in batch], tf.int64)}
        else:
            inputs = {INPUT_OF[SERVE_TEXT]: tf.constant(list(batch), tf.string)}
        outputs = {name: tensor.numpy() for name, tensor in
                   model.saved_model.signatures[self._signature](**inputs).items()}
        return [{name: values[row] for name, values in outputs.items()}
                for row in range(len(batch))]

    def get_num_bytes(self, batch: Sequence[Any]) -> int:
        return sum(len(word.encode()) for item in batch
                   for word in ([item] if isinstance(item, str) else item))

    def get_metrics_namespace(self) -> str:
        return METRICS_NAMESPACE

    def batch_elements_kwargs(self) -> Dict[str, int]:
        # Fixed-size batches: the model's cost per sentence is known, nothing to adapt.
        return {"min_batch_size": self._batch_size, "max_batch_size": self._batch_size}


# The pipeline.

class _ReadUnits(beam.DoFn):
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


class _Route(beam.DoFn):
    """Units with words go to the model (tagged output); errors and empty lines are done."""
    MODEL = "model"

    def __init__(self, words_signature: bool):
        self._words_signature = words_signature
        self._errors = Metrics.counter(METRICS_NAMESPACE, "errors")
        self._empty = Metrics.counter(METRICS_NAMESPACE, "empty")

    def process(self, unit):
        if has_words(unit):
            yield beam.pvalue.TaggedOutput(self.MODEL,
                                           (unit, model_input(unit, self._words_signature)))
            return
        (self._errors if unit.error is not None else self._empty).inc()
        yield unit.index, format_unit(unit)


class _SortByLength(beam.DoFn):
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


class _FormatResults(beam.DoFn):
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


class _WriteChunk(beam.DoFn):
    """Writes one chunk of consecutive indexes, sorted, as its own file (a retry rewrites it)."""

    def __init__(self, parts_prefix: str):
        self._parts_prefix = parts_prefix

    def process(self, element):
        chunk, lines = element
        with FileSystems.create(f"{self._parts_prefix}{chunk:08d}.jsonl") as handle:
            for _, line in sorted(lines):
                handle.write(line.encode("utf-8") + b"\n")


@dataclasses.dataclass(frozen=True)
class BatchJob:
    model_dir: str  # a SavedModel, or a serving base dir (its newest version is used)
    input_path: str
    output_path: str
    input_format: str = "text"
    batch_size: int = 32
    max_words: int = Limits.max_words
    beam_args: Tuple[str, ...] = ()


def build_pipeline(pipeline: beam.Pipeline, job: BatchJob, handler: SignatureModelHandler,
                   words_signature: bool, parts_prefix: str) -> None:
    chunk_lines = CHUNK_LINES
    routed = (pipeline
              | "Input" >> beam.Create([job.input_path])
              | "Read" >> beam.ParDo(_ReadUnits(job.input_format, job.max_words))
              | "Spread" >> beam.Reshuffle()
              | "Route" >> beam.ParDo(_Route(words_signature)).with_outputs(_Route.MODEL,
                                                                             main="done"))
    tagged = (routed[_Route.MODEL]
              | "SortByLength" >> beam.ParDo(_SortByLength())
              | "Tag" >> RunInference(KeyedModelHandler(handler))
              | "Format" >> beam.ParDo(_FormatResults()))
    _ = ((routed.done, tagged)
         | "All" >> beam.Flatten()
         | "ByChunk" >> beam.Map(lambda item: (item[0] // chunk_lines, item))
         | "Group" >> beam.GroupByKey()
         | "Write" >> beam.ParDo(_WriteChunk(parts_prefix)))


def _counter(result, name: str) -> int:
    found = result.metrics().query(MetricsFilter().with_namespace(METRICS_NAMESPACE)
                                   .with_name(name))["counters"]
    return sum(counter.committed for counter in found)


def _concatenate(parts_prefix: str, output_path: str) -> int:
    """Copies the chunk files into the output in order; returns the number of lines."""
    chunks = sorted(match.path for match in
                    FileSystems.match([f"{parts_prefix}*.jsonl"])[0].metadata_list)
    numbers = [int(re.search(r"(\d+)\.jsonl$", path).group(1)) for path in chunks]
    if numbers != list(range(len(chunks))):
        raise BatchPredictError(f"output chunks are missing: found only {numbers}")
    lines = 0
    with FileSystems.create(output_path) as output:
        for path in chunks:
            with FileSystems.open(path) as chunk:
                while block := chunk.read(1 << 20):
                    output.write(block)
                    lines += block.count(b"\n")
    return lines


def _absolute(path: str) -> str:
    """Local paths made absolute: workers do not share the launcher's working directory."""
    return path if "://" in path else os.path.abspath(path)


def run(job: BatchJob) -> Summary:
    """Tags the input into the output (JSON Lines, input order); returns the counts."""
    job = dataclasses.replace(job, model_dir=_absolute(job.model_dir),
                              input_path=_absolute(job.input_path),
                              output_path=_absolute(job.output_path))
    if not FileSystems.exists(job.input_path):
        raise BatchPredictError(f"--input {job.input_path} does not exist")
    try:  # fail now, not after tagging the whole file
        FileSystems.create(job.output_path).close()
    except (OSError, BeamIOError) as error:
        raise BatchPredictError(f"cannot write --output {job.output_path}: {error}") from None
    version_dir = resolve_model_dir(job.model_dir)
    signatures = signature_names(version_dir)
    if SERVE_TEXT not in signatures:
        raise BatchPredictError(f"{version_dir} has no {SERVE_TEXT} signature "
                                f"(it has: {', '.join(signatures) or 'none'})")
    words_signature = job.input_format == "conll" and SERVE_WORDS in signatures
    handler = SignatureModelHandler(version_dir, job.batch_size, words_signature)
    parts_prefix = f"{job.output_path}.part-{uuid.uuid4().hex[:8]}-"
    log.info("Tagging %s (%s) with %s, signature %s", job.input_path, job.input_format,
             version_dir, SERVE_WORDS if words_signature else SERVE_TEXT)
    start = time.monotonic()
    try:
        pipeline = beam.Pipeline(options=PipelineOptions([*DEFAULT_BEAM_ARGS, *job.beam_args]))
        build_pipeline(pipeline, job, handler, words_signature, parts_prefix)
        result = pipeline.run()
        result.wait_until_finish()
        lines = _concatenate(parts_prefix, job.output_path)
    except BaseException:
        FileSystems.delete([job.output_path])  # no partial output left behind
        raise
    finally:
        parts = FileSystems.match([f"{parts_prefix}*"])[0].metadata_list
        if parts:
            FileSystems.delete([match.path for match in parts])
    units = _counter(result, "units")
    if lines != units:
        raise BatchPredictError(f"read {units} units but wrote {lines} lines to {job.output_path}")
    return Summary(lines=lines, sentences=_counter(result, "sentences"),
                   empty=_counter(result, "empty"), errors=_counter(result, "errors"),
                   seconds=time.monotonic() - start)
