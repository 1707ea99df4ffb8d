"""The JupyterLab panel in a real browser (Debian's headless Chromium) against a real
``jupyter lab`` with the installed nbkit server extension and prebuilt labextension.

A user opens a notebook and sees the layout checklist and the lint findings; clicking a finding
lands on its cell; a missing section is inserted where it belongs; edits re-lint without saving;
Verify runs a reproducible and a flawed notebook in a fresh kernel and shows the right result
(with the diff of the mismatching cell); Pin records the environment into the file. Screenshots
of the panel (light and dark theme) are saved to build/screenshots/ (scripts/refresh_screenshots.sh
refreshes docs/images/ from them).
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from nbbuild import code, md, nb, result, stream, write
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.kernel, pytest.mark.slow, pytest.mark.timeout(240)]

PANEL = "#nbkit-panel"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def filler(n: int) -> list[dict]:
    """Analysis cells with deterministic, stored outputs (they also make the notebook long)."""
    cells = []
    for i in range(n):
        cells.append(code(f"step_{i} = {i} * 3\nstep_{i}", count=10 + i, outputs=[result(str(i * 3), count=10 + i)]))
    return cells


def flawed_notebook() -> dict:
    """No executive summary; random used unseeded far down the notebook; a stored output that no
    longer matches what the code computes (45, stored as 44)."""
    return nb(
        md("# Churn in Q3\n\nAuthor: A. Analyst"),
        md("## Questions\n\n1. Did churn rise in Q3?"),
        md("## Setup"),
        code("import random", count=1),
        md("## Data"),
        code("counts = list(range(10))", count=2),
        md("## Analysis"),
        code("total = sum(counts)\ntotal", count=3, outputs=[result("44", count=3)]),
        chart_cell([40, 70, 30], count=4),  # the stored chart: the last bar has changed since
        *filler(23),
        code("sample = random.random()\nround(sample, 2) >= 0", count=40, outputs=[result("True", count=40)]),
        md("## Findings\n\n1. Churn rose by 45 customers."),
    )


def good_notebook() -> dict:
    return nb(
        md("# Retention in Q3\n\nAuthor: A. Analyst"),
        md("## Executive summary\n\nRetention held at 45 accounts."),
        md("## Questions\n\n1. Did retention hold?"),
        md("## Setup"),
        code("import random\n\nrandom.seed(42)", count=1),
        md("## Data"),
        code("counts = list(range(10))", count=2),
        md("## Analysis"),
        code("total = sum(counts)\ntotal", count=3, outputs=[result("45", count=3)]),
        code("print('accounts:', total)", count=4, outputs=[stream("accounts: 45\n")]),
        md("## Findings\n\n1. Retention held: 45 accounts."),
    )


CHART_CODE = (
    "import io\n"
    "from IPython.display import Image, display\n"
    "from PIL import Image as PILImage, ImageDraw\n\n"
    "chart = PILImage.new('RGB', (160, 90), 'white')\n"
    "draw = ImageDraw.Draw(chart)\n"
    "for i, height in enumerate([40, 70, 55]):\n"
    "    draw.rectangle([15 + i * 48, 85 - height, 45 + i * 48, 85], fill=(31, 119, 180))\n"
    "buf = io.BytesIO()\n"
    "chart.save(buf, format='PNG')\n"
    "display(Image(data=buf.getvalue()))"
)


def chart_png(heights) -> str:
    """The PNG the chart cell draws, for other bar heights (a stored output from an older run)."""
    import base64
    import io

    from PIL import Image, ImageDraw

    chart = Image.new("RGB", (160, 90), "white")
    draw = ImageDraw.Draw(chart)
    for i, height in enumerate(heights):
        draw.rectangle([15 + i * 48, 85 - height, 45 + i * 48, 85], fill=(31, 119, 180))
    buf = io.BytesIO()
    chart.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def chart_cell(heights, count: int) -> dict:
    stored = {"output_type": "display_data", "metadata": {},
              "data": {"image/png": chart_png(heights), "text/plain": "<IPython.core.display.Image object>"}}
    return code(CHART_CODE, count=count, outputs=[stored])


# -- helpers ---------------------------------------------------------------------------------------

def open_notebook(page, lab, name: str):
    """Open the notebook in JupyterLab, show the nbkit panel, wait for the first lint."""
    page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator, .jp-Toolbar-kernelName", timeout=30_000)
    tab = page.locator('.jp-SideBar.jp-mod-left [data-id="nbkit-panel"]')
    tab.click()
    panel = page.locator(PANEL)
    panel.wait_for(state="visible")
    wait_linted(page)
    return panel


def wait_linted(page, timeout: int = 15_000):
    page.wait_for_function(
        """() => { const s = document.querySelector('#nbkit-panel .jp-nbkit-lintstatus');
                   return s && s.classList.contains('jp-nbkit-lint-done'); }""", timeout=timeout)


def active_cell_index(page) -> int:
    return page.evaluate("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex")


def wait_active_cell(page, index: int) -> None:
    page.wait_for_function("(i) => window.jupyterapp?.shell.currentWidget?.content?.activeCellIndex === i", arg=index)


CELL_IN_VIEW_JS = """(i) => { const nb = window.jupyterapp.shell.currentWidget.content;
                    const cell = nb.widgets[i];
                    if (!cell || !cell.node.isConnected) return false;
                    const outer = cell.node.closest('.jp-WindowedPanel-outer');
                    const a = outer.getBoundingClientRect(), b = cell.node.getBoundingClientRect();
                    return b.height > 0 && b.bottom > a.top && b.top < a.bottom; }"""


def cell_in_view(page, index: int) -> bool:
    """Whether the notebook's cell ``index`` is rendered and inside the visible scroll area."""
    return page.evaluate(CELL_IN_VIEW_JS, index)


