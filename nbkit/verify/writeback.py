"""Write-back: ``--update`` (store the fresh outputs) and ``--stamp`` (``metadata.nbkit.verified``).

The only time verify writes a user's notebook, on purpose, atomically, and only when the file
is still what was verified.  ``--update`` rewrites the outputs of the cells that differ (and the
execution counts) in the file's JSON style; ``metadata.nbkit`` is written by the one
byte-preserving writer (:func:`nbkit.pin.write.write_nbkit`), so a stamp touches no other byte.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from .._version import __version__
from ..errors import NbkitError
from ..jsonedit import updated_document
from ..nbio import CHANGED_ON_DISK, read_snapshot, replace_if_unchanged
from ..pin.write import write_nbkit
from .execute import RunResult
from .results import NotebookResult

if TYPE_CHECKING:
    from .plan import WorkItem
    from .request import VerifyRequest
    from .verdict import Execution


def _split_lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _stored_output(o: dict) -> dict:
    o = copy.deepcopy(o)
    if o.get("output_type") == "stream" and isinstance(o.get("text"), str):
        o["text"] = _split_lines(o["text"])
    if isinstance(o.get("data"), dict):
        for mime, v in o["data"].items():
            if isinstance(v, str) and (mime.startswith("text/") or mime in ("image/svg+xml", "application/javascript")):
                o["data"][mime] = _split_lines(v)
    return o


def _update_outputs(item: WorkItem, res: NotebookResult, run: RunResult, data: dict) -> bool:
    """Store the fresh outputs of the cells that differ (or had nothing stored) into ``data``."""
    todo = {c.index for c in res.cells
            if c.status == "mismatch" or (c.status == "ignored" and (c.message or "").startswith("no stored"))}
    if not todo:
        return False
    changed = False
    for c in item.notebook.cells:  # execution counts follow the fresh run everywhere, so they stay in order
        pos = item.position_of.get(c.index)
        cr = run.cells.get(pos) if pos is not None else None
        if cr is None or not c.is_code:
            continue
        cell = data["cells"][c.index]
        cell["execution_count"] = cr.execution_count
        if c.index in todo:
            cell["outputs"] = [_stored_output(o) for o in cr.outputs]
        else:  # matching cells keep their outputs
            for o in cell.get("outputs") or []:
                if isinstance(o, dict) and o.get("output_type") == "execute_result":
                    o["execution_count"] = cr.execution_count
        changed = True
    return changed


def write_back(ex: Execution, res: NotebookResult, request: VerifyRequest) -> None:
    """Apply ``--update`` / ``--stamp`` to the notebook file; notes go to ``res.message``.

    The file is read again (bytes and stat) and must still be what was verified; the write is a
    compare-and-replace against that read (:func:`nbkit.nbio.replace_if_unchanged`), so a save
    made while verify ran or while it writes is never overwritten."""
    item = ex.item
    run = ex.runs[0] if ex.runs else None
    try:
        snapshot = read_snapshot(item.path)
    except NbkitError as e:
        res.message += f"; not written: {e.message}"
        return
    current = snapshot.data
    if current != item.raw:
        res.message += "; not written: the file " + CHANGED_ON_DISK.replace("nbkit worked", "it was verified")
        return
    data = json.loads(current.decode("utf-8-sig"))
    updated = False
    if request.update:
        if res.status in ("failed", "timeout", "invalid") or run is None:
            res.message += "; stored outputs not updated (the run did not complete)"
        elif data.get("nbformat") != 4:
            res.message += "; stored outputs not updated (nbformat 3 file)"
        else:
            updated = _update_outputs(item, res, run, data)
    stamp = request.stamp and res.status != "invalid"
    if not (updated or stamp):
        return
    try:
        base = updated_document(current, data) if updated else current
        if stamp:
            md = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
            nbk = dict(md["nbkit"]) if isinstance(md.get("nbkit"), dict) else {}
            nbk["verified"] = {"at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                               "status": res.status, "nbkit": __version__}
            write_nbkit(item.path, snapshot, data, nbk, base=base, doing="verifying")
        else:
            replace_if_unchanged(item.path, snapshot, base, doing="verifying")
    except NbkitError as e:
        res.message += f"; not written: {e.message}"
        return
    res.updated, res.stamped = updated, stamp
