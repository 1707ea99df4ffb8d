"""The ``%nbkit`` line magic: ``%load_ext nbkit`` (or ``nbkit`` in IPython's extensions list).

A thin face over the core (:mod:`nbkit.pin`, :mod:`nbkit.lint`, :mod:`nbkit.verify`).  It
finds the current notebook file from the session (``JPY_SESSION_NAME`` / ``__session__``,
set by jupyter_server and ipykernel; VS Code's ``__vsc_ipynb_file__``), or from an explicit
PATH argument.  Reports are displayed with both ``text/html`` (Jupyter) and ``text/plain``
(a terminal) representations.  Errors are one line, never a traceback (``NBKIT_DEBUG=1``
shows it).
"""

from __future__ import annotations

import os
import shlex
import sys

from IPython.core.magic import Magics, line_magic, magics_class

from .verify.events import VerifyEvents

USAGE = ("usage: %nbkit {seed [N] | env [PATH] | pin [PATH] | lint [PATH] | verify [PATH] | status [PATH] | "
         "guard on|off|status|--rules CODES | help}")

SUBCOMMANDS = [
    ("seed [N]", "seed random, numpy (legacy global state) and torch / tensorflow when installed; returns "
                 "numpy.random.default_rng(N). N defaults to the notebook's pinned seed, else 42."),
    ("env [PATH]", "the environment (Python, platform, imported packages) as a table, drift against the pin "
                   "highlighted."),
    ("pin [PATH]", "record this kernel's environment (and the %nbkit seed) in the notebook's metadata.nbkit."),
    ("lint [PATH]", "lint the saved notebook file and show the findings."),
    ("verify [PATH]", "re-run the saved notebook in a separate fresh kernel and show whether it reproduces."),
    ("status [PATH]", "layout checklist, seed, pin and last verify result at a glance."),
    ("guard on|off|status", "live checks as cells run (unseeded randomness, out-of-order runs, hidden state, "
                            "absolute paths, installs, drift); --rules NBR004,... selects them."),
    ("help", "this list."),
]

DEFAULT_SEED = 42


class _State:
    """What this kernel remembers between magic calls."""

    seed: int | None = None  # set by %nbkit seed; %nbkit pin records it


state = _State()


class _Usage(Exception):
    pass


def _debug() -> bool:
    return os.environ.get("NBKIT_DEBUG", "") not in ("", "0")


def _err(message: str) -> None:
    print(f"nbkit: error: {message}", file=sys.stderr)


def _show(text: str, html_text: str | None = None) -> None:
    """Display a report: HTML in Jupyter, text in a terminal."""
    from IPython.display import display

    bundle = {"text/plain": text}
    if html_text is not None:
        bundle["text/html"] = html_text
    display(bundle, raw=True)


def _help_text() -> str:
    width = max(len(n) for n, _ in SUBCOMMANDS)
    lines = ["%nbkit: notebook quality and reproducibility (nbkit)", ""]
    lines += [f"  %nbkit {name:<{width}}  {doc}" for name, doc in SUBCOMMANDS]
    lines += ["", "PATH defaults to the current notebook (known when the kernel was started by Jupyter)."]
    return "\n".join(lines)


# --- the current notebook ------------------------------------------------------------------------

def _session_candidates(shell) -> list[tuple[str, str]]:
    out = []
    env = os.environ.get("JPY_SESSION_NAME")
    if env:
        out.append(("JPY_SESSION_NAME", env))
    ns = getattr(shell, "user_ns", None) or {}
    for var in ("__session__", "__vsc_ipynb_file__"):
        v = ns.get(var)
        if isinstance(v, str) and v:
            out.append((var, v))
    return out


def notebook_path(shell=None) -> str | None:
    """The current notebook file, when the kernel knows it; else None."""
    return _locate(shell)[0]


