"""The pin route: environment and seed recorded, refusals naming the file, the kernel's interpreter."""

from __future__ import annotations

import json
import os

import pytest
from nbbuild import code, md, nb, write

pytest_plugins = ["pytest_jupyter.jupyter_server"]  # here, not in a conftest (the browser tests)

pytestmark = [pytest.mark.server, pytest.mark.timeout(180)]


# -- pin ----------------------------------------------------------------------------------------

async def test_pin_records_environment_and_seed(api, jp_root_dir):
    nbdata = nb(md("# T"), code("import json\nimport numpy as np", count=1))
    write(jp_root_dir / "p.ipynb", nbdata)
    status, rep = await api("pin", {"path": "p.ipynb", "seed": 7})
    assert status == 200, rep
    assert rep["path"] == "p.ipynb"
    on_disk = json.loads((jp_root_dir / "p.ipynb").read_text())["metadata"]["nbkit"]
    assert on_disk == rep["nbkit"]
    assert on_disk["seed"] == 7
    env = on_disk["environment"]
    import platform

    import numpy

    assert env["python"] == platform.python_version() and env["packages"]["numpy"] == numpy.__version__
    assert on_disk and json.loads((jp_root_dir / "p.ipynb").read_text())["cells"] == nbdata["cells"]
    # the panel's status follows
    status, rep = await api("lint", {"path": "p.ipynb"})
    assert rep["status"]["pinned"] is True and rep["status"]["seed"] == 7


async def test_pin_refusals_name_the_file(api, jp_root_dir):
    write(jp_root_dir / "ro.ipynb", nb(md("# T")))
    os.chmod(jp_root_dir / "ro.ipynb", 0o444)
    before = (jp_root_dir / "ro.ipynb").read_bytes()
    status, rep = await api("pin", {"path": "ro.ipynb"})
    assert status == 400 and rep["message"].startswith("ro.ipynb: file is read-only")
    assert (jp_root_dir / "ro.ipynb").read_bytes() == before
    (jp_root_dir / "bad.ipynb").write_text("[]")
    status, rep = await api("pin", {"path": "bad.ipynb"})
    assert status == 400 and rep["message"].startswith("bad.ipynb: ")


async def test_pin_records_the_kernels_interpreter_not_the_servers(api, jp_root_dir, jp_data_dir, tmp_path):
    import stat
    import sys

    # a kernelspec whose Python sees no site-packages (-E -S): numpy is not installed *there*
    python = tmp_path / "bare-python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" -E -S "$@"\n')
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    spec = jp_data_dir / "kernels" / "bare"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Bare Python", "language": "python"}))
    for name, kernel in (("server.ipynb", "python3"), ("bare.ipynb", "bare")):
        write(jp_root_dir / name, nb(md("# T"), code("import numpy as np", count=1), metadata={
            "kernelspec": {"name": kernel, "display_name": kernel, "language": "python"}}))
    _, rep = await api("pin", {"path": "server.ipynb"})
    assert "numpy" in rep["nbkit"]["environment"]["packages"]
    status, rep = await api("pin", {"path": "bare.ipynb"})
    assert status == 200, rep
    assert "numpy" not in rep["nbkit"]["environment"]["packages"]
