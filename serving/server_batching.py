"""Server-side batching (``--enable_batching``): concurrent predict requests share model calls.

One model call on a batch of rows costs little more than on one row, so
requests waiting for the CPU are better run together. This follows TF
Serving's shared batch scheduler: one queue per model version, signature
and length bucket, and ``num_batch_threads`` threads for all queues. A
request joins its queue's open batch while that stays within
``max_batch_size`` rows; otherwise the open batch is closed and a new one
opened, and a request that would make more than ``max_enqueued_batches``
batches waiting is refused (503), as in TF Serving. A free thread takes the
oldest closed batch, or an open batch once ``batch_timeout_micros`` have
passed since it opened. With a timeout of 0 a lone request runs at once,
and requests that arrive while every thread is busy gather into one batch.

Rows are queued by length (``length_bucket``): padding a short sentence to
a long one's width costs more than sharing the call saves, so a request's
rows of different lengths go to different queues, and its answer is put
together from their calls (benchmarks/batch_padding.py,
benchmarks/server_batching.py).
"""

import collections
import concurrent.futures
import dataclasses
import logging
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional, Tuple

import numpy as np

from serving import server_batch_rows
from serving.batching_parameters import BatchingParameters
from serving.errors import ServingError, invalid_argument

log = logging.getLogger(__name__)
Outputs = Dict[str, np.ndarray]


def length_bucket(words: int) -> int:
    """Up to 16 words, up to 32, up to 64, ...: rows within a factor of two share calls."""
    return max(words - 1, 15).bit_length()


@dataclasses.dataclass
class _Task:
    inputs: Mapping[str, np.ndarray]
    size: int
    result: concurrent.futures.Future = dataclasses.field(
        default_factory=concurrent.futures.Future)


@dataclasses.dataclass
class _Batch:
    opened: float  # time.monotonic() when its first task came
    tasks: List[_Task] = dataclasses.field(default_factory=list)
    size: int = 0


class _Queue:
    def __init__(self, servable: Any, signature: str):
        self.servable, self.signature = servable, signature
        self.closed: Deque[_Batch] = collections.deque()
        self.open: Optional[_Batch] = None


