"""What a killed run leaves behind (pipeline/orphans.py): its executions still RUNNING
are cancelled and their unpublished directories removed, while published outputs,
finished executions and other pipelines stay untouched; no reaping while another run
holds the lock."""

import fcntl
import os

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx import v1 as tfx

from pipeline import orphans

State = metadata_store_pb2.Execution


class Store:
    """A SQLite ML Metadata laid out as TFX's LocalDagRunner lays it out, and the
    directories TFX makes for each execution under the pipeline root."""

    def __init__(self, tmp_path):
        self.path = str(tmp_path / "metadata.sqlite")
        self.root = str(tmp_path / "root")
        self.store = metadata_store.MetadataStore(
            tfx.orchestration.metadata.sqlite_metadata_connection_config(self.path))
        self.types = {name: self.store.put_context_type(metadata_store_pb2.ContextType(name=name))
                      for name in ("pipeline", "node")}
        self.execution_type = self.store.put_execution_type(
            metadata_store_pb2.ExecutionType(name="Trainer"))
        self.artifact_type = self.store.put_artifact_type(
            metadata_store_pb2.ArtifactType(name="Model"))

    def context(self, kind: str, name: str) -> int:
        found = self.store.get_context_by_type_and_name(kind, name)
        if found:
            return found.id
        (context_id,) = self.store.put_contexts([metadata_store_pb2.Context(
            type_id=self.types[kind], name=name)])
        return context_id

    def execution(self, pipeline: str, node: str, state, published=()) -> int:
        """An execution with its output and executor directories; ``published``: the
        output keys whose directory an artifact names (with an OUTPUT event)."""
        contexts = [self.context("pipeline", pipeline), self.context("node", f"{pipeline}.{node}")]
        execution = metadata_store_pb2.Execution(type_id=self.execution_type,
                                                 last_known_state=state)
        (execution_id,) = self.store.put_executions([execution])
        self.store.put_attributions_and_associations(
            [], [metadata_store_pb2.Association(context_id=c, execution_id=execution_id)
                 for c in contexts])
        for directory in self.dirs(node, execution_id):
            os.makedirs(directory)
        for key in published:
            artifact = metadata_store_pb2.Artifact(
                type_id=self.artifact_type, uri=os.path.join(self.root, node, key,
                                                             str(execution_id)))
            (artifact_id,) = self.store.put_artifacts([artifact])
            self.store.put_events([metadata_store_pb2.Event(
                artifact_id=artifact_id, execution_id=execution_id,
                type=metadata_store_pb2.Event.OUTPUT)])
        return execution_id

    def dirs(self, node: str, execution_id: int):
        return [os.path.join(self.root, node, key, str(execution_id))
                for key in ("model", "model_run", os.path.join(".system", "executor_execution"))]

    def state(self, execution_id: int):
        (execution,) = self.store.get_executions_by_id([execution_id])
        return execution.last_known_state


def test_a_killed_runs_execution_is_cancelled_and_its_directories_removed(tmp_path):
    mlmd = Store(tmp_path)
    done = mlmd.execution("conll-ner", "Trainer", State.COMPLETE, published=("model", "model_run"))
    killed = mlmd.execution("conll-ner", "Trainer", State.RUNNING)
    # Published while still running: its directory stays whatever the state.
    partly = mlmd.execution("conll-ner", "Trainer", State.RUNNING, published=("model",))
    other = mlmd.execution("other-pipeline", "Trainer", State.RUNNING)

    assert orphans.reap(mlmd.store, "conll-ner", mlmd.root) == [killed, partly]

    assert [mlmd.state(e) for e in (done, killed, partly, other)] == [
        State.COMPLETE, State.CANCELED, State.CANCELED, State.RUNNING]
    assert not any(os.path.exists(d) for d in mlmd.dirs("Trainer", killed))
    model, model_run, executor = mlmd.dirs("Trainer", partly)
    assert os.path.isdir(model) and not os.path.exists(model_run) and not os.path.exists(executor)
    assert all(os.path.isdir(d) for d in mlmd.dirs("Trainer", done) + mlmd.dirs("Trainer", other))
    # Nothing is left to reap.
    assert orphans.reap(mlmd.store, "conll-ner", mlmd.root) == []


def test_a_new_store_has_nothing_to_reap(tmp_path):
    store = metadata_store.MetadataStore(
        tfx.orchestration.metadata.sqlite_metadata_connection_config(
            str(tmp_path / "metadata.sqlite")))
    assert orphans.reap(store, "conll-ner", str(tmp_path / "root")) == []


def test_no_reaping_while_another_run_holds_the_lock(tmp_path):
    mlmd = Store(tmp_path)
    running = mlmd.execution("conll-ner", "Trainer", State.RUNNING)
    with open(mlmd.path + ".lock", "a") as live_run:
        fcntl.flock(live_run, fcntl.LOCK_SH)
        with orphans.run_lock(mlmd.path, "conll-ner", mlmd.root):
            assert mlmd.state(running) == State.RUNNING
    with orphans.run_lock(mlmd.path, "conll-ner", mlmd.root):
        assert mlmd.state(running) == State.CANCELED
        # This run's shared lock keeps the next one from reaping.
        with open(mlmd.path + ".lock", "a") as next_run:
            try:
                fcntl.flock(next_run, fcntl.LOCK_EX | fcntl.LOCK_NB)
                locked_out = False
            except BlockingIOError:
                locked_out = True
    assert locked_out