CLEAN_JS = ("() => !document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-mod-dirty, "
            ".lm-TabBar-tab.jp-mod-current.jp-mod-dirty')")


def save(page, timeout: float = 60.0):
    """Save the current notebook through JupyterLab's own save command (a key press can land
    where focus or a late dialog swallows it on a loaded machine) and wait until it is clean.
    The command is sent again every 5 s while the notebook stays dirty (twice on a loaded CI
    machine one save left it dirty for 30 s: a command sent before the document was ready does
    nothing); a dialog (e.g. "File Changed") fails the test with its text instead of being
    clicked away."""
    deadline = time.monotonic() + timeout
    while True:
        page.evaluate("() => { window.jupyterapp.commands.execute('docmanager:save'); }")
        try:
            page.wait_for_function(CLEAN_JS, timeout=5_000)
            return
        except PlaywrightTimeoutError:
            dialog = page.locator(".jp-Dialog")
            assert dialog.count() == 0, f"a dialog instead of a save: {dialog.first.inner_text()!r}"
            assert time.monotonic() < deadline, f"the notebook is still unsaved after {timeout:.0f} s"


def take_screenshots(page, panel, folder, theme: str) -> None:
    """The whole window with a wide sidebar (for the README), and the panel alone, tall enough
    to show everything (for the docs)."""
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 300)
    page.mouse.down()
    page.mouse.move(box["x"] + 180, box["y"] + 300, steps=5)
    page.mouse.up()
    page.wait_for_timeout(300)
    panel.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    page.wait_for_timeout(200)
    page.screenshot(path=str(folder / f"panel-{theme}.png"))
    size = page.viewport_size
    height = panel.evaluate("el => el.scrollHeight") + 120
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(height, 4000))})
    page.wait_for_timeout(300)
    panel.screenshot(path=str(folder / f"panel-{theme}-sidebar.png"))
    page.set_viewport_size(size)


def findings(panel) -> list[str]:
    return panel.locator("button.jp-nbkit-finding").evaluate_all("els => els.map(e => e.dataset.code)")


def run_verify(page, panel, timeout: int = 120_000) -> str:
    panel.get_by_role("button", name=re.compile("^Verify:")).click()
    page.wait_for_selector(f"{PANEL} .jp-nbkit-verify-result", timeout=timeout)
    return panel.locator(".jp-nbkit-verify-result").get_attribute("data-status") or ""


# -- tests -------------------------------------------------------------------------------------------

