"""``--explain-drift``: which upgrade changed a notebook's outputs.

For a notebook that does not reproduce in the current environment and whose pins have drifted,
verify runs it again in its pinned environment (built with uv, see :mod:`nbkit.environments`).
When that reproduces, the drift is the cause, and each drifted package is moved, alone, from its
pinned version to the installed one, in an environment of its own: a package whose move alone
makes the same cells differ changed them; one whose move breaks the notebook is said so; one
whose move changes nothing is cleared. At most ``request.explain_drift`` such environments are
built per notebook (the rest are reported as not tried).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable

from .results import NotebookResult, VerifyReport

if TYPE_CHECKING:
    from .request import VerifyRequest

#: ``nbkit.verify.request.run`` (handed in by it: this module does not import it back)
RunFn = Callable[..., VerifyReport]


def _bad_cells(res: NotebookResult) -> list[int]:
    return [c.index for c in res.cells if c.status in ("mismatch", "error")]


def _run_in(spec, res: NotebookResult, request: VerifyRequest, run: RunFn,
            cancel: threading.Event | None) -> NotebookResult:
    one = replace(request, paths=(res.path,), discover=False, env="pinned", env_spec=spec, explain_drift=0,
                  update=False, stamp=False, runs=1)
    return run(one, cancel=cancel).notebooks[0]


def explain_drift(res: NotebookResult, request: VerifyRequest, run: RunFn,
                  cancel: threading.Event | None = None) -> None:
    """Fill ``res.explanation`` (and append its headline to ``res.message``) for a notebook that
    does not reproduce here and has drifted pins; leave other results alone."""
    from ..environments import EnvSpec, PinnedEnvError, spec_for_notebook

    if res.status not in ("mismatch", "failed") or not res.drift or res.environment is not None:
        return
    try:
        pinned = spec_for_notebook(res.path)
    except PinnedEnvError:
        return
    bad_here = _bad_cells(res)
    base = _run_in(pinned, res, request, run, cancel)
    out: dict = {"pinned_environment": base.status, "packages": [], "runs": 1}
    res.explanation = out
    if base.status != "reproducible":
        out["summary"] = (f"it does not reproduce in its pinned environment either ({base.status}: {base.message}); "
                          "the drift alone does not explain it")
        res.message += f"; {out['summary']}"
        return
    drifted = [d for d in res.drift if d.installed is not None]
    for i, d in enumerate(drifted):
        assert d.installed is not None
        entry: dict[str, Any] = {"package": d.package, "pinned": d.pinned, "installed": d.installed}
        out["packages"].append(entry)
        if i >= request.explain_drift or (cancel and cancel.is_set()):
            entry["effect"] = "not tried"
            continue
        # the package moves alone; the other drifted packages may move only as far as it needs
        # (between their pinned and installed versions, the lowest that fits)
        others = {o.package: o for o in drifted if o.package != d.package}
        new = d.installed
        exact = tuple((n, new if n == d.package else v) for n, v in pinned.packages if n not in others)
        ranges = tuple((o.package, o.pinned, o.installed) for o in others.values() if o.installed is not None)
        variant = EnvSpec(pinned.python, exact, pinned.platform, pinned.source, ranges)
        try:
            alone = _run_in(variant, res, request, run, cancel)
        except PinnedEnvError as e:  # pragma: no cover - _run_in reports install failures as results
            entry["effect"] = f"could not be tried ({e.message})"
            continue
        out["runs"] += 1
        installed = (alone.environment or {}).get("installed", {})
        moved_too = [f"{o} {others[o].pinned} -> {installed[o]}" for o in others
                     if installed.get(o) not in (None, others[o].pinned)]
        if moved_too:
            entry["with"] = moved_too  # what the upgrade needed besides itself
        changed = _bad_cells(alone)
        if alone.status == "reproducible":
            entry["effect"] = "no change"
        elif alone.status == "mismatch" and set(changed) & set(bad_here):
            entry["effect"] = "changes the output"
            entry["cells"] = sorted(set(changed) & set(bad_here))
        elif alone.status == "failed" and alone.message.startswith("--env pinned:"):
            entry["effect"] = f"could not be tried ({alone.message.removeprefix('--env pinned: ')})"
        else:
            entry["effect"] = f"breaks the notebook ({alone.status}: {alone.message})"
    culprits = [e for e in out["packages"] if e.get("effect") == "changes the output"]
    cleared = [e for e in out["packages"] if e.get("effect") == "no change"]
    parts = [f"cell {', '.join(map(str, e['cells']))}: {e['package']} {e['pinned']} -> {e['installed']} changes "
             "this output" + (f" (with {', '.join(e['with'])}, which it needs)" if e.get("with") else "")
             for e in culprits]
    parts += [f"{e['package']} {e['pinned']} -> {e['installed']} alone does not" for e in cleared]
    out["summary"] = ("; ".join(parts) if parts else
                      "it reproduces in its pinned environment; no single upgrade alone changes the output")
    res.message += f"; {out['summary']}"
