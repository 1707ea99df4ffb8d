"""The standard-layout notebook that ``nbkit new`` writes (and the panel's template)."""

from __future__ import annotations

import uuid

from ._version import __version__

SUMMARY_TEXT = (
    "State the question, the approach and the answer in two or three sentences, so a reader who "
    "stops here still knows what this notebook found and how confident it is."
)


def _id() -> str:
    return uuid.uuid4().hex[:8]


def _md(text: str) -> dict:
    return {"cell_type": "markdown", "id": _id(), "metadata": {}, "source": text}


def _code(text: str, tags: list[str] | None = None) -> dict:
    md = {"tags": tags} if tags else {}
    return {"cell_type": "code", "id": _id(), "metadata": md, "execution_count": None, "outputs": [],
            "source": text}


def template_cells(title: str = "Title of the analysis") -> list[dict]:
    """The skeleton cells: title, summary, questions, setup (imports, parameters, seeding),
    data, one analysis section and findings."""
    return [
        _md(f"# {title}\n\n"
            "Author: <your name>  \nDate: <yyyy-mm-dd>"),
        _md("## Executive summary\n\n" + SUMMARY_TEXT),
        _md("## Questions\n\n"
            "1. What question does this analysis answer?\n"
            "2. Which decision does the answer inform?"),
        _md("## Setup\n\nImports, parameters and seeding, in one place so the notebook re-runs top to bottom."),
        _code("import random\n\nimport numpy as np"),
        _code("# Parameters (papermill can override them: nbkit verify -p SEED 7)\nSEED = 42", tags=["parameters"]),
        _code("random.seed(SEED)\nrng = np.random.default_rng(SEED)"),
        _md("## Data\n\nWhere the data comes from (source, version or date, licence) and how it is loaded."),
        _code("sample = rng.normal(size=100)\nsample.shape"),
        _md("## Analysis\n\nOne section per question: say what you look at and why, then show it."),
        _code("round(float(sample.mean()), 3)"),
        _md("## Findings\n\n"
            "1. Answer to question 1, with the number or the figure that supports it.\n"
            "2. Answer to question 2, with the number or the figure that supports it."),
    ]


def new_notebook(title: str = "Title of the analysis") -> dict:
    return {
        "cells": template_cells(title),
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "nbkit": {"template": __version__},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
