"""The data pins through the server: POST pin records them, and the lint reply's status carries
the panel's data summary ({"pinned", "changed", "missing"}), following the files on disk."""

from __future__ import annotations

import hashlib
import json

import pytest
from nbbuild import code, md, nb, write

from nbkit import schemas

pytest_plugins = ["pytest_jupyter.jupyter_server"]

pytestmark = [pytest.mark.server, pytest.mark.timeout(180)]


async def test_pin_records_data_and_lint_status_follows_the_files(api, jp_root_dir):
    (jp_root_dir / ".git").mkdir()  # the project root
    (jp_root_dir / "data").mkdir()
    (jp_root_dir / "data" / "sales.csv").write_text("region,total\nnorth,41\n")
    (jp_root_dir / "nb").mkdir()
    (jp_root_dir / "nb" / "params.json").write_text('{"alpha": 1}\n')
    (jp_root_dir / "nb" / "prices.csv").write_text("p\n1\n")
    write(jp_root_dir / "nb" / "a.ipynb", nb(
        md("# T"),
        code("import json\nimport pandas as pd\nsales = pd.read_csv('../data/sales.csv')", count=1),
        code("params = json.load(open('params.json'))\nprices = pd.read_csv('prices.csv')", count=2)))

    # before pinning: no data pins, no summary
    status, rep = await api("lint", {"path": "nb/a.ipynb"})
    assert status == 200 and rep["status"]["data"] is None
    schemas.validate(rep, "lint-reply")

    status, rep = await api("pin", {"path": "nb/a.ipynb"})
    assert status == 200, rep
    schemas.validate(rep, "pin-reply")
    data = rep["nbkit"]["data"]
    assert sorted(data) == ["../data/sales.csv", "params.json", "prices.csv"]
    assert data["../data/sales.csv"] == {
        "sha256": hashlib.sha256(b"region,total\nnorth,41\n").hexdigest(), "bytes": 22}
    assert json.loads((jp_root_dir / "nb" / "a.ipynb").read_text())["metadata"]["nbkit"]["data"] == data

    status, rep = await api("lint", {"path": "nb/a.ipynb"})
    assert rep["status"]["data"] == {"pinned": 3, "changed": 0, "missing": 0}
    schemas.validate(rep, "lint-reply")

    # same size, other content: only the hash can tell
    (jp_root_dir / "data" / "sales.csv").write_text("region,total\nnorth,42\n")
    (jp_root_dir / "nb" / "params.json").unlink()
    status, rep = await api("lint", {"path": "nb/a.ipynb"})
    assert rep["status"]["data"] == {"pinned": 3, "changed": 1, "missing": 1}
    schemas.validate(rep, "lint-reply")

    # the unsaved content of the notebook counts (its pins), against the files on disk
    content = json.loads((jp_root_dir / "nb" / "a.ipynb").read_text())
    content["metadata"]["nbkit"]["data"].pop("params.json")
    status, rep = await api("lint", {"path": "nb/a.ipynb", "content": content})
    assert rep["status"]["data"] == {"pinned": 2, "changed": 1, "missing": 0}
