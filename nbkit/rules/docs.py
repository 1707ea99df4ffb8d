"""NBD: documentation.  Is there enough prose, and does it say what a reader needs (where the
data comes from, who wrote it and when, what the figures show, what supports each finding)?"""

from __future__ import annotations

import ast
import os
import re

from ..analysis import Facts
from ..analysis.layout import bullets, words
from . import Hit, rule
from .layout import layout_for, number_option


@rule("NBD001", "too-little-prose", "warning", "markdown/code cell ratio below 0.3",
      options={"min-ratio": 0.3})
def too_little_prose(nb, ctx):
    """
    ## What it does
    Compares the number of non-empty markdown cells with the number of non-empty code cells
    and reports notebooks where the ratio is below `min-ratio`.

    ## Why is this bad?
    A notebook is read by people, not just run. Code without prose leaves the reader to guess
    what each step does, why, and what its output means.

    ## Example
    Twenty code cells with a title and nothing else.

    ## Use instead
    Before each step, a sentence or two on what it does and why; after a result, what it
    shows.

    ## Options
    - `min-ratio` (default 0.3): the lowest acceptable markdown/code cell ratio.
    """
    min_ratio = number_option(ctx, "min-ratio", 0.3, float)
    n_code = sum(1 for c in nb.cells if c.is_code and not c.is_empty)
    if not n_code:
        return
    n_md = sum(1 for c in nb.cells if c.is_markdown and not c.is_empty)
    ratio = n_md / n_code
    if ratio < min_ratio:
        need = max(1, int(-(-min_ratio * n_code // 1)) - n_md)
        yield Hit(f"{n_md} markdown cell{'s' if n_md != 1 else ''} for {n_code} code cells (ratio {ratio:.2f}, "
                  f"minimum {min_ratio:.2f}); add at least {need} explaining what the steps do and why")


@rule("NBD002", "section-without-prose", "warning", "an analysis section whose first cell is code")
def section_without_prose(nb, ctx):
    """
    ## What it does
    Reports analysis sections that go straight from the heading to code, with no sentence
    saying what the section looks at.

    ## Why is this bad?
    The heading names the topic; the reader still needs to know what is being computed and
    why before reading the code and its output.

    ## Example
    ```markdown
    ## Churn by plan
    ```
    followed directly by a code cell.

    ## Use instead
    ```markdown
    ## Churn by plan
    Does churn differ between monthly and annual plans? We compare 90-day churn rates.
    ```
    """
    lay = layout_for(nb, ctx)
    for s in lay.of_kind("analysis"):
        cell = nb.cells[s.cell_index]
        # prose after the heading, in the heading's own cell?
        stop_line = s.stop[1] if s.stop and s.stop[0] == s.cell_index else None
        if any(ln > s.line and (stop_line is None or ln < stop_line) and words(text)
               for ln, text in lay.content_lines(cell)):
            continue
        for c in nb.cells[s.cell_index + 1:s.end]:
            if c.is_empty:
                continue
            if c.is_markdown:
                if any(words(text) for _, text in lay.content_lines(c)):
                    break
                continue  # only a sub-heading: look further
            if c.is_code:
                yield Hit(f"section {s.text!r} starts with code (cell {c.index}); add a sentence on what it looks at "
                          f"and why", cell, s.line)
            break


# -- NBD003: where data is read ----------------------------------------------------------------

_READERS = frozenset({
    "read_csv", "read_table", "read_parquet", "read_excel", "read_json", "read_feather", "read_orc",
    "read_sas", "read_spss", "read_stata", "read_pickle", "read_hdf", "read_sql", "read_sql_query",
    "read_sql_table", "read_html", "read_xml", "read_fwf", "read_ndjson", "read_ipc",
    "read_avro", "read_delta", "read_database", "read_file", "scan_csv", "scan_parquet", "scan_ndjson",
    "loadtxt", "genfromtxt", "fromfile", "open_dataset", "open_mfdataset", "open_zarr", "load_dataset",
    "read_dataframe", "imread", "read_image",
})
_LOAD_NAMES = frozenset({"load"})  # np.load("x.npy"), torch.load("m.pt"), joblib.load(...): only with a path
_SKLEARN = re.compile(r"^(?:load|fetch)_(\w+)$")
_WRITE_MODE = re.compile(r"[wax+]")
_CONFIG_EXT = (".yaml", ".yml", ".toml", ".ini", ".cfg", ".env", ".md", ".py", ".ipynb")  # settings, not data
_MAYBE_READ = ("read", "scan_", "load", "open", "fromfile", "genfromtxt", "fetch_")  # cheap pre-filter


def _string_values(tree_by_cell) -> dict[str, str]:
    """Top-level ``NAME = "literal"`` assignments anywhere in the notebook (e.g. parameters)."""
    out: dict[str, str] = {}
    for tree in tree_by_cell:
        for stmt in tree.body:
            if (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)):
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        out.setdefault(t.id, stmt.value.value)
    return out


class _LazyStrings:
    """The notebook's ``NAME = "literal"`` table, built on the first lookup."""

    def __init__(self, trees):
        self._trees = trees
        self._table: dict[str, str] | None = None

    def get(self, name: str) -> str | None:
        if self._table is None:
            self._table = _string_values(self._trees)
        return self._table.get(name)


def _literal_path(node, strings) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return strings.get(node.id)
    if isinstance(node, ast.JoinedStr):  # f"{DATA_DIR}/sales.csv": the literal tail names the file
        tail = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        return tail.strip("/\\") or None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # Path(DATA) / "sales.csv"
        return _literal_path(node.right, strings)
    if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and node.args:
        fname = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
        if fname in ("Path", "PurePath", "join"):
            return _literal_path(node.args[-1], strings)
    return None


def _data_reads(facts: Facts):
    """(cell, line, source-or-None, call text) for every data read found in code cells."""
    trees = [(c, p.tree, p.python_source) for c, p in facts.code if p.tree is not None]
    strings = _LazyStrings(t for _, t, _ in trees)
    for cell, tree, src_text in trees:
        if not any(k in src_text for k in _MAYBE_READ):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            if name is None:
                continue
            arg = node.args[0] if node.args else None
            if arg is None:
                for kw in node.keywords:
                    if kw.arg in ("filepath_or_buffer", "path", "io", "fname", "path_or_buf", "source", "uri",
                                  "filename", "file", "name", "path_or_paths"):
                        arg = kw.value
                        break
            if name in _READERS:
                src = _literal_path(arg, strings) if arg is not None else None
                if name == "load_dataset" and src is None and arg is None:
                    continue
                if name in ("read_sql", "read_sql_query", "read_database") and src is not None:
                    m = _SQL_TABLE.search(src)  # the table a query reads, not the query text
                    src = m.group(1) if m else None
                yield cell, node.lineno, src, name
            elif (name in _SPARK_FORMATS and isinstance(f, ast.Attribute) and _reads_via_spark(f.value)
                  and arg is not None):
                yield cell, node.lineno, _literal_path(arg, strings), f"read.{name}"
            elif name in _LOAD_NAMES and isinstance(f, ast.Attribute):
                src = _literal_path(arg, strings) if arg is not None else None
                if src and ("." in os.path.basename(src) or "/" in src) and not src.lower().endswith(_CONFIG_EXT):
                    yield cell, node.lineno, src, name
            elif name == "open" and isinstance(f, ast.Name) and arg is not None:
                mode = node.args[1] if len(node.args) > 1 else next(
                    (k.value for k in node.keywords if k.arg == "mode"), None)
                if isinstance(mode, ast.Constant) and isinstance(mode.value, str) and _WRITE_MODE.search(mode.value):
                    continue
                src = _literal_path(arg, strings)
                if src and not src.lower().endswith(_CONFIG_EXT):
                    yield cell, node.lineno, src, name
            else:
                m = _SKLEARN.match(name)
                if m and _from_sklearn(f, facts.nb):
                    src = _literal_path(arg, strings) if arg is not None else m.group(1).replace("_", " ")
                    yield cell, node.lineno, src, name


_SQL_TABLE = re.compile(r"\b(?:from|join)\s+([\w.\"`\[\]]+)", re.IGNORECASE)
_SPARK_FORMATS = frozenset({"csv", "parquet", "json", "orc", "text", "table", "load", "jdbc", "avro", "delta"})


def _reads_via_spark(node) -> bool:
    """``spark.read``, ``spark.read.format("x").option(...)``: a DataFrameReader."""
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Attribute) and node.attr in ("read", "readStream"):
            return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


def _from_sklearn(func, nb) -> bool:
    """``datasets.load_iris()`` or ``load_iris()`` imported from sklearn.datasets."""
    if isinstance(func, ast.Attribute):
        return isinstance(func.value, ast.Name) and func.value.id == "datasets"
    return isinstance(func, ast.Name) and any("sklearn.datasets" in c.source for c in nb.cells if c.is_code)


def _mention_keys(src: str) -> list[str]:
    """Ways prose may name a source: file name, stem, host (for URLs), dataset name."""
    from urllib.parse import urlparse

    s = src.strip()
    keys: list[str] = []
    if "://" in s:
        u = urlparse(s)
        base = os.path.basename(u.path.rstrip("/"))
        if base:
            keys += [base, os.path.splitext(base)[0]]
        if u.hostname:
            host = u.hostname.removeprefix("www.")
            keys += [host, host.split(".")[0]]
    else:
        base = os.path.basename(s.replace("\\", "/").rstrip("/")) or s
        keys += [base]
        stem = base
        while "." in stem and len(stem.rsplit(".", 1)[1]) <= 8:
            stem = stem.rsplit(".", 1)[0]
        keys.append(stem)
        keys += [stem.replace("_", " "), stem.replace("-", " ")]
    return [k.lower() for k in keys if len(k) >= 3]


@rule("NBD003", "undocumented-data", "warning", "data is read but no data section mentions the source")
def undocumented_data(nb, ctx):
    """
    ## What it does
    Finds where data is read (`pd.read_csv(...)`, `read_parquet`, `np.load`, `open(...)`,
    `xr.open_dataset`, `load_dataset`, scikit-learn loaders, ...) and checks that a Data
    section exists and that its text names each source (by file name, stem, URL host or
    dataset name).

    ## Why is this bad?
    Results are only as good as their data. A reader (or you in six months) needs to know
    where the data came from, which version or date, and under what licence, to trust or
    reproduce the analysis.

    ## Example
    ```python
    df = pd.read_csv("data/sales_2026q3.csv")
    ```
    with no Data section, or one that does not mention the file.

    ## Use instead
    ```markdown
    ## Data
    `sales_2026q3.csv`: the finance team's Q3 export (2026-10-02), internal use only.
    ```
    """
    reads = list(_data_reads(ctx.facts))
    if not reads:
        return
    lay = layout_for(nb, ctx)
    data_secs = lay.of_kind("data")
    if not data_secs:
        cell, line, src, fn = reads[0]
        what = f"{fn}({src!r})" if src else fn + "(...)"
        yield Hit(f"data is read ({what}) but there is no Data section; add '## Data' saying where it comes "
                  f"from (source, version or date, licence)", cell, line)
        return
    text = " ".join(bl.text for s in data_secs for bl in lay.body(s)).lower()
    seen: set[str] = set()
    for cell, line, src, fn in reads:
        if src is None:
            continue
        key = src.lower()
        if key in seen:
            continue
        seen.add(key)
        if not any(k in text for k in _mention_keys(src)):
            name = os.path.basename(src.split("?")[0].rstrip("/\\"))
            where = f" (read from {src!r} with {fn})" if name and name != src else f" (read with {fn})"
            yield Hit(f"the Data section does not mention {name or src!r}{where}; say where it comes from, "
                      f"its version or date and licence", cell, line)
    if not text.strip() and all(src is None for _, _, src, _ in reads):
        cell, line, _, fn = reads[0]
        yield Hit(f"data is read ({fn}) but the Data section is empty; say where it comes from", cell, line)


# -- NBD004 ------------------------------------------------------------------------------------

_AUTHOR_DATE_LINE = re.compile(
    r"^[\s>*_#|-]*(?:authors?|written by|prepared by|owner|date|created|last updated|updated|last modified)"
    r"[\s*_]*[:：]", re.IGNORECASE | re.MULTILINE)
_BY_LINE = re.compile(r"^[\s>*_]*by\s+\S", re.IGNORECASE | re.MULTILINE)
_ISO_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d-[01]\d-[0-3]\d(?!\d)")
_FRONT_KEYS = re.compile(r"^\s*(?:authors?|date|created|updated)\s*:", re.IGNORECASE | re.MULTILINE)


@rule("NBD004", "no-author-or-date", "warning",
      "no `metadata.authors`, no front matter, no Author/Date line")
def no_author_or_date(nb, ctx):
    """
    ## What it does
    Looks for who wrote the notebook and when: `metadata.authors`, a leading raw YAML
    front-matter cell, an `Author:` / `Date:` line (or `by ...`, or an ISO date under the title)
    in the markdown before the analysis. Reports the notebook when there is none of them.

    ## Why is this bad?
    Readers need to know whom to ask and how current the analysis is; a dated notebook is
    read differently from a fresh one.

    ## Example
    `# Churn drivers` followed directly by the summary.

    ## Use instead
    ```markdown
    # Churn drivers
    Author: Ana Lima, Date: 2026-11-26
    ```
    """
    authors = nb.metadata.get("authors")
    if authors:
        return
    for c in nb.cells:
        if c.cell_type != "raw":
            break
        src = c.source.lstrip()
        if src.startswith(("---", "+++")) or _FRONT_KEYS.search(src):
            return
    lay = layout_for(nb, ctx)
    limit = lay.first_code if lay.first_code is not None else len(nb.cells)
    for c in nb.cells[: max(limit, lay.front_matter + 1)]:
        if not c.is_markdown:
            continue
        if _AUTHOR_DATE_LINE.search(c.source):
            return
        if c.index == lay.title and (_BY_LINE.search(c.source) or _ISO_DATE.search(c.source)):
            return
    yield Hit("no author or date: add 'Author: ... / Date: yyyy-mm-dd' under the title (or metadata.authors) "
              "so readers know whom to ask and how current it is",
              nb.cells[lay.title] if lay.title is not None else None)


# -- NBD005 ------------------------------------------------------------------------------------

_MPL_PLOTS = frozenset({
    "plot", "scatter", "bar", "barh", "hist", "hist2d", "boxplot", "violinplot", "pie", "imshow", "matshow",
    "contour", "contourf", "hexbin", "stackplot", "step", "stem", "errorbar", "fill_between", "pcolormesh",
    "semilogx", "semilogy", "loglog", "area", "kde", "density", "line", "heatmap",
})
_MPL_RECEIVER = re.compile(r"^(?:plt|pylab|ax\w*|axes|axs|axis|fig\w*)$")
_PX_PLOTS = frozenset({
    "line", "scatter", "bar", "histogram", "box", "violin", "pie", "area", "scatter_matrix", "density_heatmap",
    "density_contour", "imshow", "choropleth", "scatter_geo", "line_geo", "sunburst", "treemap", "funnel",
    "timeline", "strip", "ecdf", "scatter_3d", "line_3d", "parallel_coordinates", "icicle",
})
_SNS_EXTRA = frozenset({"heatmap", "clustermap"})
# a cell can only draw when its source mentions one of these (checked before walking the AST)
_PLOT_HINTS = ("plot", "hist", "scatter", "sns.", "px.", "plt.", "Chart", "imshow", "heatmap", ".bar", ".pie(",
               "contour", "hexbin", "errorbar", "fill_between", "pcolormesh", ".kde(", ".density(", ".area(",
               "loglog", "semilog", ".step(", ".stem(", "matshow", "px.")
_LABEL_CALLS = frozenset({
    "title", "set_title", "suptitle", "xlabel", "ylabel", "set_xlabel", "set_ylabel", "set_axis_labels",
    "set_titles", "set_xlabels", "set_ylabels", "zlabel", "set_zlabel", "supxlabel", "supylabel",
})
_LABEL_KWS = frozenset({"title", "xlabel", "ylabel", "labels", "xaxis_title", "yaxis_title", "x_label", "y_label",
                        "title_text"})


def _receiver_name(node) -> str | None:
    while isinstance(node, (ast.Subscript, ast.Attribute, ast.Call)):
        if isinstance(node, ast.Attribute) and node.attr == "plot":
            return "<.plot>"
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None


def _is_plot_call(call: ast.Call) -> bool:
    f = call.func
    if not isinstance(f, ast.Attribute):
        return False
    name = f.attr
    recv = f.value
    if name == "plot" and not (isinstance(recv, ast.Name) and recv.id in ("self",)):
        return True  # df.plot(...), plt.plot(...), ax.plot(...)
    if isinstance(recv, ast.Attribute) and recv.attr == "plot":
        return True  # df.plot.bar(...)
    if name in ("hist", "boxplot") :
        return True  # plt.hist, df.hist(), df.boxplot()
    base = _receiver_name(recv)
    if base is None:
        return False
    if base in ("sns", "seaborn"):
        return name.endswith("plot") or name in _SNS_EXTRA
    if base == "px":
        return name in _PX_PLOTS
    if base == "alt" and name == "Chart":
        return True
    if _MPL_RECEIVER.match(base):
        return name in _MPL_PLOTS
    return False


@rule("NBD005", "unlabelled-figure", "info", "a plotting cell with no title or axis labels")
def unlabelled_figure(nb, ctx):
    """
    ## What it does
    Finds cells that draw a chart (matplotlib, the pandas `.plot` accessor, seaborn, plotly
    express, altair) and reports those that set neither a title nor axis labels (no
    `set_title`/`title`/`xlabel`/`set(xlabel=...)`, no `title=`/`labels=` argument).

    ## Why is this bad?
    A chart without a title or labels cannot be read on its own: which variable is on which
    axis, in what unit? Figures get copied into slides and reports without the code around them.

    ## Example
    ```python
    df.groupby("plan").churn.mean().plot.bar()
    ```

    ## Use instead
    ```python
    ax = df.groupby("plan").churn.mean().plot.bar(title="90-day churn by plan")
    ax.set_ylabel("churn rate")
    ```
    """
    for cell in nb.cells:
        tree = ctx.facts.tree(cell)
        if tree is None:
            continue
        src = ctx.facts.python_source(cell)
        if not any(k in src for k in _PLOT_HINTS):
            continue
        first_plot = None
        labelled = False
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            fname = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            if fname in _LABEL_CALLS or any(k.arg in _LABEL_KWS for k in node.keywords):
                labelled = True
                break
            if fname == "set" and any(k.arg in ("title", "xlabel", "ylabel") for k in node.keywords):
                labelled = True
                break
            if _is_plot_call(node) and (first_plot is None or node.lineno < first_plot.lineno):
                first_plot = node
        if first_plot is not None and not labelled:
            yield Hit("chart without a title or axis labels; add a title (e.g. ax.set_title(...)) and axis labels "
                      "so the figure can be read on its own", cell, first_plot.lineno)


# -- NBD006 ------------------------------------------------------------------------------------

_EVIDENCE = re.compile(
    r"\d|\b(?:fig(?:ure)?s?|charts?|plots?|graphs?|tables?|tab\.|histograms?|heatmaps?|maps?|diagrams?|"
    r"twice|half|double[ds]?|triple[ds]?|percent|see (?:above|below|cell|section))\b|\]\(#|!\[",
    re.IGNORECASE)
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_QUESTION_REF = re.compile(r"\b(?:Q|question\s*)\d+\b|\(\d\)", re.IGNORECASE)  # "Q1:" is not evidence


@rule("NBD006", "unsupported-finding", "info",
      "a findings item with no number and no reference to a figure/table")
def unsupported_finding(nb, ctx):
    """
    ## What it does
    Reads each item of the findings section (list items, or paragraphs when there is no list)
    and reports items that contain no number and refer to no figure, table, chart or section.

    ## Why is this bad?
    A finding without evidence is an opinion. Pointing at the number or the chart lets the
    reader check it, and makes the finding easy to quote correctly.

    ## Example
    `- Customers on monthly plans churn more.`

    ## Use instead
    `- Customers on monthly plans churn 2.3x more than annual ones (Figure 2).`
    """
    lay = layout_for(nb, ctx)
    for s in lay.of_kind("findings"):
        body = lay.body(s)
        items = bullets(body)
        if items:
            # an item runs until the next item: include its continuation lines
            groups = []
            item_keys = {(b.cell_index, b.line) for b in items}
            for bl in body:
                if (bl.cell_index, bl.line) in item_keys:
                    groups.append([bl])
                elif groups and not (_LIST_MARK.match(bl.text) and groups[-1][0].cell_index != bl.cell_index):
                    groups[-1].append(bl)
        else:
            groups = []
            prev = None
            for bl in body:
                if prev is None or bl.cell_index != prev.cell_index or bl.line != prev.line + 1:
                    groups.append([])
                groups[-1].append(bl)
                prev = bl
        for g in groups:
            first_text = _LIST_MARK.sub("", g[0].text, count=1)
            text = " ".join([first_text] + [b.text for b in g[1:]])
            if not words(text) or _EVIDENCE.search(_QUESTION_REF.sub(" ", text)):
                continue
            yield Hit(f"finding {_short(first_text)} has no number and no reference to a figure or table; add "
                      f"the evidence (e.g. '12% higher, see Figure 2')", nb.cells[g[0].cell_index], g[0].line)


def _short(text: str, limit: int = 50) -> str:
    text = " ".join(text.replace("**", "").split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


# -- NBD007 / NBD008 ---------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\b(?:TODO|FIXME|TBD)\b|\b(?i:todo|fixme|tbd)\s*:")


@rule("NBD007", "long-summary", "warning", "summary over 200 words or 7 bullets, or containing TODO/TBD",
      options={"max-words": 200, "max-bullets": 7})
def long_summary(nb, ctx):
    """
    ## What it does
    Checks that the executive summary stays short (at most `max-words` words and
    `max-bullets` top-level bullets) and is finished (no TODO, TBD, FIXME).

    ## Why is this bad?
    The summary is for readers who read nothing else. A long one is skipped; an unfinished
    one tells them the results are not ready.

    ## Example
    A 450-word summary that retells the analysis step by step.

    ## Use instead
    Three to five bullets: the answer to each question, the key number, the recommendation.

    ## Options
    - `max-words` (default 200): the most words the summary may have.
    - `max-bullets` (default 7): the most top-level bullets the summary may have.
    """
    lay = layout_for(nb, ctx)
    found = lay.of_kind("summary")
    if not found:
        return
    s = found[0]
    body = lay.body(s, stop_at_code=True)
    head = nb.cells[s.cell_index]
    max_words = number_option(ctx, "max-words", 200)
    max_bullets = number_option(ctx, "max-bullets", 7)
    n_words = sum(len(words(bl.text)) for bl in body)
    if n_words > max_words:
        yield Hit(f"summary has {n_words} words (limit {max_words}); keep only the answers and the key numbers, "
                  f"move the rest to the findings", head, s.line)
    n_bullets = len(bullets(body))
    if n_bullets > max_bullets:
        yield Hit(f"summary has {n_bullets} bullets (limit {max_bullets}); keep the few that matter most",
                  head, s.line)
    for bl in body:
        m = _PLACEHOLDER.search(bl.text)
        if m:
            yield Hit(f"summary still contains {m.group(0).rstrip(': ')!r}; finish it before sharing the notebook",
                      nb.cells[bl.cell_index], bl.line)
            break


@rule("NBD008", "placeholder-text", "warning", "TODO/FIXME/TBD in markdown (report profile)")
def placeholder_text(nb, ctx):
    """
    ## What it does
    Reports TODO, FIXME and TBD left in markdown cells. Off in the `exploratory`
    profile, where unfinished notes are expected.

    ## Why is this bad?
    A report with TODOs in it is not finished; readers cannot tell which parts to trust.

    ## Example
    `TODO: check the March numbers`

    ## Use instead
    Do it, or turn it into a tracked issue and remove the note.
    """
    for cell in nb.cells:
        if not cell.is_markdown or not _PLACEHOLDER.search(cell.source):
            continue
        for i, line in enumerate(cell.lines, start=1):
            m = _PLACEHOLDER.search(line)
            if m:
                yield Hit(f"placeholder {m.group(0).rstrip(': ')!r} in markdown: {_short(line[m.start():], 60)}; "
                          f"finish or remove it", cell, i)
