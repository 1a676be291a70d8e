"""Offline batch prediction: tags a whole file with the exported SavedModel in a Beam pipeline.

One DoFn reads the file, so every unit (a line, or a CoNLL sentence) gets its
index and line number as it is read (batch_inputs.py); a Reshuffle then
spreads the units over the workers, RunInference tags them in batches through
the model's signature (batch_model.py), and every unit becomes exactly one
JSON line (batch_outputs.py): a result, an empty result (a line without words)
or ``{"line": n, "error": ...}``. The steps are in batch_steps.py; this module
builds the pipeline, runs it and checks its output.

Order: results are keyed by index and grouped into chunks of ``CHUNK_LINES``
consecutive indexes; a worker sorts one chunk in memory and writes it as its
own file, and the launcher concatenates the chunk files in index order. So a
worker holds at most one chunk of output lines, not the whole file, and the
launcher only streams; the price is one extra copy of the output. (The
DirectRunner holds every step's data in memory regardless; the bound matters
on distributed runners.)

The launcher checks that the output has as many lines as units were read.
"""

import dataclasses
import logging
import os
import re
import time
import uuid
from typing import Dict, List, Optional, Tuple

import apache_beam as beam
from apache_beam.io.filesystem import BeamIOError
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.ml.inference.base import KeyedModelHandler, RunInference
from apache_beam.options.pipeline_options import PipelineOptions

from serving import batch_steps
from serving.batch_inputs import SIGNATURE_OF
from serving.batch_model import BatchPredictError, SignatureModelHandler, version_with
from serving.batch_request_log import LogPredictions, version_of
from serving.batch_steps import COUNTERS, METRICS_NAMESPACE
from serving.limits import Limits

log = logging.getLogger(__name__)

# Workers import these before running any code, so Dataflow workers know the TF Text ops.
DEFAULT_BEAM_ARGS = ("--beam_plugins=tensorflow_text",)
CHUNK_LINES = 10_000


@dataclasses.dataclass(frozen=True)
class BatchJob:
    model_dir: str  # a SavedModel, or a serving base dir (its newest version is used)
    input_path: str
    output_path: str
    input_format: str = "text"
    batch_size: int = 32
    max_words: int = Limits.max_words
    beam_args: Tuple[str, ...] = ()
    request_log_dir: Optional[str] = None  # where a sample of the units goes as PredictionLogs
    request_log_sampling: float = 0.1


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


def run(job: BatchJob) -> Summary:
    """Tags the input into the output (JSON Lines, input order); returns the counts."""
    job = with_absolute_paths(job)
    _check_paths(job)
    signature = SIGNATURE_OF[job.input_format]
    version_dir = version_with(job.model_dir, signature)
    handler = SignatureModelHandler(version_dir, signature, job.batch_size, METRICS_NAMESPACE)
    log.info("Tagging %s (%s) with %s, signature %s", job.input_path, job.input_format,
             version_dir, signature)
    start = time.monotonic()
    counts, lines = _run_pipeline(job, handler)
    return summarize(counts, lines, time.monotonic() - start, job.output_path)


