"""The cache knows the code: every component that runs project code carries that
code's fingerprint among its execution properties (part of TFX's cache key), and
editing a module changes the fingerprint of exactly the components that import it.

Fast: builds the pipeline without running it (the end-to-end rerun test in
test_pipeline_local.py shows the cache acting on it)."""

import shutil

import pytest

from contracts.checkpoint import deferred
from pipeline import fingerprint
from pipeline.config import DEFAULT_SCHEMA_FILE, PROJECT_ROOT, config_for_profile
from pipeline.pipeline import create_pipeline
from pipeline.placement import Placement

# Execution properties that name a project function the component runs.
FUNCTION_PROPERTIES = ("preprocessing_fn", "run_fn")
PROJECT_CODE_NODES = {"ConllExampleGen", "InventorySchemaGen", "ValidationGate", "SpanDrift",
                      "Transform", "Trainer", "NerEvaluator", "Pusher"}


def _components(tmp_path):
    placement = Placement(schema_file=str(DEFAULT_SCHEMA_FILE),
                          checkpoint=deferred("bert-base-cased"),
                          serving_dir=str(tmp_path / "serving"))
    config = config_for_profile("main", data_dir=str(tmp_path / "data"))
    return create_pipeline(config, placement).components


def _fingerprints(tmp_path):
    return {node.id: node.exec_properties.get(fingerprint.FINGERPRINT_KEY)
            for node in _components(tmp_path)}


def _project_code(node):
    """The project modules a node runs: its executor's and those of the functions
    its properties name."""
    spec = getattr(node, "executor_spec", None)
    modules = [spec.executor_class.__module__] if spec else []
    modules += [node.exec_properties[key].rpartition(".")[0] for key in FUNCTION_PROPERTIES
                if node.exec_properties.get(key)]
    return [module for module in modules if fingerprint.is_project_module(module)]


def test_every_component_running_project_code_carries_its_fingerprint(tmp_path):
    carrying = set()
    for node in _components(tmp_path):
        code = _project_code(node)
        if code:
            assert node.exec_properties[fingerprint.FINGERPRINT_KEY] == (
                fingerprint.code_fingerprint(*code)), node.id
            carrying.add(node.id)
        else:  # TFX's own components: their code is pinned by constraints.txt
            assert fingerprint.FINGERPRINT_KEY not in node.exec_properties, node.id
    assert carrying == PROJECT_CODE_NODES


def test_the_closure_follows_imports_into_the_module_files(tmp_path):
    transform = next(node for node in _components(tmp_path) if node.id == "Transform")
    closure = fingerprint.module_closure(_project_code(transform))
    assert {"components.transform.executor", "modules.transform.preprocessing",
            "modules.transform.tokenization", "contracts.features"} <= set(closure)


def _read_from_copy(tmp_path, monkeypatch):
    """Copies the project's packages and reads the fingerprints' sources from the copy."""
    root = tmp_path / "source"
    for package in fingerprint.PROJECT_PACKAGES:
        shutil.copytree(PROJECT_ROOT / package, root / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "PROJECT_ROOT", root)
    return root


@pytest.mark.parametrize("edited, changed", [
    ("components/pusher/executor.py", {"Pusher"}),
    ("modules/transform/preprocessing.py", {"Transform"}),
    ("modules/trainer/run.py", {"Trainer"}),
    ("components/validation_gate/component.py", {"ValidationGate"}),
    # Imported by both module files.
    ("modules/transform/tokenization.py", {"Transform", "Trainer"}),
])
def test_editing_a_module_changes_the_fingerprint_of_the_components_that_run_it(
        tmp_path, monkeypatch, edited, changed):
    original = _fingerprints(tmp_path)
    copy = _read_from_copy(tmp_path, monkeypatch)
    # Names and contents, not paths: the same code elsewhere (the image) agrees.
    assert _fingerprints(tmp_path) == original
    with open(copy / edited, "a", encoding="utf-8") as handle:
        handle.write("\n# edited\n")
    after = _fingerprints(tmp_path)
    assert {node for node in original if after[node] != original[node]} == changed
