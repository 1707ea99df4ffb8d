"""Write one benchmark's section into a Markdown page shared by several benchmarks: the text
between its BEGIN and END markers is replaced (the rest of the page kept), or appended when the
page has no such section yet."""

from __future__ import annotations

from pathlib import Path


def write_section(path: str, text: str, begin: str, end: str, empty_page: str = "") -> None:
    page = Path(path)
    old = page.read_text(encoding="utf-8") if page.exists() else empty_page
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        new = head + text + rest.split(end, 1)[1].lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    page.write_text(new, encoding="utf-8")