def test_findings_appear_and_a_click_lands_on_the_cell(page, lab):
    write(lab.root / "churn_flawed.ipynb", flawed_notebook())
    panel = open_notebook(page, lab, "churn_flawed.ipynb")

    # the layout checklist: summary missing (with an Insert button), the rest present
    summary_row = panel.locator('.jp-nbkit-check[data-section="summary"]')
    assert "jp-mod-missing" in summary_row.get_attribute("class")
    assert panel.locator('.jp-nbkit-check[data-section="data"]').get_attribute("class").count("jp-mod-present")
    assert summary_row.get_by_role("button", name="Insert the Executive summary section heading").is_visible()

    # the findings, grouped by severity, include the unseeded random use and the missing summary
    codes = findings(panel)
    assert "NBR004" in codes, codes
    groups = panel.locator(".jp-nbkit-group-title").all_inner_texts()
    assert groups[0].startswith("Errors ("), groups

    # clicking the NBR004 finding (far down the notebook) selects its cell and scrolls to it
    target = panel.locator('button.jp-nbkit-finding[data-code="NBR004"]').first
    index = int(target.get_attribute("data-cell-index"))
    assert index > 25
    assert not cell_in_view(page, index)
    target.click()
    wait_active_cell(page, index)
    # the scroll is animated and a windowed notebook renders cells as they come into view:
    # wait (bounded) for the cell to be on screen rather than sleeping a fixed time
    page.wait_for_function(f"() => ({CELL_IN_VIEW_JS})({index})", timeout=15_000)
    assert active_cell_index(page) == index
    assert cell_in_view(page, index)


def test_insert_missing_section_and_relint_on_edit(page, lab):
    write(lab.root / "insert_me.ipynb", flawed_notebook())
    panel = open_notebook(page, lab, "insert_me.ipynb")
    before = lab.read("insert_me.ipynb")
    assert not any("Executive summary" in "".join(c["source"]) for c in before["cells"])

    panel.get_by_role("button", name="Insert the Executive summary section heading").click()
    page.wait_for_function(
        """() => document.querySelector('#nbkit-panel .jp-nbkit-check[data-section="summary"]')
                 ?.classList.contains('jp-mod-present')""")
    save(page)
    after = lab.read("insert_me.ipynb")
    sources = ["".join(c["source"]) for c in after["cells"]]
    # after the title, before the questions
    assert sources[1] == "## Executive summary", sources[:3]
    assert sources[2].startswith("## Questions")
    assert len(after["cells"]) == len(before["cells"]) + 1

    # an unsaved edit re-lints after the debounce: an absolute path appears as a finding
    assert "NBR009" not in findings(panel)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(4).click()  # the import cell
    page.keyboard.press("Enter")  # edit mode
    page.keyboard.press("Control+End")
    page.keyboard.type("\ndata_path = '/home/analyst/churn.csv'")
    page.wait_for_function(
        "() => !!document.querySelector('#nbkit-panel button.jp-nbkit-finding[data-code=\"NBR009\"]')", timeout=10_000)
    assert "NBR009" not in str(lab.read("insert_me.ipynb"))  # linted unsaved content, file untouched


def test_verify_reproducible_notebook(page, lab):
    write(lab.root / "retention_good.ipynb", good_notebook())
    panel = open_notebook(page, lab, "retention_good.ipynb")
    status = run_verify(page, panel)
    assert status == "reproducible", panel.inner_text()
    assert panel.locator(".jp-nbkit-diff-item").count() == 0
    assert panel.locator(".jp-nbkit-last-verify dd").inner_text().startswith("Reproducible")


def test_verify_flawed_notebook_shows_the_mismatch(page, lab, screenshots):
    write(lab.root / "churn_verify.ipynb", flawed_notebook())
    panel = open_notebook(page, lab, "churn_verify.ipynb")
    status = run_verify(page, panel)
    assert status == "mismatch", panel.inner_text()
    items = panel.locator(".jp-nbkit-diff-item")
    assert items.count() >= 1
    first = items.first
    assert first.get_attribute("data-index") == "7"
    diff = first.inner_text()
    assert "44" in diff and "45" in diff, diff
    assert panel.locator(".jp-nbkit-last-verify dd").inner_text().startswith("Outputs differ")

    # clicking the mismatching cell selects it in the notebook
    first.locator("a.jp-nbkit-diff-cell").click()
    wait_active_cell(page, 7)

    take_screenshots(page, panel, screenshots, "light")


