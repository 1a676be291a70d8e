"""Executions that a killed local run left behind: cancelled, their unpublished outputs removed.

A SIGKILL (or an out-of-memory kill) of ``ner-pipeline run`` stops the
LocalDagRunner inside a component. TFX registered the execution as RUNNING and
made its output directories; it marks an execution FAILED and removes them only
when the component raises. The killed execution would stay RUNNING in ML
Metadata for good, and its half-written directories (a second
``Trainer/model/<id>`` beside the one the rerun publishes) would stay on disk.

Before a local run, ``run_lock`` reaps them: it marks this pipeline's executions
that are still NEW or RUNNING as CANCELED and deletes their output directories
that no artifact in ML Metadata names. That is safe only while no other run uses
the same ML Metadata, hence the lock: a run reaps only if it gets an exclusive
lock on a file beside the SQLite file, and every run holds a shared lock on it
until it ends (the kernel drops the lock of a killed process).
"""

import contextlib
import fcntl
import logging
import os
from typing import Iterator, List

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx import v1 as tfx
from tfx.dsl.compiler.constants import NODE_CONTEXT_TYPE_NAME, PIPELINE_CONTEXT_TYPE_NAME
from tfx.dsl.io import fileio

from contracts.console import PROGRESS_LOGGER

_LOG = logging.getLogger(f"{PROGRESS_LOGGER}.orphans")
_UNFINISHED = (metadata_store_pb2.Execution.NEW, metadata_store_pb2.Execution.RUNNING)
# TFX 1.16's layout under a node's directory (tfx/orchestration/portable/outputs_utils.py):
# <output key>/<execution id>, and the executor's own files in this folder/<execution id>.
_EXECUTOR_DIR = os.path.join(".system", "executor_execution")


def _node_id(store: metadata_store.MetadataStore, execution: metadata_store_pb2.Execution,
             pipeline_name: str) -> str:
    node_type = store.get_context_type(NODE_CONTEXT_TYPE_NAME).id
    (node,) = [context for context in store.get_contexts_by_execution(execution.id)
               if context.type_id == node_type]
    return node.name[len(pipeline_name) + 1:]


def _execution_dirs(pipeline_root: str, node_id: str, execution_id: int) -> List[str]:
    """The directories TFX made for one execution of a node."""
    node_dir = os.path.join(pipeline_root, node_id)
    if not fileio.isdir(node_dir):
        return []
    candidates = [os.path.join(node_dir, _EXECUTOR_DIR, str(execution_id))] + [
        os.path.join(node_dir, key.rstrip("/"), str(execution_id))
        for key in fileio.listdir(node_dir) if not key.startswith(".")]
    return [directory for directory in candidates if fileio.isdir(directory)]


def reap(store: metadata_store.MetadataStore, pipeline_name: str, pipeline_root: str
         ) -> List[int]:
    """Cancels ``pipeline_name``'s executions left NEW or RUNNING and removes their
    directories that no artifact names; returns the ids of the executions cancelled."""
    pipeline = store.get_context_by_type_and_name(PIPELINE_CONTEXT_TYPE_NAME, pipeline_name)
    if pipeline is None:
        return []
    orphans = sorted((execution for execution in store.get_executions_by_context(pipeline.id)
                      if execution.last_known_state in _UNFINISHED), key=lambda e: e.id)
    named = {artifact.uri for artifact in store.get_artifacts()} if orphans else set()
    for execution in orphans:
        node_id = _node_id(store, execution, pipeline_name)
        unpublished = [directory for directory in _execution_dirs(
            pipeline_root, node_id, execution.id) if not any(
                uri == directory or uri.startswith(directory + "/") for uri in named)]
        for directory in unpublished:
            fileio.rmtree(directory)
        execution.last_known_state = metadata_store_pb2.Execution.CANCELED
        store.put_executions([execution])
        _LOG.info("Cancelled execution %d of %s, which a killed run had left running, and "
                  "removed its %d unpublished directories", execution.id, node_id,
                  len(unpublished))
    return [execution.id for execution in orphans]


@contextlib.contextmanager
def run_lock(metadata_path: str, pipeline_name: str, pipeline_root: str) -> Iterator[None]:
    """Holds a shared lock on ``<metadata_path>.lock`` for the block (a run); first, if
    no other run holds it, reaps what killed runs of ``pipeline_name`` left behind."""
    with open(f"{metadata_path}.lock", "a", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _LOG.info("Another run uses %s: not looking for executions killed runs left",
                      metadata_path)
        else:
            reap(metadata_store.MetadataStore(
                tfx.orchestration.metadata.sqlite_metadata_connection_config(metadata_path)),
                pipeline_name, pipeline_root)
        fcntl.flock(lock, fcntl.LOCK_SH)  # turns the exclusive lock into a shared one
        yield
