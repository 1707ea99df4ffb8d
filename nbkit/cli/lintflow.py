"""The steps of ``nbkit lint`` that need no click: the request from the command line's options,
the report and the exit status, the colour decision, the check of ``--output`` and the writing of
a report file.

Used by the click command (:mod:`nbkit.cli.lint_cmd`) and by the fast paths that answer the
plainest command lines before click is imported (:mod:`nbkit.cli.fastlint`), so both build the
same request and print the same report.  Imports nothing but ``os`` and ``sys`` up front.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # (not typing's: the fast path should not have to import typing)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ..config import Config
    from ..lintresult import LintResult
    from ..requests import LintRequest


def use_color(output: str | None) -> bool:
    """Colour the text report?  Not into a file, not with NO_COLOR; with FORCE_COLOR; else
    when standard output is a terminal (click strips colours again when it is not)."""
    if output and output != "-":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def lint_request(paths: Sequence[str], *, config: Config | None = None, select: Sequence[str] = (),
                 ignore: Sequence[str] = (), profile: str | None = None, fix: bool = False, jobs: int = 0,
                 fail_on: str | None = None, no_cache: bool = False, policy: bool = False) -> LintRequest:
    """The core request of ``nbkit lint`` from its options (the defaults: none given; ``select``
    and ``ignore`` split into codes).  ``--fix`` writes notebooks, so it never uses the cache."""
    from ..requests import LintRequest

    return LintRequest.from_raw(paths, config=config, select=list(select), ignore=list(ignore),
                                profile=profile, fix=fix, jobs=jobs, fail_on=fail_on,
                                cache=not (no_cache or fix), policy=policy)


def remember_run(request: LintRequest, result: LintResult) -> None:
    """After ``nbkit lint PATH.ipynb`` linted with every option at its default (the text report to
    standard output, the lint cache on; the caller checks): keep the record that answers the
    same command line next time without click (:func:`nbkit.lintrecord.recall`)."""
    from ..lintrecord import remember

    remember(request.paths[0], result, request.resolved_config(), request.threshold(),
             (list(request.select) if request.select else None, list(request.ignore), request.profile))


def lint_report(request: LintRequest, result: LintResult, fmt: str, color: bool,
                say: Callable[[str], None], to_file: bool = False) -> tuple[str | bytes, int]:
    """The report of ``nbkit lint`` in format ``fmt`` and its exit status; ``say`` gets each
    line for standard error (the run's errors, policy problems), in order, as they come up.
    ``to_file``: the report goes to a file (:func:`write_report_file`), which takes it as
    UTF-8 bytes too: a JSON report may come as those (the text, without a copy decoded first).

    Exit status: 2 when a notebook could not be read, else 1 on a finding at or above the
    request's threshold, else 0; with ``--policy`` also 1 on a violation (3, nbkit's machinery
    failing, stays 3)."""
    from ..report.lint_reports import RENDERERS, render_json_by_hand, render_json_bytes, render_text

    text: str | bytes
    verdicts = None
    if request.policy:
        from ..requests import check_policy

        verdicts = check_policy(request, result)
    if fmt == "json" and verdicts is not None:
        import json

        text = json.dumps({**result.to_dict(), "policy": verdicts.to_dict()}, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "text":
        text = render_text(result, color=color)
    elif fmt == "json" and to_file and verdicts is None:
        text = render_json_bytes(result) or render_json_by_hand(result)  # (not msgspec's attempt again)
    else:
        text = RENDERERS[fmt](result)
    for e in result.errors:
        say(str(e))
    if verdicts is not None:
        from ..report.policy_reports import render_policy_github, render_policy_text

        if fmt == "text":
            text += render_policy_text(verdicts)
        elif fmt == "github":
            text += render_policy_github(verdicts)
        elif fmt != "json":  # sarif, junit: the report stays as it is; the verdicts go to stderr
            for line in render_policy_text(verdicts).splitlines():
                if line.strip():
                    say(line)
        for r in verdicts.results:
            if r.error is not None:
                say(r.error)
    code = result.exit_code(request.threshold())
    return text, (max(code, verdicts.exit_code()) if verdicts is not None and code != 3 else code)


def check_output(output: str | None, inputs: tuple[str, ...] | list[str], exclude: list[str] | None = None) -> None:
    """Refuse an ``--output`` that cannot be written, or that is one of the inputs, before
    anything runs (every command with ``--output`` calls this first).

    ``inputs``: the files and folders named on the command line (and ``--config``); an
    ``--output`` inside a named folder is an input when it is a notebook found there.
    Spellings and symlinks do not matter: paths are compared by where they resolve.
    """
    from ..errors import UsageError

    if not output or output == "-":
        return
    target = os.path.realpath(output)
    folder = os.path.dirname(target)
    if os.path.isdir(target):
        raise UsageError("--output names a folder; give a file name", output)
    if not os.path.isdir(folder):
        raise UsageError("folder for --output does not exist", output)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError("folder for --output is not writable", output)
    if os.path.exists(target) and not os.access(target, os.W_OK):
        raise UsageError("--output file is read-only", output)
    for given in inputs:
        if not given:
            continue
        real = os.path.realpath(given)
        if real == target or _same_file(given, output):
            raise UsageError(f"--output is an input ({given}); the report would replace it", output)
        if os.path.isdir(real) and target.startswith(real.rstrip(os.sep) + os.sep) and target.endswith(".ipynb"):
            from ..nbio import discover

            found, _errors = discover([given], exclude)
            for nb in found:
                if os.path.realpath(nb) == target or _same_file(nb, output):
                    raise UsageError(f"--output is an input ({nb}); the report would replace it", output)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def internal_error(e: BaseException) -> str:
    """The command line's words for an unexpected failure (exit 3), after ``nbkit: error: ``."""
    return f"internal error: {type(e).__name__}: {e} (run `nbkit --debug ...` for the traceback)"


def printable(text: str) -> str:
    """``text`` with every lone surrogate written as its escape (``\\udce9``): a file name that
    is not UTF-8 is held that way (os.listdir gives ``caf\\udce9.ipynb`` for the bytes
    ``caf\\xe9.ipynb``), and no UTF-8 file or strict standard output can take it.  In a JSON
    string the escape reads back as the same name; in the other formats it is plain text.
    (Standard output gets the same text from its error handler: see nbkit.cli._tolerant_stdout.)"""
    if text.isascii():
        return text
    import re

    return re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)


def write_report_file(text: str | bytes, output: str) -> None:
    """Write the report ``text`` (or its UTF-8 bytes) to the file ``output`` atomically
    (NbkitError when its folder does not exist or it cannot be written)."""
    from ..errors import NbkitError
    from ..nbio import atomic_write_bytes

    if not os.path.isdir(os.path.dirname(os.path.abspath(output))):
        raise NbkitError("folder for --output does not exist", output)
    if isinstance(text, bytes):
        payload = text
    else:
        try:
            payload = text.encode("utf-8")
        except UnicodeEncodeError:  # (a file name that is not UTF-8: checked only when the fast way fails)
            payload = printable(text).encode("utf-8")
    atomic_write_bytes(output, payload)
