"""The rules catalogue and the notebook template routes."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]  # here, not in a conftest (the browser tests)

pytestmark = [pytest.mark.server, pytest.mark.timeout(180)]


# -- rules and template -------------------------------------------------------------------------

async def test_rules_catalogue(api):
    from nbkit.rules import all_rules

    status, rep = await api("rules")
    assert status == 200 and rep["schema"] == "nbkit.rules/1"
    assert [r["code"] for r in rep["rules"]] == [r.code for r in all_rules()]
    nbl001 = next(r for r in rep["rules"] if r["code"] == "NBL001")
    assert nbl001["name"] == "missing-title" and "## What it does" in nbl001["doc"]


async def test_template(api):
    import gc

    from nbkit.layout import analyse
    from nbkit.model import notebook_from_dict

    status, rep = await api("template")
    assert status == 200
    assert gc.get_freeze_count() == 0  # freeze_startup_heap is off in these tests
    cells = rep["cells"]
    assert cells[0]["cell_type"] == "markdown" and cells[0]["source"].startswith("# ")
    model = notebook_from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})
    assert analyse(model).missing() == []
