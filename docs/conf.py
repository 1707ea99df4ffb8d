"""Sphinx configuration for nbkit's documentation (Sphinx + MyST Markdown, the Jupyter habit).

Build it (the test suite does, with warnings as errors: tests/test_docs.py):

    pip install -e ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html

The rule reference under docs/rules/ is generated from the rule registry by
`python -m nbkit.ruledocs docs/rules`; this site only includes it.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "_ext"))

from nbkit._version import __version__

project = "nbkit"
author = "nbkit developers"
copyright = "nbkit developers"
version = release = __version__

extensions = ["myst_parser", "nbkit_docs"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
myst_heading_anchors = 3
# The generated rule pages put "### What it does" straight under the page title; the REST API
# page shows JSON shapes with "..." in them.
suppress_warnings = ["myst.header", "misc.highlighting_failure"]

html_theme = "pydata_sphinx_theme"
html_title = f"nbkit {version}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": True,
    "header_links_before_dropdown": 4,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