def test_verify_shows_a_changed_image_side_by_side(page, lab):
    """The stored chart differs from the one the code draws now: expected and actual images are
    shown side by side, with the pixel difference."""
    notebook = good_notebook()
    notebook["cells"].insert(9, chart_cell([40, 70, 30], count=5))
    write(lab.root / "chart.ipynb", notebook)
    panel = open_notebook(page, lab, "chart.ipynb")
    assert run_verify(page, panel) == "mismatch", panel.inner_text()
    item = panel.locator('.jp-nbkit-diff-item[data-index="9"]')
    imgs = item.locator("img")
    assert imgs.count() == 3
    assert [imgs.nth(i).get_attribute("alt") for i in range(3)] == [
        "Expected output of cell 9", "Actual output of cell 9", "Difference output of cell 9"]
    # the browser decoded them: real images, expected and actual side by side
    sizes = imgs.evaluate_all("els => els.map(e => [e.naturalWidth, e.naturalHeight])")
    assert sizes[:2] == [[160, 90], [160, 90]], sizes
    boxes = [imgs.nth(i).bounding_box() for i in range(2)]
    assert boxes[0]["x"] < boxes[1]["x"] and abs(boxes[0]["y"] - boxes[1]["y"]) < 2, boxes


def test_cancel_a_running_verify(page, lab):
    slow = nb(
        md("# Slow\n\nAuthor: me"),
        code("import time", count=1),
        *[code(f"time.sleep(1)\n{i}", count=2 + i, outputs=[result(str(i), count=2 + i)]) for i in range(30)],
    )
    write(lab.root / "slow.ipynb", slow)
    panel = open_notebook(page, lab, "slow.ipynb")
    panel.get_by_role("button", name=re.compile("^Verify:")).click()
    page.wait_for_function(
        "() => /of 3[0-9] cells · running cell/.test(document.querySelector('#nbkit-panel .jp-nbkit-progress-text')?.textContent || '')",
        timeout=60_000)
    panel.get_by_role("button", name="Cancel the running verify").click()
    # "Cancelling…" until the server has stopped the job and its kernel, then "cancelled"
    page.wait_for_selector(f"{PANEL} .jp-nbkit-verify-result", timeout=60_000)
    assert panel.locator(".jp-nbkit-verify-result").inner_text() == "Verify cancelled."
    assert panel.get_by_role("button", name=re.compile("^Verify:")).is_enabled()
    jobs = lab.api("nbkit/api/verify")["jobs"]
    slow_jobs = [j for j in jobs if j["path"] == "slow.ipynb"]
    assert len(slow_jobs) == 1 and slow_jobs[0]["state"] == "cancelled", slow_jobs
    assert slow_jobs[0]["progress"]["done"] < 30


def test_pin_environment_records_it_in_the_notebook(page, lab):
    pinned = good_notebook()
    pinned["cells"][4]["source"] = "import random\n\nimport numpy as np\n\nrandom.seed(42)"
    write(lab.root / "pin_me.ipynb", pinned)
    panel = open_notebook(page, lab, "pin_me.ipynb")
    assert panel.locator(".jp-nbkit-env dd").inner_text() == "not pinned"
    panel.get_by_role("button", name=re.compile("^Pin environment")).click()
    page.wait_for_function(
        "() => (document.querySelector('#nbkit-panel .jp-nbkit-env dd')?.textContent || '').startsWith('pinned')")
    meta = lab.read("pin_me.ipynb")["metadata"]["nbkit"]["environment"]
    assert meta["python"].count(".") == 2
    assert "numpy" in meta["packages"], meta
    # the editor holds what the file holds: no "file changed on disk" dialog, not dirty
    assert page.locator(".jp-Dialog").count() == 0
    assert "Python " in panel.locator(".jp-nbkit-env dd").inner_text()