def _locate(shell) -> tuple[str | None, str]:
    """(path, why-not) for the current notebook."""
    tried = []
    for source, value in _session_candidates(shell):
        for p in (value, os.path.join(os.getcwd(), value), os.path.join(os.getcwd(), os.path.basename(value))):
            if p.endswith(".ipynb") and os.path.isfile(p):
                return os.path.abspath(p), ""
        tried.append(f"{source}={value}")
    if tried:
        return None, (f"the notebook file named by the session ({tried[0]}) does not exist (renamed or moved "
                      "since the kernel started?)")
    return None, ("this kernel does not know its notebook file (not started by Jupyter: no JPY_SESSION_NAME "
                  "or __session__)")


def _resolve(shell, args: list[str], what: str) -> str:
    if len(args) > 1:
        raise _Usage(f"%nbkit {what} takes at most one PATH")
    if args:
        p = os.path.expanduser(args[0])
        if not os.path.exists(p):
            from .errors import NotebookError

            raise NotebookError("no such file or directory", p)
        return p
    path, why = _locate(shell)
    if path is None:
        raise _NoNotebook(why, what)
    return path


class MachineryUnavailable(Exception):
    pass


class _Progress(VerifyEvents):
    """Prints ``cell i/n`` on one line while verify runs (a terminal or the notebook's stream)."""

    def __init__(self):
        self.total = 0
        self.done_cells = 0
        self.shown = False

    def on_notebook_start(self, path: str, cells: int) -> None:
        self.total = cells

    def on_cell(self, path: str, index: int, state: str, run: int) -> None:
        if state == "done":
            self.done_cells += 1
            if self.total:
                print(f"\r  cell {self.done_cells}/{self.total}", end="", flush=True)
                self.shown = True

    def done(self) -> None:
        if self.shown:
            print()


class _NoNotebook(Exception):
    def __init__(self, why: str, what: str):
        self.why = why
        self.what = what
        super().__init__(why)

    def advice(self) -> str:
        cli = {"pin": f"nbkit pin --python {sys.executable} NOTEBOOK.ipynb", "lint": "nbkit lint NOTEBOOK.ipynb",
               "verify": "nbkit verify NOTEBOOK.ipynb", "status": "nbkit lint NOTEBOOK.ipynb",
               "env": "nbkit pin --check NOTEBOOK.ipynb"}.get(self.what, "nbkit --help")
        return (f"nbkit: {self.why}.\n"
                f"  Give the file: %nbkit {self.what} path/to/notebook.ipynb\n"
                f"  or from a terminal: {cli}")


def _history(shell, path: str | None = None) -> list[str]:
    """The cells this kernel has run, unless the session belongs to another notebook than
    ``path``: their imports count as the notebook's, even before the file is saved."""
    if path is not None:
        own = notebook_path(shell)
        if own is not None and os.path.realpath(own) != os.path.realpath(path):
            return []
    cells = getattr(shell, "user_ns", {}).get("In") if shell is not None else None
    return [c for c in cells if isinstance(c, str)] if isinstance(cells, list) else []


# --- seed ----------------------------------------------------------------------------------------

def seed_everything(n: int) -> tuple[list[str], list[str], object]:
    """Seed what is installed; (seeded, hints, numpy Generator or None).  Nothing that is not
    installed is imported (``importlib.util.find_spec``)."""
    import importlib.util
    import random

    def installed(name: str) -> bool:
        if name in sys.modules:
            return True
        try:
            return importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            return False

    random.seed(n)
    seeded = ["random"]
    hints: list[str] = []
    rng = None
    if installed("numpy"):
        import numpy

        numpy.random.seed(n)
        rng = numpy.random.default_rng(n)
        seeded.append("numpy (legacy global state)")
    if installed("torch"):
        import torch

        torch.manual_seed(n)  # every device, CUDA included
        seeded.append("torch")
    if installed("tensorflow"):
        import tensorflow

        tensorflow.random.set_seed(n)
        seeded.append("tensorflow")
    if installed("jax"):
        hints.append(f"jax has no global state: use key = jax.random.key({n})")
    return seeded, hints, rng


