"""InventorySchemaGen: the curated schema's content and the data's inventory are in its cache key."""

from tensorflow_data_validation.utils import schema_util
from tensorflow_metadata.proto.v0 import schema_pb2
from tfx import v1 as tfx
from tfx.utils import io_utils

from components.conll_example_gen.component import ConllExampleGen
from components.schema_gen.component import SCHEMA_FILE_NAME, InventorySchemaGen
from contracts import features
from contracts.checkpoint import deferred
from pipeline import run_summary
from pipeline.config import DEFAULT_SCHEMA_FILE, PipelineConfig
from pipeline.fingerprint import file_fingerprint, fingerprinted
from pipeline.pipeline import create_components
from pipeline.placement import Placement
from tests.conftest import CONLL


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


def test_the_pipeline_generates_the_schema_from_the_examples_with_its_fingerprint(tmp_path):
    schema = tmp_path / "schema.pbtxt"
    schema.write_text(DEFAULT_SCHEMA_FILE.read_text())
    placement = Placement(schema_file=str(schema), checkpoint=deferred("bert-base-cased"),
                          serving_dir=str(tmp_path / "serving"))
    nodes = {node.id: node for node in create_components(
        PipelineConfig(data_dir=str(tmp_path)), placement, training=False)}
    node = nodes["InventorySchemaGen"]
    assert node.exec_properties["schema_file"] == str(schema)
    assert node.exec_properties["schema_fingerprint"] == file_fingerprint(str(schema))
    assert set(node.inputs) == {"examples"}
    assert set(node.outputs) == {"schema"}


def _generate_schema(root, data_dir, schema):
    """Runs ConllExampleGen and InventorySchemaGen; (state of the latter, its schema)."""
    metadata = str(root / "metadata.sqlite")
    # Fingerprinted as the pipeline does: a class-based and a function component
    # run with the extra execution property.
    example_gen = fingerprinted(ConllExampleGen(data_dir=str(data_dir)))
    node = fingerprinted(InventorySchemaGen(
        examples=example_gen.outputs["examples"], schema_file=str(schema),
        schema_fingerprint=file_fingerprint(str(schema))))
    tfx.orchestration.LocalDagRunner().run(tfx.dsl.Pipeline(
        pipeline_name="schema-gen", pipeline_root=str(root), components=[example_gen, node],
        enable_cache=True,
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            metadata)))
    store = run_summary.open_store(metadata)
    execution = run_summary.latest_run_executions(store, "schema-gen")["InventorySchemaGen"]
    [event] = [e for e in store.get_events_by_execution_ids([execution.id])
               if e.type == e.OUTPUT]
    [artifact] = store.get_artifacts_by_id([event.artifact_id])
    generated = io_utils.parse_pbtxt_file(f"{artifact.uri}/{SCHEMA_FILE_NAME}",
                                          schema_pb2.Schema())
    return run_summary.execution_state(execution), generated


def test_a_rerun_is_cached_until_the_schema_is_edited_and_the_domain_follows_the_data(
        tmp_path, tiny_conll_dir):
    schema = tmp_path / "schema.pbtxt"
    schema.write_text(DEFAULT_SCHEMA_FILE.read_text())
    root = tmp_path / "root"
    runs = [_generate_schema(root, tiny_conll_dir, schema) for _ in range(2)]
    assert [state for state, _ in runs] == ["ran", "cached"]
    domain = schema_util.get_domain(runs[0][1], features.NER_TAGS)
    assert tuple(domain.value) == CONLL.labels  # the tiny train split tags all four types
    schema.write_text(DEFAULT_SCHEMA_FILE.read_text() + "\n# edited\n")
    assert _generate_schema(root, tiny_conll_dir, schema)[0] == "ran"
