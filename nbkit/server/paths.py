"""API paths of nbkit's REST routes: resolved through the contents manager's root, refused
when they leave it (and the error every route raises for a request it refuses)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


class ServiceError(Exception):
    """A request nbkit refuses or cannot serve: an HTTP status and a message for the panel."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# -- paths ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResolvedPath:
    api: str  # the API path, as the contents API names it ("dir/a.ipynb")
    os_path: str  # absolute file-system path inside the root


def _is_hidden(os_path: str, root: str) -> bool:
    from jupyter_core.paths import is_hidden

    return is_hidden(os_path, root)


def resolve_path(api_path: Any, root_dir: str, *, allow_hidden: bool = False, must_exist: bool = True,
                 notebook: bool = True) -> ResolvedPath:
    """Map an API path to a file inside ``root_dir``, or raise :class:`ServiceError`.

    Refused (403): absolute paths, ``..`` components, NUL bytes, and paths that resolve
    (through symlinks) outside the root.  Not found (404): hidden files or folders when the
    server does not allow them, and missing files when ``must_exist``.
    """
    if not isinstance(api_path, str) or not api_path.strip():
        raise ServiceError(400, "'path' must be a non-empty string (the notebook's path in the file browser)")
    if "\0" in api_path:
        raise ServiceError(400, "'path' contains a NUL byte")
    p = api_path.replace("\\", "/")
    if p.startswith("/") or os.path.splitdrive(api_path)[0] or os.path.isabs(api_path):
        raise ServiceError(403, f"{api_path}: absolute paths are refused; give a path relative to the server's root")
    parts = [s for s in p.split("/") if s not in ("", ".")]
    if any(s == ".." for s in parts):
        raise ServiceError(403, f"{api_path}: '..' is refused; the path must stay inside the server's root")
    if not parts:
        raise ServiceError(400, "'path' names the root folder, not a notebook")
    api = "/".join(parts)
    root = os.path.realpath(root_dir)
    os_path = os.path.join(root, *parts)
    real = os.path.realpath(os_path)
    if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
        raise ServiceError(403, f"{api}: resolves outside the server's root (symbolic link?); refused")
    real_parts = [] if real == root else os.path.relpath(real, root).split(os.sep)
    if not allow_hidden and (any(s.startswith(".") for s in parts + real_parts) or
                             (os.path.exists(os_path) and _is_hidden(real, root))):
        raise ServiceError(404, f"{api}: hidden files are not served (ContentsManager.allow_hidden is off)")
    if notebook and not parts[-1].endswith(".ipynb"):
        raise ServiceError(400, f"{api}: not a notebook (expected a .ipynb file)")
    if must_exist:
        if not os.path.exists(os_path):
            raise ServiceError(404, f"{api}: no such file")
        if os.path.isdir(os_path):
            raise ServiceError(400, f"{api}: is a directory, not a notebook")
    elif not os.path.isdir(os.path.dirname(os_path)):
        raise ServiceError(404, f"{api}: its folder does not exist")
    return ResolvedPath(api=api, os_path=os_path)