def default_seed(shell=None) -> int:
    """The seed ``%nbkit seed`` uses without N: ``NBKIT_SEED`` (set by a runner that knows the
    pinned seed), else the current notebook's pinned seed, else 42."""
    env = os.environ.get("NBKIT_SEED", "").strip()
    if env.isdigit() and int(env) < 2**32:
        return int(env)
    path = notebook_path(shell)
    if path:
        from .model import load
        from .pin.pinning import pinned_seed

        try:
            pinned = pinned_seed(load(path))
        except Exception:  # noqa: BLE001 - an unreadable file just means no pinned seed
            pinned = None
        if pinned is not None:
            return pinned
    return DEFAULT_SEED


# --- rendering -----------------------------------------------------------------------------------
# the shared renderers (nbkit.report); the names below are what the %nbkit verify renderer uses

from .report.html import CSS as _CSS  # noqa: E402
from .report.status_reports import env_report, status_report  # noqa: E402,F401


def lint_report(result, path: str) -> tuple[str, str]:
    """(text, html) of a lint of the saved notebook at ``path``."""
    from .report.lint_reports import lint_title, render_html_fragment, render_text

    return render_text(result, color=False), render_html_fragment(result, lint_title(result, os.path.basename(path)))


def verify_report(result, path: str) -> tuple[str, str]:
    """(text, html) of one notebook's :class:`nbkit.verify.NotebookResult`: the text report and
    the report's HTML section for it (scoped styles, so the notebook's own look is untouched)."""
    from .report.verify_reports import notebook_html, render_text, scoped_css
    from .verify import VerifyReport

    title = f"nbkit verify: {os.path.basename(path)}: {result.status}"
    text = render_text(VerifyReport([result]), color=False)
    html_text = (f"<div class='nbkit-report nbkit-verify' style='{_CSS}'><style>{scoped_css('.nbkit-verify')}</style>"
                 f"{notebook_html(result, heading=title)}</div>")
    return text, html_text


# --- the magic -----------------------------------------------------------------------------------