def build_pipeline(pipeline: beam.Pipeline, job: BatchJob, handler: SignatureModelHandler,
                   parts_prefix: str) -> None:
    """Read -> Spread -> Route -> (SortByLength -> Tag -> Format) -> ByChunk -> Write;
    with a request log, Tag -> LogRequests too."""
    chunk_lines = CHUNK_LINES
    routed = (pipeline
              | "Input" >> beam.Create([job.input_path])
              | "Read" >> beam.ParDo(batch_steps.ReadUnits(job.input_format, job.max_words))
              | "Spread" >> beam.Reshuffle()
              | "Route" >> beam.ParDo(batch_steps.Route()).with_outputs(batch_steps.Route.MODEL,
                                                                         main="done"))
    tagged = (routed[batch_steps.Route.MODEL]
              | "SortByLength" >> beam.ParDo(batch_steps.SortByLength())
              | "Tag" >> RunInference(KeyedModelHandler(handler)))
    if job.request_log_dir is not None:
        _ = tagged | "LogRequests" >> LogPredictions(
            job.request_log_dir, job.request_log_sampling, handler.signature,
            version_of(handler.version_dir), METRICS_NAMESPACE)
    formatted = tagged | "Format" >> beam.ParDo(batch_steps.FormatResults())
    _ = ((routed.done, formatted)
         | "All" >> beam.Flatten()
         | "ByChunk" >> beam.Map(lambda item: (item[0] // chunk_lines, item))
         | "Group" >> beam.GroupByKey()
         | "Write" >> beam.ParDo(batch_steps.WriteChunk(parts_prefix)))


def with_absolute_paths(job: BatchJob) -> BatchJob:
    """Local paths made absolute: workers do not share the launcher's working directory."""
    def absolute(path: str) -> str:
        return path if "://" in path else os.path.abspath(path)
    log_dir = job.request_log_dir
    return dataclasses.replace(job, model_dir=absolute(job.model_dir),
                               input_path=absolute(job.input_path),
                               output_path=absolute(job.output_path),
                               request_log_dir=None if log_dir is None else absolute(log_dir))


def _check_paths(job: BatchJob) -> None:
    if not FileSystems.exists(job.input_path):
        raise BatchPredictError(f"--input {job.input_path} does not exist")
    try:  # fail now, not after tagging the whole file
        FileSystems.create(job.output_path).close()
    except (OSError, BeamIOError) as error:
        raise BatchPredictError(f"cannot write --output {job.output_path}: {error}") from None
    if job.request_log_dir is not None and not FileSystems.exists(job.request_log_dir):
        try:  # a request log must not fail the job after tagging
            FileSystems.mkdirs(job.request_log_dir)
        except (OSError, BeamIOError) as error:
            raise BatchPredictError(
                f"cannot create --request-log-dir {job.request_log_dir}: {error}") from None


def _run_pipeline(job: BatchJob, handler: SignatureModelHandler) -> Tuple[Dict[str, int], int]:
    """Runs the pipeline and joins its chunk files into the output; returns the step
    counters and the output's lines. Neither a partial output nor chunk files stay behind."""
    parts_prefix = f"{job.output_path}.part-{uuid.uuid4().hex[:8]}-"
    try:
        pipeline = beam.Pipeline(options=PipelineOptions([*DEFAULT_BEAM_ARGS, *job.beam_args]))
        build_pipeline(pipeline, job, handler, parts_prefix)
        result = pipeline.run()
        result.wait_until_finish()
        lines = _concatenate(parts_prefix, job.output_path)
    except BaseException:
        FileSystems.delete([job.output_path])
        raise
    finally:
        parts = FileSystems.match([f"{parts_prefix}*"])[0].metadata_list
        if parts:
            FileSystems.delete([match.path for match in parts])
    return {name: _counter(result, name) for name in COUNTERS}, lines


def _counter(result, name: str) -> int:
    found = result.metrics().query(MetricsFilter().with_namespace(METRICS_NAMESPACE)
                                   .with_name(name))["counters"]
    return sum(counter.committed for counter in found)


def _concatenate(parts_prefix: str, output_path: str) -> int:
    """Copies the chunk files into the output in order; returns the number of lines."""
    chunks = chunks_in_order(
        [match.path for match in FileSystems.match([f"{parts_prefix}*.jsonl"])[0].metadata_list])
    lines = 0
    with FileSystems.create(output_path) as output:
        for path in chunks:
            with FileSystems.open(path) as chunk:
                while block := chunk.read(1 << 20):
                    output.write(block)
                    lines += block.count(b"\n")
    return lines


def chunks_in_order(paths: List[str]) -> List[str]:
    """The chunk files in index order; an error if one is missing (a worker's write lost)."""
    chunks = sorted(paths)
    numbers = [int(re.search(r"(\d+)\.jsonl$", path).group(1)) for path in chunks]
    if numbers != list(range(len(chunks))):
        raise BatchPredictError(f"output chunks are missing: found only {numbers}")
    return chunks


def summarize(counts: Dict[str, int], lines: int, seconds: float, output_path: str) -> Summary:
    """The run's summary; an error if the output does not have a line per unit read."""
    if lines != counts["units"]:
        raise BatchPredictError(f"read {counts['units']} units but wrote {lines} lines "
                                f"to {output_path}")
    return Summary(lines=lines, sentences=counts["sentences"], empty=counts["empty"],
                   errors=counts["errors"], seconds=seconds)
