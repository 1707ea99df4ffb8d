"""``%nbkit guard`` in a real JupyterLab (Debian's headless Chromium): the warning shows under the
cell that used randomness before any seed, and only there.  Saves build/screenshots/guard-warning.png
(docs/images/guard-warning.png is a copy of it)."""

from __future__ import annotations

import pytest
from nbbuild import code, md, nb, write

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.kernel, pytest.mark.slow, pytest.mark.timeout(240)]

OUTPUT = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell"


def test_guard_warning_appears_under_the_cell(page, lab, screenshots):
    write(lab.root / "guarded_in_lab.ipynb", nb(
        md("# Guarded analysis\n\nThe guard watches each cell as it runs."),
        code("%load_ext nbkit"),
        code("%nbkit guard on"),
        code("import random\n\nsample = random.random()\nround(sample, 1) >= 0"),
        code("print('next cell')"),
    ))
    page.goto(f"{lab.url}/lab/tree/guarded_in_lab.ipynb?reset&token={lab.token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    page.wait_for_function("() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    cells = page.locator(OUTPUT)
    cells.nth(4).locator(".jp-OutputArea-output", has_text="next cell").wait_for(timeout=90_000)

    warned = cells.nth(3).locator(".jp-OutputArea-output .nbkit-guard")
    warned.wait_for()
    text = warned.inner_text()
    assert "NBR004" in text and "random.random is used before random is seeded" in text, text
    assert "Fix:" in text and "%nbkit seed" in text
    # the cell itself ran: its result is there too
    assert "True" in cells.nth(3).locator(".jp-OutputArea").inner_text()
    # nowhere else: not under the guard's own cell, not under the next one
    assert cells.nth(2).locator(".nbkit-guard").count() == 0
    assert cells.nth(4).locator(".nbkit-guard").count() == 0
    assert "guard on" in cells.nth(2).locator(".jp-OutputArea").inner_text()

    # the notebook's cells, cropped to what they fill
    page.evaluate("() => window.jupyterapp.shell.currentWidget.content.deselectAll()")
    first, last = cells.nth(0).bounding_box(), cells.nth(4).bounding_box()
    target = screenshots / "guard-warning.png"
    page.screenshot(path=str(target), clip={"x": first["x"], "y": first["y"] - 8, "width": first["width"],
                                            "height": last["y"] + last["height"] - first["y"] + 16})
    assert target.stat().st_size > 5_000
