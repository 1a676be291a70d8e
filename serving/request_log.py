"""Sampled request logging for ``ner-pipeline serve``, written off the request path.

A request thread only decides whether the request is sampled and puts its
arrays on a bounded queue; one background thread turns them into
PredictionLog records (prediction_logs.py) and writes them. Logging never
blocks or fails a request: a full queue drops the record, a failed write is
logged, and both are counted (``counts``).

Files: one open file per model version, named ``<model>-<version>-<UTC hour>-
<writer>.tfrecord`` and written as ``….tfrecord.writing`` until closed, so that
readers only see whole files. A file is closed when its hour ends, when it
reaches ``max_file_bytes``, and on ``close()`` (the server's shutdown), which
first writes everything queued.
"""

import hashlib
import itertools
import logging
import os
import queue
import threading
import time
from typing import Callable, Dict, Mapping, Optional, Tuple

import numpy as np
import tensorflow as tf

from serving import prediction_logs

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 64 << 20
QUEUE_RECORDS = 1000
_WRITING = ".writing"
_STOP = object()


class Sampler:
    """Whether item ``key`` is logged: a hash of the seed and the key, below the rate.

    The same key always gets the same answer, whichever process or worker asks:
    the server's keys are request numbers since start, batch prediction's are
    unit indexes, so a rerun logs the same requests or lines."""

    def __init__(self, rate: float, seed: int = 0):
        if not 0.0 < rate <= 1.0:
            raise ValueError(f"the sampling rate must be in (0, 1], not {rate}")
        self.rate = rate
        self._seed = seed

    def sampled(self, key: int) -> bool:
        digest = hashlib.blake2b(f"{self._seed}:{key}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") < self.rate * 2 ** 64


class _OpenFile:
    def __init__(self, path: str, hour: str):
        self.path = path  # the name once closed
        self.hour = hour
        self.bytes = 0
        self.writer = tf.io.TFRecordWriter(path + _WRITING)

    def close(self) -> None:
        self.writer.close()
        os.replace(self.path + _WRITING, self.path)


class RequestLog:
    """Samples predict calls and writes them as PredictionLog TFRecords in ``directory``."""

    def __init__(self, directory: str, sampling_rate: float, max_file_bytes: int = MAX_FILE_BYTES,
                 queue_records: int = QUEUE_RECORDS, clock: Callable[[], float] = time.time):
        self.directory = directory
        self._sampler = Sampler(sampling_rate)
        self._max_file_bytes = max_file_bytes
        self._clock = clock
        self._queue: queue.Queue = queue.Queue(queue_records)
        self._requests = itertools.count()
        self._files: Dict[Tuple[str, Optional[int]], _OpenFile] = {}
        self._writer_id = f"{os.getpid()}-{int(clock())}"
        self._sequence = itertools.count()
        self._counts_lock = threading.Lock()
        self.counts = {"written": 0, "dropped": 0, "failed": 0}
        os.makedirs(directory, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="request-log", daemon=True)
        self._thread.start()

    def offer(self, model_name: str, version: Optional[int], signature_name: str,
              inputs: Mapping[str, np.ndarray], outputs: Mapping[str, np.ndarray]) -> None:
        """Queues the call if it is sampled; never raises and never waits."""
        try:
            if not self._sampler.sampled(next(self._requests)):
                return
            self._queue.put_nowait((model_name, version, signature_name, dict(inputs),
                                    dict(outputs), self._clock()))
        except queue.Full:
            self._count("dropped", "Request log queue full: dropping sampled requests")
        except Exception as error:  # pylint: disable=broad-except  # a request must not fail
            self._count("failed", f"Request log failed: {error!r}")

    def close(self) -> None:
        """Writes what is queued, closes every file and reports the counts."""
        self._queue.put(_STOP)
        self._thread.join()
        log.info("Request log %s: %d written, %d dropped, %d failed", self.directory,
                 self.counts["written"], self.counts["dropped"], self.counts["failed"])

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=1.0)
            except queue.Empty:
                item = None
            if item is _STOP:
                break
            if item is not None:
                self._write(*item)
            self._close_files(lambda file: file.hour != self._hour(self._clock()))
        self._close_files(lambda file: True)

    def _write(self, model_name, version, signature_name, inputs, outputs, when) -> None:
        try:
            record = prediction_logs.make_log(
                model_name, version, signature_name, inputs, outputs, self._sampler.rate,
                when).SerializeToString()
            file = self._file(model_name, version, self._hour(when))
            file.writer.write(record)
            file.bytes += len(record) + 16  # TFRecord framing: length, CRCs
            self.counts["written"] += 1
            if file.bytes >= self._max_file_bytes:
                self._close_files(lambda open_file: open_file is file)
        except Exception as error:  # pylint: disable=broad-except
            self._count("failed", f"Request log cannot write to {self.directory}: {error!r}")

    def _file(self, model_name: str, version: Optional[int], hour: str) -> _OpenFile:
        key = (model_name, version)
        if key not in self._files:
            stem = prediction_logs.file_stem(model_name, version, hour,
                                             f"{self._writer_id}-{next(self._sequence):04d}")
            self._files[key] = _OpenFile(
                os.path.join(self.directory, stem + prediction_logs.SUFFIX), hour)
        return self._files[key]

    def _close_files(self, which: Callable[[_OpenFile], bool]) -> None:
        for key, file in list(self._files.items()):
            if which(file):
                del self._files[key]
                try:
                    file.close()
                except Exception as error:  # pylint: disable=broad-except
                    self._count("failed", f"Request log cannot close {file.path}: {error!r}")

    def _count(self, what: str, message: str) -> None:
        """Counts a lost record; logs the first and every 100th, not a line per request."""
        with self._counts_lock:
            self.counts[what] += 1
            count = self.counts[what]
        if count % 100 == 1:
            log.error("%s (%d so far)", message, count)

    @staticmethod
    def _hour(when: float) -> str:
        return time.strftime("%Y%m%dT%HZ", time.gmtime(when))
