"""Start-up: keep costly imports that a verify run never uses from running at start.

``import nbformat`` (by nbclient and papermill) imports jsonschema, whose format checkers import
``rfc3987_syntax`` when it is installed; that module builds a lark Earley parser for the IRI
grammar at import, 1-3 s on a busy machine, on every ``nbkit verify``, for a checker
("iri"/"iri-reference" formats) that notebook validation never calls: nbformat's schemas use
no ``format`` keyword, and nbkit does not validate with format checking.

:func:`defer_iri_grammar` puts a stand-in ``rfc3987_syntax`` module in ``sys.modules`` before
jsonschema is imported.  Everything behaves as before (jsonschema registers the same checkers);
the real module is imported, and its grammar built, the first time anything of it is used.
``NBKIT_DEFER_IMPORTS=0`` turns this off (benchmarks/bench_verify_cache.py measures both).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
import types

_NAME = "rfc3987_syntax"
_lock = threading.RLock()


class _Deferred(types.ModuleType):
    """The stand-in: the real module is loaded on the first use of one of its names."""

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__") and name != "__all__":
            raise AttributeError(name)
        return getattr(_load(), name)


def _load() -> types.ModuleType:
    with _lock:
        current = sys.modules.get(_NAME)
        if isinstance(current, _Deferred):
            del sys.modules[_NAME]
            try:
                real = importlib.import_module(_NAME)
            except BaseException:
                sys.modules[_NAME] = current
                raise
            return real
        return current if current is not None else importlib.import_module(_NAME)


def _is_valid_syntax(term: str, value: str):
    """jsonschema's "iri"/"iri-reference" checkers call this: the real function, loaded now."""
    return _load().is_valid_syntax(term, value)


def defer_iri_grammar() -> bool:
    """Install the stand-in when ``rfc3987_syntax`` is installed and neither it nor jsonschema's
    format module is imported yet; True when installed (or already in place)."""
    if os.environ.get("NBKIT_DEFER_IMPORTS", "1") == "0":
        return False
    with _lock:
        if isinstance(sys.modules.get(_NAME), _Deferred):
            return True
        if _NAME in sys.modules or "jsonschema._format" in sys.modules:
            return False
        try:
            spec = importlib.util.find_spec(_NAME)
        except (ImportError, ValueError):
            return False
        if spec is None:
            return False
        stub = _Deferred(_NAME, __doc__)
        stub.__spec__ = spec
        stub.__path__ = list(spec.submodule_search_locations or [])  # submodules import as usual
        stub.__file__ = spec.origin
        stub.is_valid_syntax = _is_valid_syntax  # type: ignore[attr-defined]
        sys.modules[_NAME] = stub
        return True
