"""Build notebooks in memory for tests: ``nb(md("# T"), code("x = 1", count=1))``."""

from __future__ import annotations

import json
from pathlib import Path


def md(source: str, **kw) -> dict:
    return {"cell_type": "markdown", "metadata": kw.pop("metadata", {}), "source": source, **kw}


def raw(source: str, **kw) -> dict:
    return {"cell_type": "raw", "metadata": kw.pop("metadata", {}), "source": source, **kw}


def code(source: str, count: int | None = None, outputs: list | None = None, tags: list | None = None, **kw) -> dict:
    metadata = kw.pop("metadata", {})
    if tags:
        metadata = {**metadata, "tags": tags}
    return {"cell_type": "code", "metadata": metadata, "source": source, "execution_count": count,
            "outputs": outputs or [], **kw}


def stream(text: str, name: str = "stdout") -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def result(text: str, count: int = 1, data: dict | None = None) -> dict:
    return {"output_type": "execute_result", "execution_count": count, "metadata": {},
            "data": data or {"text/plain": text}}


def error(ename: str, evalue: str) -> dict:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}


def nb(*cells: dict, metadata: dict | None = None, ids: bool = True) -> dict:
    out = []
    for i, c in enumerate(cells):
        c = dict(c)
        if ids:
            c.setdefault("id", f"cell{i}")
        out.append(c)
    return {"cells": out, "metadata": metadata if metadata is not None else {"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def write(path: Path, notebook: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def from_case(spec: dict) -> dict:
    """A notebook from a YAML rule case: ``cells: [{md: ...}, {code: ..., count: 1}]``."""
    cells = []
    for c in spec.get("cells", []):
        c = dict(c)
        extra = {k: c.pop(k) for k in ("id", "metadata") if k in c}
        if "md" in c:
            cells.append(md(c.pop("md"), **extra))
        elif "raw" in c:
            cells.append(raw(c.pop("raw"), **extra))
        elif "code" in c:
            cells.append(code(c.pop("code"), count=c.pop("count", None), outputs=c.pop("outputs", None),
                              tags=c.pop("tags", None), **extra))
        else:
            raise ValueError(f"a case cell needs md, raw or code: {c}")
        if "tags" in c:
            cells[-1]["metadata"]["tags"] = c.pop("tags")
        if c:
            raise ValueError(f"unknown keys in case cell: {sorted(c)}")
    return nb(*cells, metadata=spec.get("metadata"), ids=spec.get("ids", True))


def case_project(root: Path, code: str, case: dict):
    """A YAML rule case laid out as a project under ``root``: (notebook path, its Config, the other
    notebooks linted in the same run). Used by the rule-case tests and the golden reports."""
    from nbkit.config import Config

    root.mkdir(parents=True, exist_ok=True)
    if case.get("git", True):
        (root / ".git").mkdir()
    for rel, text in (case.get("files") or {}).items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    nb_path = write(root / case.get("filename", "analysis_notebook.ipynb"), from_case(case["notebook"]))
    cfg = Config(profile=case.get("profile", "report"), rule_options={code: case.get("options", {})},
                 strip_outputs=case.get("strip_outputs", False))
    return nb_path, cfg, [str(root / rel) for rel in case.get("lint_also", [])]
