"""The schema's content, not only its path, is in ImportSchemaGen's cache key."""

from tfx import v1 as tfx
from tfx.components.schema_gen.import_schema_gen import executor as standard_executor

from components.schema_importer.component import SCHEMA_FINGERPRINT_KEY, ImportSchemaGen
from contracts.checkpoint import deferred
from pipeline.config import DEFAULT_SCHEMA_FILE
from pipeline import run_summary
from pipeline.fingerprint import file_fingerprint
from pipeline.pipeline import create_components


def test_an_edited_schema_changes_the_fingerprint_and_the_same_content_does_not(tmp_path):
    schema = tmp_path / "schema.pbtxt"
    schema.write_text(DEFAULT_SCHEMA_FILE.read_text())
    before = file_fingerprint(str(schema))
    assert before == file_fingerprint(str(DEFAULT_SCHEMA_FILE))
    schema.write_text(DEFAULT_SCHEMA_FILE.read_text() + "\n# edited\n")
    assert file_fingerprint(str(schema)) != before


def test_paths_this_machine_cannot_read_stand_for_themselves():
    assert file_fingerprint("gs://bucket/schema.pbtxt") == "path:gs://bucket/schema.pbtxt"
    assert file_fingerprint("/no/such/schema.pbtxt") == "path:/no/such/schema.pbtxt"


def test_the_pipeline_imports_the_schema_with_its_fingerprint(tmp_path):
    schema = tmp_path / "schema.pbtxt"
    schema.write_text(DEFAULT_SCHEMA_FILE.read_text())
    nodes = {node.id: node for node in create_components(
        str(tmp_path), str(schema), deferred("bert-base-cased"))}
    node = nodes["ImportSchemaGen"]
    assert isinstance(node, ImportSchemaGen)
    assert node.exec_properties["schema_file"] == str(schema)
    assert node.exec_properties[SCHEMA_FINGERPRINT_KEY] == file_fingerprint(str(schema))
    assert node.executor_spec.executor_class is standard_executor.Executor
    assert set(node.outputs) == {"schema"}


def _import_schema(root, schema) -> str:
    """Runs a pipeline of ImportSchemaGen alone; its execution state ("ran"/"cached")."""
    metadata = str(root / "metadata.sqlite")
    node = ImportSchemaGen(schema_file=str(schema), schema_fingerprint=file_fingerprint(str(schema)))
    tfx.orchestration.LocalDagRunner().run(tfx.dsl.Pipeline(
        pipeline_name="schema-import", pipeline_root=str(root), components=[node],
        enable_cache=True,
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            metadata)))
    executions = run_summary.latest_run_executions(run_summary.open_store(metadata),
                                                   "schema-import")
    return run_summary.execution_state(executions["ImportSchemaGen"])


def test_a_rerun_is_cached_until_the_schema_is_edited(tmp_path):
    schema = tmp_path / "schema.pbtxt"
    schema.write_text(DEFAULT_SCHEMA_FILE.read_text())
    root = tmp_path / "root"
    assert [_import_schema(root, schema) for _ in range(2)] == ["ran", "cached"]
    schema.write_text(DEFAULT_SCHEMA_FILE.read_text() + "\n# edited\n")
    assert _import_schema(root, schema) == "ran"