def test_commands_in_palette_context_menu_toolbar_and_template(page, lab):
    write(lab.root / "blank.ipynb", nb(code("")))
    panel = open_notebook(page, lab, "blank.ipynb")
    assert panel.locator(".jp-nbkit-check.jp-mod-missing").count() == 7

    # the notebook toolbar carries Verify and Pin
    toolbar = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-NotebookPanel-toolbar")
    for name in ("nbkit-verify", "nbkit-pin"):
        button = toolbar.locator(f'[data-jp-item-name="{name}"] button')
        assert button.count() == 1
        # an icon button still has an accessible name (the command's caption)
        assert button.get_attribute("aria-label") or button.get_attribute("title"), name

    # the notebook's context menu offers the three commands
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").click(button="right", position={"x": 400, "y": 400})
    menu = page.locator(".lm-Menu").last
    labels = [t.split("\t")[0] for t in menu.locator(".lm-Menu-item").all_inner_texts()]
    assert {"Insert Layout Template", "Pin Environment", "Verify Notebook with nbkit",
            "Verify Notebook in its Pinned Environment with nbkit"} <= set(labels), labels
    page.keyboard.press("Escape")

    # the command palette finds "Insert Layout Template"; on a blank notebook it writes the skeleton
    # (a loaded CI machine once closed the modal palette between finding the item and clicking it,
    # and once never showed it after the menu click, e.g. a late focus change: the palette is
    # opened again, at most three times)
    for attempt in range(3):
        try:
            page.locator(".lm-MenuBar-item", has_text="View").click()
            page.locator(".lm-Menu-item", has_text="Activate Command Palette").click()
            palette = page.locator(".lm-CommandPalette")
            palette.wait_for(state="visible", timeout=15_000)
            palette.locator("input").fill("Insert Layout Template")
            item = palette.locator(".lm-CommandPalette-item", has_text="Insert Layout Template")
            item.first.wait_for(state="visible", timeout=15_000)
            assert item.count() == 1
            item.click(timeout=10_000)
            break
        except PlaywrightTimeoutError:
            assert attempt < 2, "the command palette closed (or never opened) before its item could be clicked, " \
                                "three times"
            page.keyboard.press("Escape")
    page.wait_for_function(
        "() => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell').length > 5")
    page.wait_for_function("() => document.querySelectorAll('#nbkit-panel .jp-nbkit-check.jp-mod-missing').length === 0")
    save(page)
    saved = lab.read("blank.ipynb")
    headings = [c["source"] if isinstance(c["source"], str) else "".join(c["source"])
                for c in saved["cells"] if c["cell_type"] == "markdown"]
    assert any(h.startswith("## Executive summary") for h in headings), headings
    assert any(h.startswith("## Findings") for h in headings), headings


def test_dark_theme_screenshot(page, lab, screenshots):
    write(lab.root / "churn_dark.ipynb", flawed_notebook())
    panel = open_notebook(page, lab, "churn_dark.ipynb")
    page.locator(".lm-MenuBar-item", has_text="Settings").click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Theme$")).hover()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^JupyterLab Dark$")).click()
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    page.wait_for_timeout(500)
    bg = panel.evaluate("el => getComputedStyle(el).backgroundColor")
    # the panel follows the theme: a dark background
    r, g, b = (int(x) for x in re.findall(r"\d+", bg)[:3])
    assert r + g + b < 200, bg
    status = run_verify(page, panel)
    assert status == "mismatch"
    take_screenshots(page, panel, screenshots, "dark")
    # back to the light theme for whoever comes next
    page.locator(".lm-MenuBar-item", has_text="Settings").click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Theme$")).hover()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^JupyterLab Light$")).click()
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'")


def test_a_cause_with_a_fix_offers_it_in_one_click(page, lab):
    """Verify names randomness for an unseeded draw; its button inserts a `%nbkit seed` cell."""
    write(lab.root / "draws.ipynb", nb(md("# Draws\n\nAuthor: me"), md("## Setup"), code("import random", count=1),
                                       md("## Analysis"),
                                       code("random.random()", count=2, outputs=[result("0.123", count=2)])))
    panel = open_notebook(page, lab, "draws.ipynb")
    # two fresh runs disagree: nondeterministic, and the cause says why
    assert run_verify(page, panel) == "nondeterministic", panel.inner_text()
    item = panel.locator('.jp-nbkit-diff-item[data-index="4"]')
    assert "Randomness" in item.locator(".jp-nbkit-cell-cause").inner_text()
    fix = item.locator("button.jp-nbkit-cause-fix")
    assert fix.get_attribute("data-action") == "seed"
    fix.click()
    page.wait_for_function(
        """() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells
                 .some(c => c.getSource().includes('%nbkit seed 42'))""", timeout=10_000)
    sources = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells"
                            ".map(c => c.getSource())")
    # under the Setup heading, before the draw
    assert sources.index("%load_ext nbkit\n%nbkit seed 42") == 2, sources


