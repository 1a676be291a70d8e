"""Content fingerprints of the code each component runs and of the files it reads.

TFX's cache key holds a component's inputs and execution properties, not the
code behind a dotted path such as ``preprocessing_fn`` or a custom executor.
The pipeline therefore puts these fingerprints into each component's
properties: editing any project module that a component imports, directly or
through other project modules, changes its fingerprint, so that component and
everything downstream re-run, while an unchanged rerun stays cached.
"""

import ast
import hashlib
import importlib.util
import pathlib
from typing import Dict, Iterable, Set

# Top-level packages of this project; imports of anything else (TensorFlow,
# TFX, ...) are pinned by constraints.txt and not fingerprinted.
PROJECT_PACKAGES = frozenset({"contracts", "modules", "components"})


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
            if parts[0] in PROJECT_PACKAGES:
                found.update(".".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    return found


def _find_spec(name: str):
    try:
        return importlib.util.find_spec(name)
    except ModuleNotFoundError:  # an attribute of a module, named in "from x import y"
        return None


def module_closure(entry_modules: Iterable[str]) -> Dict[str, pathlib.Path]:
    """Source file of each of ``entry_modules`` and of every project module they import."""
    pending, files = list(entry_modules), {}
    while pending:
        module = pending.pop()
        if module in files:
            continue
        spec = _find_spec(module)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue
        files[module] = pathlib.Path(spec.origin)
        pending.extend(_imported_modules(files[module].read_text(encoding="utf-8"), module,
                                         spec.submodule_search_locations is not None))
    return files


def code_fingerprint(*entry_modules: str) -> str:
    """sha256 over the name and source of every module in the entry modules' import
    closure (names, not paths, so a checkout and the image agree)."""
    digest = hashlib.sha256()
    for module, path in sorted(module_closure(entry_modules).items()):
        digest.update(module.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def file_fingerprint(path: str) -> str:
    """sha256 of a local file's content; for a file this machine cannot read (a
    URL, a path inside the pipeline image), the path itself stands in."""
    file = pathlib.Path(path)
    if "://" in path or not file.is_file():
        return f"path:{path}"
    return hashlib.sha256(file.read_bytes()).hexdigest()
