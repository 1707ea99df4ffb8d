"""Renderings of a notebook's environment (``%nbkit env``) and status (``%nbkit status``).

Each renderer returns ``(text, html)``: the plain-text report and an HTML fragment
(:mod:`nbkit.report.html`), built from the same rows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .common import NOT_INSTALLED
from .html import BAD, OK, WARN, box, paragraph, table, text_table


def env_report(env: dict, pinned: dict | None, where: str, notes: Sequence[str] = ()) -> tuple[str, str]:
    """(text, html) of the environment ``env``, with drift against ``pinned`` marked."""
    from ..imports import installed_version, normalise_dist

    pinned_pkgs = (pinned or {}).get("packages") if isinstance(pinned, dict) else None
    pinned_pkgs = pinned_pkgs if isinstance(pinned_pkgs, dict) else {}
    now = {normalise_dist(k): (k, v) for k, v in env.get("packages", {}).items()}
    rows: list[list] = []
    styles: list[str | None] = []
    py_pinned = (pinned or {}).get("python") if pinned else None
    py_row = ["Python", f"{env['python']} ({env['implementation']}, {env['platform']})", py_pinned or "-",
              "ok" if not py_pinned or py_pinned == env["python"] else "DRIFT"]
    rows.append(py_row)
    styles.append(BAD if py_row[3] == "DRIFT" else None)
    names = sorted(set(now) | {normalise_dist(k) for k in pinned_pkgs}, key=str.lower)
    pinned_norm = {normalise_dist(k): v for k, v in pinned_pkgs.items()}
    drift = 0
    for key in names:
        name, installed = now.get(key, (None, None))
        pin_v = pinned_norm.get(key)
        if name is None:
            name = next(k for k in pinned_pkgs if normalise_dist(k) == key)
            installed = installed_version(name)
        if pin_v is None:
            status, st = ("not pinned", WARN) if pinned else ("", None)
        elif installed is None:
            status, st = f"DRIFT ({NOT_INSTALLED})", BAD
        elif installed != pin_v:
            status, st = "DRIFT", BAD
        else:
            status, st = "ok", OK
        drift += status.startswith("DRIFT")
        rows.append([name, installed or "-", pin_v or "-", status])
        styles.append(st)
    headers = ["package", "installed", "pinned", "status"]
    if pinned:
        when = pinned.get("captured_at", "?")
        summary = (f"{drift} package{'s' if drift != 1 else ''} drifted from the pin of {when}"
                   if drift else f"matches the pin of {when}")
    else:
        summary = "not pinned yet (%nbkit pin records it)"
    title = f"nbkit env: {where}: {summary}"
    text = title + "\n" + text_table(headers, rows) + "".join(f"\nnote: {n}" for n in notes)
    inner = table(headers, rows, styles) + "".join(paragraph(f"note: {n}") for n in notes)
    return text, box(title, inner)


def status_report(path: str, kernel_seed: int | None = None) -> tuple[str, str]:
    """(text, html) of the notebook at ``path``: layout checklist, seed, pin (with drift), last
    verify.  ``kernel_seed``: the seed a ``%nbkit seed`` set in the calling kernel."""
    from ..config import load_cached
    from ..layout import layout_of
    from ..model import load
    from ..pin import environment_drift
    from ..pin.pinning import nbkit_problems, pinned_environment, pinned_seed

    nb = load(path)
    cfg = load_cached(path)
    checklist = layout_of(nb, cfg.layout_aliases or None).checklist()
    rows: list[list] = []
    styles: list[str | None] = []
    for item in checklist:
        if item["present"]:
            rows.append(["layout", item["label"], f"present (cell {item['cell_index']})"])
            styles.append(OK)
        else:
            rows.append(["layout", item["label"], "MISSING" if item["required"] else "missing (optional)"])
            styles.append(BAD if item["required"] else None)
    for p in nbkit_problems(nb):
        rows.append(["metadata", "metadata.nbkit", p])
        styles.append(BAD)
    seed = pinned_seed(nb)
    seed_txt = f"{seed} (pinned)" if seed is not None else "not pinned"
    if kernel_seed is not None:
        seed_txt += f"; {kernel_seed} set in this kernel by %nbkit seed"
    rows.append(["reproducibility", "seed", seed_txt])
    styles.append(OK if seed is not None else WARN)
    env = pinned_environment(nb)
    if env is None:
        rows.append(["reproducibility", "environment", "not pinned (%nbkit pin)"])
        styles.append(WARN)
    else:
        drift = environment_drift(env)
        n = len(env.get("packages", {}))
        txt = f"pinned {env.get('captured_at', '?')}: Python {env.get('python')}, {n} package{'s' if n != 1 else ''}"
        if drift:
            txt += "; DRIFT: " + ", ".join(f"{d.package} {d.pinned} -> {d.installed or NOT_INSTALLED}" for d in drift)
        rows.append(["reproducibility", "environment", txt])
        styles.append(BAD if drift else OK)
    verified = nb.nbkit_metadata.get("verified")
    if isinstance(verified, dict) and verified.get("status"):
        rows.append(["reproducibility", "last verify", f"{verified.get('status')} at {verified.get('at', '?')}"])
        styles.append(OK if verified.get("status") == "reproducible" else BAD)
    else:
        rows.append(["reproducibility", "last verify", "never recorded (nbkit verify --stamp)"])
        styles.append(WARN)
    headers = ["area", "item", "state"]
    title = f"nbkit status: {os.path.basename(path)}"
    return title + "\n" + text_table(headers, rows), box(title, table(headers, rows, styles))


__all__ = ["env_report", "status_report"]
