"""NBD005 unlabelled-figure: a plotting cell with no title or axis labels."""

from __future__ import annotations

import ast
import re

from ...analysis.walk import calls_breadth_first
from .. import Hit, rule


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


def _may_plot(src: str) -> bool:
    """A cell can only draw when its source mentions one of these (checked before walking the AST;
    ``in`` tests joined by ``or``: cheaper than any() over a tuple of them)."""
    return ("plot" in src or "hist" in src or "scatter" in src or "sns." in src or "px." in src or "plt." in src
            or "Chart" in src or "imshow" in src or "heatmap" in src or ".bar" in src or ".pie(" in src
            or "contour" in src or "hexbin" in src or "errorbar" in src or "fill_between" in src
            or "pcolormesh" in src or ".kde(" in src or ".density(" in src or ".area(" in src or "loglog" in src
            or "semilog" in src or ".step(" in src or ".stem(" in src or "matshow" in src)

# every method name _is_plot_call may accept (besides a name ending in "plot" and a `.plot.x()`)
_PLOT_METHODS = _MPL_PLOTS | _PX_PLOTS | _SNS_EXTRA | {"plot", "hist", "boxplot", "Chart"}

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


def _objects(facts) -> dict:
    """Per cell index: (names assigned, names whose figure/axes gets a title or label there)."""
    return facts.memo("nbd005_objects", _find_objects)


def _find_objects(facts) -> dict:
    out = {}
    for cell, parsed in facts.code:
        if parsed.tree is None:
            continue
        assigned, labelled = set(), set()
        for node in ast.walk(parsed.tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                    for sub in ast.walk(t):
                        if isinstance(sub, ast.Name):
                            assigned.add(sub.id)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                f = node.func
                if f.attr in _LABEL_CALLS or (f.attr == "set" and any(
                        k.arg in ("title", "xlabel", "ylabel") for k in node.keywords)):
                    name = _receiver_name(f.value)
                    if name and name != "<.plot>":
                        labelled.add(name)
        out[cell.index] = (assigned, labelled)
    return out


def _labelled_elsewhere(facts, cell, plot: ast.Call) -> bool:
    """The axes/figure object the cell draws on (`ax.plot(...)`) is titled or labelled in another
    cell, with no new object bound to its name in between (`fig, ax = plt.subplots()` in one cell,
    `ax.set_title(...)` in the next)."""
    name = _receiver_name(plot.func.value) if isinstance(plot.func, ast.Attribute) else None
    if not name or name in ("plt", "pylab", "sns", "seaborn", "px", "alt", "<.plot>"):
        return False
    objs = _objects(facts)

    def bound_at(idx: int):
        return max((i for i, (assigned, _) in objs.items() if i <= idx and name in assigned), default=None)

    mine = bound_at(cell.index)
    return any(name in labelled and i != cell.index and bound_at(i) == mine and mine is not None
               for i, (_, labelled) in objs.items())


@rule("NBD005", "unlabelled-figure", "info", "a plotting cell with no title or axis labels")
def unlabelled_figure(nb, ctx):
    """
    ## What it does
    Finds cells that draw a chart (matplotlib, the pandas `.plot` accessor, seaborn, plotly
    express, altair) and reports those that set neither a title nor axis labels (no
    `set_title`/`title`/`xlabel`/`set(xlabel=...)`, no `title=`/`labels=` argument). An axes
    or figure object drawn on in one cell and labelled in another (`fig, ax = plt.subplots()`
    ... `ax.set_title(...)` later, with no new object bound to `ax` in between) is labelled.

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
    for cell, parsed in ctx.facts.code:
        tree = parsed.tree
        if tree is None or not _may_plot(parsed.python_source):
            continue
        first_plot = None
        labelled = False
        for node in calls_breadth_first(tree):
            f = node.func
            fname = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            # (`.set(title=...)` is among these: title, xlabel and ylabel are label keywords)
            if fname in _LABEL_CALLS or (node.keywords and any(k.arg in _LABEL_KWS for k in node.keywords)):
                labelled = True
                break
            # only a method call with one of these names can be a plot call (see _is_plot_call)
            if isinstance(f, ast.Attribute) and (f.attr in _PLOT_METHODS or f.attr.endswith("plot") or (
                    isinstance(f.value, ast.Attribute) and f.value.attr == "plot")) \
                    and _is_plot_call(node) and (first_plot is None or node.lineno < first_plot.lineno):
                first_plot = node
        if first_plot is not None and not labelled and _labelled_elsewhere(ctx.facts, cell, first_plot):
            continue
        if first_plot is not None and not labelled:
            yield Hit("chart without a title or axis labels; add a title (e.g. ax.set_title(...)) and axis labels "
                      "so the figure can be read on its own", cell, first_plot.lineno)
