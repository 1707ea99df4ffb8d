"""Sphinx directives that render parts of the docs from nbkit itself, so they cannot go stale.

    ```{nbkit-template}
    ```                       the standard-layout skeleton that `nbkit new` writes

    ```{nbkit-cli} verify
    ```                       the `nbkit verify --help` text

    ```{nbkit-sections}
    ```                       the layout's sections and the headings that count for each
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive


def _literal(text: str, language: str) -> nodes.literal_block:
    block = nodes.literal_block(text, text)
    block["language"] = language
    return block


class TemplateDirective(Directive):
    has_content = False

    def run(self):
        from nbkit.template import template_cells

        out = []
        for cell in template_cells("Churn drivers in Q3"):
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            tags = cell.get("metadata", {}).get("tags")
            head = f"{cell['cell_type']} cell" + (f" (tags: {', '.join(tags)})" if tags else "")
            para = nodes.paragraph()
            para += nodes.strong(text=head)
            out.append(para)
            out.append(_literal(src, "markdown" if cell["cell_type"] == "markdown" else "python"))
        return out


class SectionsDirective(Directive):
    """The layout's sections, in order, with the headings each one is recognised by."""

    has_content = False

    def run(self):
        from nbkit.layout import (
            DEFAULT_ALIASES,
            REQUIRED,
            SECTION_HINTS,
            SECTION_LABELS,
            SECTIONS,
        )

        items = nodes.enumerated_list()
        for key in SECTIONS:
            para = nodes.paragraph()
            para += nodes.strong(text=SECTION_LABELS[key])
            para += nodes.Text(" (required)" if key in REQUIRED else " (optional)")
            hint = SECTION_HINTS.get(key, "").strip("_")
            if hint:
                para += nodes.Text(": " + hint)
            item = nodes.list_item()
            item += para
            if key == "title":
                item += nodes.paragraph(text="Found by position: the first H1 at the top of the notebook.")
            elif key == "analysis":
                item += nodes.paragraph(text="Found by position: the H2 sections between setup/data and the "
                                             "findings that contain code; any heading text.")
            else:
                p2 = nodes.paragraph(text="Recognised headings: ")
                for i, alias in enumerate(DEFAULT_ALIASES.get(key, ())):
                    if i:
                        p2 += nodes.Text(", ")
                    p2 += nodes.literal(text=alias)
                item += p2
            items += item
        return [items]


class CliDirective(Directive):
    required_arguments = 1
    has_content = False

    def run(self):
        import click

        from nbkit.cli import COMMANDS, main

        name = self.arguments[0]
        if name not in COMMANDS:
            raise self.error(f"nbkit has no sub-command {name!r}")
        cmd = main.get_command(click.Context(main), name)
        ctx = click.Context(cmd, info_name=f"nbkit {name}", terminal_width=100, max_content_width=100)
        return [_literal(cmd.get_help(ctx), "text")]


_BENCH_LINK = re.compile(r"\[([^\]]+)\]\((benchmarks-[\w-]+)\.md(#[\w-]*)?\)")


def _benchmark_pages(srcdir: Path) -> list[str]:
    return sorted(p.stem for p in srcdir.glob("benchmarks-*.md"))


def _source_read(app, docname, source):
    """The benchmark pages are written by the benchmark runs (benchmarks/): list the ones that
    exist in the index's toctree, and turn links to ones not written yet into plain text.
    Top-level pages that no toctree of the index lists go under "More"."""
    srcdir = Path(app.srcdir)
    pages = set(_benchmark_pages(srcdir))
    text = source[0]
    if docname == "index" and "<!-- nbkit:benchmarks -->" in text:
        block = ""
        if pages:
            block = "```{toctree}\n:caption: Performance\n:maxdepth: 1\n\n" + "\n".join(sorted(pages)) + "\n```\n"
        # a top-level page nobody listed yet still gets into the navigation
        listed = set(re.findall(r"^([\w/-]+)\s*$", text, re.MULTILINE))
        extra = sorted(p.stem for p in srcdir.glob("*.md")
                       if p.stem not in listed and p.stem != "index" and p.stem not in pages)
        if extra:
            block += "\n```{toctree}\n:caption: More\n:maxdepth: 1\n\n" + "\n".join(extra) + "\n```\n"
        text = text.replace("<!-- nbkit:benchmarks -->", block)
    text = _BENCH_LINK.sub(lambda m: m.group(0) if m.group(2) in pages else m.group(1), text)
    source[0] = text


def setup(app):
    app.connect("source-read", _source_read)
    app.add_directive("nbkit-template", TemplateDirective)
    app.add_directive("nbkit-cli", CliDirective)
    app.add_directive("nbkit-sections", SectionsDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