@magics_class
class NbkitMagics(Magics):

    @line_magic
    def nbkit(self, line: str = ""):
        """nbkit: notebook quality and reproducibility.

        %nbkit seed [N]      seed random, numpy (legacy global state) and torch / tensorflow
                             when installed; returns numpy.random.default_rng(N).  Without N:
                             the notebook's pinned seed, else 42.  Use: rng = %nbkit seed 7
        %nbkit env [PATH]    the environment as a table, drift against the pin highlighted
        %nbkit pin [PATH]    record this kernel's environment (and seed) in the notebook
        %nbkit lint [PATH]   lint the saved notebook and show the findings
        %nbkit verify [--env pinned] [PATH]  re-run the saved notebook in a fresh kernel (in the pinned
                             environment with --env pinned); does it reproduce?
        %nbkit status [PATH] layout checklist, seed, pin, last verify
        %nbkit guard on|off|status  live checks as each cell runs; --rules NBR004,NBR011 selects
                             them, --auto-seed seeds at the first unseeded use of randomness
        %nbkit help          list the subcommands

        PATH defaults to the current notebook (known when Jupyter started the kernel).
        """
        try:
            args = shlex.split(line)
        except ValueError as e:
            _err(f"cannot parse the arguments ({e})")
            print(USAGE, file=sys.stderr)
            return None
        if not args or args[0] in ("help", "-h", "--help", "?"):
            print(_help_text())
            return None
        cmd, rest = args[0], args[1:]
        handler = getattr(self, f"_cmd_{cmd}", None)
        if handler is None:
            _err(f"unknown subcommand {cmd!r}")
            print(USAGE, file=sys.stderr)
            return None
        from .errors import NbkitError

        try:
            return handler(rest)
        except _Usage as e:
            _err(str(e))
            print(USAGE, file=sys.stderr)
        except _NoNotebook as e:
            print(e.advice(), file=sys.stderr)
        except NbkitError as e:
            if _debug():
                raise
            _err(str(e))
        except MachineryUnavailable as e:
            _err(str(e))
        except KeyboardInterrupt:
            print("nbkit: interrupted", file=sys.stderr)
        except Exception as e:  # noqa: BLE001 - the last line of defence: one line, no traceback
            if _debug():
                raise
            _err(f"internal error: {type(e).__name__}: {e} (set NBKIT_DEBUG=1 for the traceback)")
        return None

    # seed ----------------------------------------------------------------------------------------
    def _cmd_seed(self, args: list[str]):
        from .requests import validate_seed

        if len(args) > 1:
            raise _Usage("%nbkit seed takes at most one number")
        if args:
            try:
                n = int(args[0])
            except ValueError:
                raise _Usage(f"seed must be an integer, got {args[0]!r}") from None
            validate_seed(n)
        else:
            n = default_seed(self.shell)
        seeded, hints, rng = seed_everything(n)
        state.seed = n
        # the same words wherever it runs (here, or in verify's fresh kernel), so outputs compare
        msg = f"nbkit: seeded {', '.join(seeded)} with {n}"
        if rng is not None:
            msg += f"; returned numpy.random.default_rng({n})"
        print(msg)
        for h in hints:
            print(f"  note: {h}")
        return rng

    # env -----------------------------------------------------------------------------------------
    def _cmd_env(self, args: list[str]):
        from .model import load, notebook_from_dict
        from .pin import capture_environment
        from .pin.pinning import pinned_environment

        if len(args) > 1:
            raise _Usage("%nbkit env takes at most one PATH")
        path = args[0] if args else notebook_path(self.shell)
        if path:
            nb = load(path)
            where = os.path.basename(path)
        else:
            nb = notebook_from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []},
                                    os.path.join(os.getcwd(), "<session>"))
            where = "this session (no notebook file known: packages imported by the cells run so far)"
        notes: list[str] = []
        env = capture_environment(nb, None, notes, extra_sources=_history(self.shell, path))
        _show(*env_report(env, pinned_environment(nb), where, notes))

    # pin -----------------------------------------------------------------------------------------
    def _cmd_pin(self, args: list[str]):
        from .errors import NotebookError
        from .requests import PinRequest, run_pin

        path = _resolve(self.shell, args, "pin")
        if os.path.isdir(path):
            raise NotebookError("is a directory, not a notebook", path)
        own = notebook_path(self.shell)
        ours = own is None or os.path.realpath(own) == os.path.realpath(path)
        request = PinRequest.from_raw([path], seed=state.seed if ours else None,
                                      extra_sources=_history(self.shell, path))
        (report,) = run_pin(request)
        if report.error is not None:
            raise report.error
        outcome = report.outcome
        env = outcome.nbkit["environment"]
        pkgs = ", ".join(f"{k} {v}" for k, v in env["packages"].items()) or "no third-party packages"
        seed = f"; seed {outcome.nbkit['seed']}" if "seed" in outcome.nbkit else ""
        name = os.path.basename(path)
        if outcome.written:
            print(f"nbkit: pinned {name}: Python {env['python']} ({env['implementation']}, {env['platform']}); "
                  f"{pkgs}{seed}")
            if _session_candidates(self.shell):
                print("  The file on disk changed: in JupyterLab use File > Reload Notebook from Disk (or choose "
                      "'Revert' if asked when saving) so your next save keeps the pin.")
        else:
            print(f"nbkit: {name} is already pinned with this environment ({pkgs}{seed}); nothing written")
        for n in outcome.notes:
            print(f"  note: {n}")

    # lint ----------------------------------------------------------------------------------------
    def _cmd_lint(self, args: list[str]):
        from .requests import LintRequest, run_lint

        path = _resolve(self.shell, args, "lint")
        result = run_lint(LintRequest.from_raw([path]))
        _show(*lint_report(result, path))
        return None

    # verify --------------------------------------------------------------------------------------
    def _cmd_verify(self, args: list[str]):
        env = None
        if "--env" in args:  # %nbkit verify --env pinned [NOTEBOOK]
            i = args.index("--env")
            if i + 1 >= len(args):
                raise _Usage("--env needs a value: current or pinned")
            env = args[i + 1]
            args = args[:i] + args[i + 2:]
        path = _resolve(self.shell, args, "verify")
        from .config import load_config

        try:
            from .errors import RequestError
            from .verify import VerifyOptions, VerifyRequest, run
        except ImportError as e:  # pragma: no cover - only while verify is not installed
            raise MachineryUnavailable(f"nbkit verify is not available in this installation ({e})") from None
        try:
            request = VerifyRequest.build([path], VerifyOptions(config=load_config(path), env=env), discover=False)
        except RequestError as e:
            raise _Usage(e.message_for("--env" if e.field == "env" else e.field)) from None
        progress = _Progress()
        print(f"nbkit: verifying {os.path.basename(path)} in a fresh kernel...", flush=True)
        result = run(request, events=progress).notebooks[0]
        progress.done()
        _show(*verify_report(result, path))
        return None

    # status --------------------------------------------------------------------------------------
    def _cmd_status(self, args: list[str]):
        path = _resolve(self.shell, args, "status")
        _show(*status_report(path, state.seed))

    # guard ---------------------------------------------------------------------------------------
    def _cmd_guard(self, args: list[str]):
        from .errors import ConfigError
        from .guard import parse_rules

        g = _guard(self.shell)
        if not args:
            raise _Usage("%nbkit guard needs on, off, status or --rules CODES")
        action = None
        for i, a in enumerate(args):
            if a in ("on", "off", "status") and action is None:
                action = a
            elif a.startswith("--rules"):
                value = a.partition("=")[2] or (args[i + 1] if i + 1 < len(args) else "")
                try:
                    g.rules = parse_rules(value, "--rules")
                except ConfigError as e:
                    raise _Usage(str(e)) from None
                action = action or "on"
            elif a in ("--auto-seed", "--no-auto-seed"):
                g.auto_seed = a == "--auto-seed"
                action = action or "on"
            elif i and args[i - 1] == "--rules":
                continue
            else:
                raise _Usage(f"%nbkit guard: unexpected {a!r}")
        if action == "on":
            g.on()
            print(f"nbkit: guard on ({', '.join(sorted(g.rules))}{'; auto-seed' if g.auto_seed else ''})")
        elif action == "off":
            g.off()
            print("nbkit: guard off")
        else:
            _show(*g.status())


