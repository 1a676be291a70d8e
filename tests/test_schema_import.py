"""The schema's content, not only its path, is in ImportSchemaGen's cache key."""

from tfx.components.schema_gen.import_schema_gen import executor as standard_executor

from components.schema_importer.component import SCHEMA_FINGERPRINT_KEY, ImportSchemaGen
from contracts.checkpoint import deferred
from pipeline.config import DEFAULT_SCHEMA_FILE
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
