"""Issue 11 item 3 for the REST pin route: a symlinked notebook is written through (the link
stays, its target gets metadata.nbkit, its mode is kept); a save made meanwhile is never
overwritten (the route uses the one compare-and-replace writer, nbkit.nbio.replace_if_unchanged)."""

from __future__ import annotations

import json
import os
import stat

import pytest
from nbbuild import md, nb, write

pytest_plugins = ["pytest_jupyter.jupyter_server"]

pytestmark = [pytest.mark.server, pytest.mark.timeout(180)]


async def test_rest_pin_writes_through_a_symlink_and_keeps_it(api, jp_root_dir):
    target = write(jp_root_dir / "real" / "the_target_notebook.ipynb", nb(md("# T")))
    target.chmod(0o640)
    link = jp_root_dir / "linked_notebook.ipynb"
    link.symlink_to(target)
    status, rep = await api("pin", {"path": "linked_notebook.ipynb", "seed": 3})
    assert status == 200, rep
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["metadata"]["nbkit"]["seed"] == 3
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert not [p for d in (jp_root_dir, target.parent) for p in d.iterdir() if "nbkit-tmp" in p.name]


async def test_rest_pin_refuses_when_the_file_is_saved_while_it_pins(api, jp_root_dir, monkeypatch):
    import nbkit.pin.pinning as pinning

    p = write(jp_root_dir / "busy_notebook.ipynb", nb(md("# T")))
    real = pinning.capture_environment

    def capture_while_jupyter_saves(*a, **kw):
        p.write_text(p.read_text().replace("# T", "# Saved meanwhile"))
        return real(*a, **kw)

    monkeypatch.setattr(pinning, "capture_environment", capture_while_jupyter_saves)
    status, rep = await api("pin", {"path": "busy_notebook.ipynb"})
    assert status == 400, rep
    assert rep["message"].startswith("busy_notebook.ipynb: changed on disk while nbkit worked; nothing written")
    assert "# Saved meanwhile" in p.read_text() and "nbkit" not in json.loads(p.read_text())["metadata"]