def test_example_notebook_shows_what_the_server_reports(page, lab):
    """The panel shows every finding the REST API reports for an example notebook."""
    src = EXAMPLES / "flawed" / "unseeded_randomness.ipynb"
    shutil.copy(src, lab.root / src.name)
    panel = open_notebook(page, lab, src.name)
    reply = lab.api("nbkit/api/lint", {"path": src.name})
    expected = sorted(f["code"] for f in reply["findings"])
    assert "NBR004" in expected, expected
    assert sorted(findings(panel)) == expected
    counts = panel.locator(".jp-nbkit-lintstatus").inner_text()
    s = reply["summary"]
    assert counts.startswith(f"{s['error']} errors, {s['warning']} warnings, {s['info']} info"), counts


def test_findings_appear_within_a_second_of_saving_a_200_cell_notebook(page, lab):
    cells = [md("# Big\n\nAuthor: me"), md("## Executive summary\n\nx."), md("## Questions\n\n1. y?"),
             md("## Setup"), code("import os", count=1), md("## Data"), code("n = 1", count=2), md("## Analysis")]
    while len(cells) < 199:
        i = len(cells)
        cells.append(code(f"v_{i} = {i} + n\nv_{i}", count=i, outputs=[result(str(i + 1), count=i)]))
    cells.append(md("## Findings\n\n1. z."))
    write(lab.root / "big.ipynb", nb(*cells))
    panel = open_notebook(page, lab, "big.ipynb")
    assert "NBR009" not in findings(panel)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(4).click()
    page.keyboard.press("Enter")
    page.keyboard.press("Control+End")
    # best of three save cycles: the machine is shared, the figure is about nbkit, not the load
    times = []
    for k in range(3):
        page.keyboard.type(f"\nsource_{k} = '/home/analyst/big_{k}.csv'")
        start = time.monotonic()
        page.keyboard.press("Control+s")  # before the edit's debounced lint: the save triggers it
        page.wait_for_function(
            """(k) => Array.from(document.querySelectorAll('#nbkit-panel button.jp-nbkit-finding[data-code="NBR009"]'))
                     .some(b => b.textContent.includes(`big_${k}.csv`))""", arg=k, timeout=10_000)
        times.append(time.monotonic() - start)
        page.wait_for_timeout(1000)  # let the edit's debounced lint pass before the next round
    print(f"findings after saving a 200-cell notebook: {', '.join(f'{t * 1000:.0f}' for t in times)} ms")
    assert min(times) < 1.0, f"findings took {min(times):.2f} s after saving (best of 3)"
    assert "/home/analyst/big_2.csv" in "".join(lab.read("big.ipynb")["cells"][4]["source"])


def test_settings_and_keyboard(page, lab):
    """Findings are reachable and usable with the keyboard; the "ignore" setting hides codes."""
    write(lab.root / "keys.ipynb", flawed_notebook())
    panel = open_notebook(page, lab, "keys.ipynb")
    codes = findings(panel)
    assert any(c.startswith("NBH") for c in codes), codes

    # Tab from the Lint button to the first finding, Enter opens its cell
    panel.get_by_role("button", name="Lint the notebook now").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.classList.contains('jp-nbkit-finding')"):
            break
    focused = page.evaluate("() => [document.activeElement.dataset.code, document.activeElement.dataset.cellIndex]")
    assert focused[0] == codes[0], focused
    page.keyboard.press("Enter")
    if focused[1] is not None:
        wait_active_cell(page, int(focused[1]))

    # the Settings Editor's "Rules to ignore" (written here through the settings API)
    url = f"{lab.url}/lab/api/settings/nbkit-jupyterlab:plugin"
    headers = {"Authorization": f"token {lab.token}", "Content-Type": "application/json"}
    r = page.request.put(url, headers=headers, data='{"raw": "{\\"ignore\\": [\\"NBH\\"], \\"profile\\": \\"exploratory\\"}"}')
    assert r.ok, r.text()
    try:
        panel = open_notebook(page, lab, "keys.ipynb")
        shown = findings(panel)
        assert shown and not any(c.startswith("NBH") for c in shown), shown
        # exploratory: layout findings are at most warnings
        errors = panel.locator(".jp-nbkit-severity-error[data-code^='NBL']").count()
        assert errors == 0
    finally:
        r = page.request.put(url, headers=headers, data='{"raw": "{}"}')
        assert r.ok, r.text()
