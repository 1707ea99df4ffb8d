"""The team-policy banner in a real browser (Debian's headless Chromium) against a real
``jupyter lab``: a notebook that misses its Findings under a project policy shows the banner
after a save, naming what is missing and where the policy came from; the fix buttons insert
what is missing; after the next save the banner is gone.  A screenshot of the banner is saved
(docs/images/panel-policy.png when NBKIT_SCREENSHOTS points there)."""

from __future__ import annotations

import pytest
from nbbuild import code, md, nb, result, write
from test_panel import PANEL, open_notebook, save

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.kernel, pytest.mark.slow, pytest.mark.timeout(240)]

POLICY = '[tool.nbkit.policy]\nrequired-sections = ["findings"]\nrequire-seed = true\n'
BANNER = f"{PANEL} .jp-nbkit-policy-banner"


def no_findings_notebook() -> dict:
    return nb(
        md("# Churn in Q3\n\nAuthor: A. Analyst"),
        md("## Executive summary\n\nChurn rose by two points in Q3, driven by the price change."),
        md("## Questions\n\n1. Did churn rise in Q3?"),
        md("## Setup"),
        code("import statistics", count=1),
        md("## Data"),
        code("counts = [40, 45, 47]", count=2),
        md("## Analysis"),
        code("statistics.mean(counts)", count=3, outputs=[result("44", count=3)]),
    )


def test_policy_banner_after_save_and_its_fix_buttons(page, lab, screenshots):
    (lab.root / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    write(lab.root / "policy_churn_q3.ipynb", no_findings_notebook())
    open_notebook(page, lab, "policy_churn_q3.ipynb")
    save(page)  # the server's post-save hook checks the saved file; the panel asks for the verdict
    banner = page.locator(BANNER)
    banner.wait_for(state="visible")
    text = banner.locator(".jp-nbkit-policy-text").inner_text()
    assert text == "This notebook does not meet the team policy: missing Findings, seed not recorded"
    assert banner.locator(".jp-nbkit-policy-from").inner_text() == "policy from pyproject.toml"
    assert lab.api("nbkit/api/policy?path=policy_churn_q3.ipynb")["trigger"] == "save"
    banner.screenshot(path=str(screenshots / "panel-policy.png"))

    # the fixes: insert the Findings heading where it belongs, then a %nbkit seed cell under Setup
    insert = page.get_by_role("button", name='Fix "missing Findings": Insert Findings')
    insert.focus()
    page.keyboard.press("Enter")  # keyboard reachable
    page.wait_for_function(
        """() => document.querySelector('#nbkit-panel .jp-nbkit-check[data-section="findings"]')
                 ?.classList.contains('jp-mod-present')""")
    page.get_by_role("button", name='Fix "seed not recorded": Insert %nbkit seed').click()
    page.wait_for_function(
        """() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells
                 .some(c => c.getSource().includes('%nbkit seed 42'))""")
    assert page.locator(BANNER).is_visible()  # unchanged until the notebook is saved
    save(page)
    page.wait_for_selector(BANNER, state="detached")
    ok = page.locator(f"{PANEL} .jp-nbkit-policy-ok")
    ok.wait_for(state="visible")
    assert ok.inner_text() == "✓ Meets the team policy · policy from pyproject.toml"

    saved = lab.read("policy_churn_q3.ipynb")
    sources = ["".join(c["source"]) for c in saved["cells"]]
    assert sources[-1].startswith("## Findings"), sources
    setup = sources.index("## Setup")
    assert sources[setup + 1] == "%load_ext nbkit\n%nbkit seed 42"
    verdict = lab.api("nbkit/api/policy?path=policy_churn_q3.ipynb")
    assert verdict["ok"] is True and verdict["trigger"] == "save"