class ServerBatcher:
    def __init__(self, parameters: BatchingParameters,
                 on_batch: Optional[Callable[[int], None]] = None):
        """``on_batch(rows)`` is told the size of every model call (for metrics)."""
        self.parameters = parameters
        self._on_batch = on_batch
        self._changed = threading.Condition()
        self._queues: "collections.OrderedDict[Tuple, _Queue]" = collections.OrderedDict()
        self._threads: List[threading.Thread] = []
        self._stopping = False

    def start(self) -> None:
        parameters = self.parameters
        log.info("Batching: max_batch_size %d, batch_timeout_micros %d, num_batch_threads %d, "
                 "max_enqueued_batches %d", parameters.max_batch_size,
                 parameters.batch_timeout_micros, parameters.num_batch_threads,
                 parameters.max_enqueued_batches)
        if parameters.ignored:
            log.warning("Batching: %s: read but not used by this server (TF Serving's only)",
                        ", ".join(parameters.ignored))
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._work, daemon=True,
                             name=f"{self.parameters.thread_pool_name}_{index}")
            for index in range(self.parameters.num_batch_threads)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Runs what is queued, then ends the threads."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join(timeout=60)

    def run(self, servable: Any, signature: str, inputs: Mapping[str, np.ndarray]) -> Outputs:
        """The outputs of ``servable.run(signature, inputs)``, computed in shared calls."""
        if (signature not in server_batch_rows.MERGED_SIGNATURES or self._stopping
                or not server_batch_rows.mergeable(inputs)):
            return servable.run(signature, inputs)
        size, limit = server_batch_rows.row_count(inputs), self.parameters.max_batch_size
        if size > limit:
            raise invalid_argument(f"Task size {size} is larger than maximum input batch "
                                   f"size {limit}")
        groups: Dict[int, List[int]] = {}
        for row, words in enumerate(server_batch_rows.row_lengths(inputs)):
            groups.setdefault(length_bucket(words), []).append(row)
        tasks = {bucket: _Task(inputs if len(groups) == 1
                               else server_batch_rows.take(inputs, rows), len(rows))
                 for bucket, rows in groups.items()}
        with self._changed:
            for bucket, task in tasks.items():
                key = (id(servable), signature, bucket)
                queue = self._queues.get(key)
                if queue is None:
                    queue = self._queues[key] = _Queue(servable, signature)
                self._enqueue(queue, task)
            self._changed.notify_all()
        parts = [task.result.result() for task in tasks.values()]
        if len(parts) == 1:
            return parts[0]
        return server_batch_rows.join(parts, list(groups.values()))

    def _enqueue(self, queue: _Queue, task: _Task) -> None:
        limit, now = self.parameters.max_batch_size, time.monotonic()
        if queue.open is not None and queue.open.size + task.size > limit:
            waiting, most = len(queue.closed) + 1, self.parameters.max_enqueued_batches
            if waiting >= most:
                raise ServingError(503, "The batch scheduling queue to which this task was "
                                        f"submitted is full; currently {waiting} batches "
                                        f"enqueued and max_enqueued_batches is {most}")
            queue.closed.append(queue.open)
            queue.open = None
        if queue.open is None:
            queue.open = _Batch(opened=now)
        queue.open.tasks.append(task)
        queue.open.size += task.size

    def _work(self) -> None:
        while True:
            with self._changed:
                taken = self._take()
                while taken is None:
                    if self._stopping and not self._queues:
                        return
                    self._changed.wait(self._seconds_to_next_timeout())
                    taken = self._take()
            self._process(*taken)

    def _take(self) -> Optional[Tuple[_Queue, _Batch]]:
        """A batch ready to run, from the queue served least recently (held: the lock).
        As in TF Serving, a full batch stays the open one (and counts as waiting) until a
        thread takes it or the next request opens another."""
        timeout = self.parameters.batch_timeout_micros / 1e6
        now = time.monotonic()
        for key, queue in self._queues.items():
            batch = queue.open
            if queue.closed:
                batch = queue.closed.popleft()
            elif batch is not None and (batch.size >= self.parameters.max_batch_size
                                        or now >= batch.opened + timeout or self._stopping):
                queue.open = None
            else:
                continue
            if queue.closed or queue.open is not None:
                self._queues.move_to_end(key)
            else:
                del self._queues[key]
            return queue, batch
        return None

    def _seconds_to_next_timeout(self) -> Optional[float]:
        timeout = self.parameters.batch_timeout_micros / 1e6
        deadlines = [queue.open.opened + timeout for queue in self._queues.values()
                     if queue.open is not None]
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def _process(self, queue: _Queue, batch: _Batch) -> None:
        if self._on_batch is not None:
            self._on_batch(batch.size)
        tasks = batch.tasks
        try:
            if len(tasks) == 1:
                parts = [queue.servable.run(queue.signature, tasks[0].inputs)]
            else:
                merged = server_batch_rows.merge([task.inputs for task in tasks])
                parts = server_batch_rows.split(queue.servable.run(queue.signature, merged),
                                                [task.size for task in tasks])
        except Exception as error:  # pylint: disable=broad-except  # the request threads raise it
            if isinstance(error, ServingError) and len(tasks) > 1:
                # A bad request fails the whole call: run each alone for its own answer.
                for task in tasks:
                    self._process(queue, _Batch(batch.opened, [task], task.size))
                return
            _fail(tasks, error)
            return
        for task, part in zip(tasks, parts):
            task.result.set_result(part)


def _fail(tasks: List[_Task], error: BaseException) -> None:
    for task in tasks:
        task.result.set_exception(error)