def _guard_seed(n: int) -> list[str]:
    """What the guard's auto-seed does: exactly %nbkit seed N (recorded for %nbkit pin)."""
    seeded, _, _ = seed_everything(n)
    state.seed = n
    return seeded


def _guard(shell, settings=None):
    from .guard import guard_for

    return guard_for(shell, settings, locate=notebook_path, seeder=_guard_seed)


def load_ipython_extension(ipython) -> None:
    """``%load_ext nbkit`` (or ``nbkit`` in ``c.InteractiveShellApp.extensions``); the guard
    starts when ``[tool.nbkit.guard] enabled = true``."""
    ipython.register_magics(NbkitMagics)
    try:
        from .guard import load_settings

        path = notebook_path(ipython)
        settings = load_settings(os.path.dirname(path) if path else os.getcwd())
        if settings.enabled and os.environ.get("NBKIT_GUARD", "").lower() not in ("0", "off"):
            _guard(ipython, settings).on()
            print(f"nbkit: guard on ({', '.join(sorted(settings.rules))}"
                  f"{'; auto-seed' if settings.auto_seed else ''}) from [tool.nbkit.guard]")
    except Exception as e:  # noqa: BLE001 - a bad config must not stop the magics loading
        if _debug():
            raise
        _err(f"guard not started: {e}")


def unload_ipython_extension(ipython) -> None:
    from .guard import drop_guard

    drop_guard(ipython)
    line = ipython.magics_manager.magics.get("line", {})
    line.pop("nbkit", None)
    ipython.magics_manager.registry.pop("NbkitMagics", None)
