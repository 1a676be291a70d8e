"""Content fingerprints of the code each component runs and of the files it reads.

TFX's cache key holds a component's inputs and execution properties, not the
code behind a dotted path such as ``preprocessing_fn`` or a custom executor.
``fingerprinted()`` therefore adds one execution property, FINGERPRINT_KEY, to
every component that runs project code: editing any project module that it
imports, directly or through other project modules, changes the property, so
that component and everything downstream re-run, while an unchanged rerun
stays cached. Sources are read, never imported: building the pipeline loads
none of the code it fingerprints.
"""

import ast
import hashlib
import pathlib
from typing import Dict, Iterable, Optional, Set, TypeVar

from pipeline.config import PROJECT_ROOT

# The execution property that carries the fingerprint. TFX hashes every
# execution property into the cache key (LocalDagRunner) or passes it as a task
# parameter (Vertex AI); executors read only the properties they know.
FINGERPRINT_KEY = "code_fingerprint"
# Top-level packages of this project; imports of anything else (TensorFlow,
# TFX, ...) are pinned by constraints.txt and not fingerprinted.
PROJECT_PACKAGES = frozenset({"contracts", "modules", "components"})

Component = TypeVar("Component")


def is_project_module(module: str) -> bool:
    return module.split(".")[0] in PROJECT_PACKAGES


def _imported_modules(source: str, module: str, is_package: bool) -> Set[str]:
    """Project modules (and parent packages) that ``module``'s source imports."""
    found = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            # "from package import module" names modules as well as attributes.
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if is_project_module(name):
                found.update(".".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    return found


def _source_file(module: str) -> Optional[pathlib.Path]:
    """The module's file under the project root; None for an attribute (the ``y`` of
    "from x import y") or a directory without __init__.py."""
    path = PROJECT_ROOT.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_closure(entry_modules: Iterable[str]) -> Dict[str, pathlib.Path]:
    """Source file of each of ``entry_modules`` and of every project module they import."""
    pending, files = list(entry_modules), {}
    while pending:
        module = pending.pop()
        if module in files or (path := _source_file(module)) is None:
            continue
        files[module] = path
        pending.extend(_imported_modules(path.read_text(encoding="utf-8"), module,
                                         path.name == "__init__.py"))
    return files


def code_fingerprint(*entry_modules: str) -> str:
    """sha256 over the name and source of every module in the entry modules' import
    closure (names, not paths, so a checkout and the image agree)."""
    digest = hashlib.sha256()
    for module, path in sorted(module_closure(entry_modules).items()):
        digest.update(module.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fingerprinted(component: Component, *modules: str) -> Component:
    """``component`` with the fingerprint of the project code it runs: its executor's
    module (for a function component, the function's) and ``modules`` (those named
    by a module-file property such as ``run_fn``) under FINGERPRINT_KEY."""
    code = [module for module in (component.executor_spec.executor_class.__module__, *modules)
            if is_project_module(module)]
    if FINGERPRINT_KEY in component.exec_properties:
        raise ValueError(f"{component.id} already has an execution property {FINGERPRINT_KEY}")
    component.exec_properties[FINGERPRINT_KEY] = code_fingerprint(*code)
    return component


def file_fingerprint(path: str) -> str:
    """sha256 of a local file's content; for a file this machine cannot read (a
    URL, a path inside the pipeline image), the path itself stands in."""
    file = pathlib.Path(path)
    if "://" in path or not file.is_file():
        return f"path:{path}"
    return hashlib.sha256(file.read_bytes()).hexdigest()

