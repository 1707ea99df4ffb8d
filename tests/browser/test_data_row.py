"""The panel's data row in a real JupyterLab: Pin records the notebook's input files, and the
reproducibility section shows "Data: 1 file pinned", then "1 changed" once the file changes."""

from __future__ import annotations

import re

import pytest
from nbbuild import code, md, nb, write
from test_panel import open_notebook, save

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def test_pin_then_a_changed_input_shows_in_the_data_row(page, lab):
    (lab.root / "sales.csv").write_text("region,total\nnorth,41\n")
    write(lab.root / "data_row.ipynb", nb(
        md("# Sales"),
        code("import csv\nrows = list(csv.DictReader(open('sales.csv')))", count=1)))
    panel = open_notebook(page, lab, "data_row.ipynb")
    assert panel.locator(".jp-nbkit-data").count() == 0  # nothing pinned: no data row
    panel.get_by_role("button", name=re.compile("^Pin environment")).click()
    page.wait_for_function(
        "() => document.querySelector('#nbkit-panel .jp-nbkit-data dd')?.textContent === '1 file pinned'")
    assert lab.read("data_row.ipynb")["metadata"]["nbkit"]["data"]["sales.csv"]["bytes"] == 22
    assert "jp-mod-ok" in (panel.locator(".jp-nbkit-data dd").get_attribute("class") or "")
    # the input changes on disk; the next lint (on save) says so
    (lab.root / "sales.csv").write_text("region,total\nnorth,42\n")
    page.locator(".jp-NotebookPanel .jp-Cell").first.click()
    save(page)
    page.wait_for_function(
        "() => document.querySelector('#nbkit-panel .jp-nbkit-data dd')?.textContent === '1 file pinned, 1 changed'")
    assert panel.locator(".jp-nbkit-data dt").inner_text() == "Data"
    assert "jp-mod-bad" in (panel.locator(".jp-nbkit-data dd").get_attribute("class") or "")
