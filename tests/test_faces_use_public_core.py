"""No face imports a private core name: the CLI, the magics, the server and the pytest plugin
call the core only through its public names (a name starting with one underscore is the
core's own business, free to change without notice)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nbkit"
FACES = ("nbkit.cli", "nbkit.magics", "nbkit.server", "nbkit.pytest_plugin")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_face(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FACES)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _absolute(node: ast.ImportFrom, here: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = here.split(".") if is_package else here.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def face_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if _is_face(_module_name(p)))


def private_uses(path: Path) -> list[str]:
    """Every ``from <core> import _x``, ``import <core>._x`` and ``<core name>._x`` in a face file."""
    here = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[str] = []
    core_names: set[str] = set()  # local names bound to core modules or core objects
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = _absolute(node, here, path.name == "__init__.py")
            if not module.startswith("nbkit") or _is_face(module):
                continue
            if any(_private(part) for part in module.split(".")):
                found.append(f"line {node.lineno}: from {module} import ...")
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"line {node.lineno}: from {module} import {alias.name}")
                core_names.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("nbkit") and not _is_face(alias.name):
                    if any(_private(part) for part in alias.name.split(".")):
                        found.append(f"line {node.lineno}: import {alias.name}")
                    core_names.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in core_names:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_the_faces_are_found():
    names = {_module_name(p) for p in face_files()}
    assert {"nbkit.cli", "nbkit.cli.lint_cmd", "nbkit.magics", "nbkit.server.service",
            "nbkit.pytest_plugin"} <= names


@pytest.mark.parametrize("path", face_files(), ids=lambda p: _module_name(p))
def test_no_face_uses_a_private_core_name(path):
    assert private_uses(path) == []


def test_the_check_catches_private_imports_and_attributes(tmp_path, monkeypatch):
    bad = PACKAGE / "cli" / "lint_cmd.py"
    source = ("from ..lint import _suppressed, lint_paths\nfrom nbkit import lint\nimport nbkit.verify.runner\n"
              "from .._version import __version__\nlint._release(None)\nnbkit.verify.runner._drift\n"
              "from .common import _helper\n")
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source)
    uses = private_uses(bad)
    assert any("_suppressed" in u for u in uses)
    assert any("lint._release" in u for u in uses)
    assert any("runner._drift" in u for u in uses)
    assert any("nbkit._version" in u for u in uses)
    assert not any("_helper" in u for u in uses)  # a face's own helpers are its business
