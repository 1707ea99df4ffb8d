"""``nbkit lint NOTEBOOK`` answered from the lint cache before the command line is parsed.

For the plainest command line (``nbkit lint PATH.ipynb``: one notebook, no option, the text
report to standard output) :func:`answer` asks :func:`nbkit.lintrecord.recall` for the cached
findings and prints the report with :func:`nbkit.report.lint_text.render_cached`, without
importing click, rich, the configuration loader or the rules.  Anything else - another option,
a miss, a finding whose text needs the full renderer, any error - returns None before anything
is printed, and the normal command line runs (and writes the record for next time: see
``nbkit.cli.lint_cmd``).

:func:`report` answers ``nbkit lint PATH... [--format F] [-o FILE]`` (text, json, sarif, junit,
github; to a file or standard output) the same way, from the lint cache for the notebooks it
holds, and lints the others there, as the click command would (its request, its lint, its
report), without importing click.

:func:`cold` answers ``nbkit lint --no-cache PATH.ipynb`` the same way without click: it lints
the notebook as ``nbkit.cli.lint_cmd`` would and prints the same text report; a notebook that
cannot be read, a bad configuration, or anything unexpected returns None before anything is
printed, and the normal command line runs again to report it in its words.
"""

from __future__ import annotations

import os
import sys

from .lintflow import use_color

TYPE_CHECKING = False  # (not typing's: the fast paths should not have to import typing)
if TYPE_CHECKING:
    from collections.abc import Callable


def eligible(argv: list[str]) -> str | None:
    """The notebook of ``nbkit lint PATH.ipynb`` (nothing else on the line), else None."""
    if len(argv) != 2 or argv[0] != "lint":
        return None
    path = argv[1]
    if path.startswith("-") or not path.endswith(".ipynb") or not os.path.isfile(path):
        return None
    return path


def answer(argv: list[str]) -> int | None:
    """Print the report of ``nbkit lint PATH.ipynb`` from the lint cache and return the exit
    status; None when the normal command line has to run (nothing was printed then)."""
    given = eligible(argv)
    if given is None or os.environ.get("NBKIT_DEBUG") or not _utf8(sys.stdout):
        return None
    import gc

    gc.disable()  # a few thousand objects, no garbage cycles worth a collection
    try:
        from ..findingrow import fails
        from ..lintrecord import recall
        from ..report.lint_text import render_cached

        run = recall(given)
        if run is None:
            return None
        text = render_cached(run.path, run.entries, _color())
        if text is None:
            return None
        failed = fails((e["severity"] for e in run.entries), run.threshold)
    except Exception:  # noqa: BLE001 - anything unexpected: the normal path answers (and reports it)
        return None
    finally:
        gc.enable()
    gc.freeze()  # the process ends now: its final collection need not scan what is left
    return _print(text, 1 if failed else 0)


def cold(argv: list[str]) -> int | None:
    """Lint and print the report of ``nbkit lint --no-cache PATH.ipynb`` (the option before or
    after the notebook) without importing click; return the exit status, or None when the normal
    command line has to run (nothing was printed then)."""
    if len(argv) != 3 or "--no-cache" not in argv[1:]:
        return None
    given = eligible([argv[0], argv[2] if argv[1] == "--no-cache" else argv[1]])
    # FORCE_COLOR: colours that click strips again when standard output is no terminal
    if given is None or os.environ.get("NBKIT_DEBUG") or os.environ.get("FORCE_COLOR") or not _utf8(sys.stdout):
        return None
    import gc

    def lint_and_render() -> tuple[str, int] | None:
        from ..requests import run_lint
        from .lintflow import lint_report, lint_request

        _ready_to_lint()
        request = lint_request((given,), no_cache=True)
        result = run_lint(request)
        if result.errors:  # reported by the normal path (its words, its exit status)
            return None
        text, code = lint_report(request, result, "text", _color(), _unexpected)
        if "\x1b" in text and not sys.stdout.isatty():
            return None  # click strips escape codes (from a notebook's text) when not on a terminal
        return text, code

    got = _guarded(lint_and_render)
    if got is None or isinstance(got, int):
        return got
    gc.freeze()  # the process ends now: its final collection need not scan what is left
    return _print(*got)


REPORT_FORMATS = ("text", "json", "sarif", "junit", "github")  # (text: without colour, rich is not imported)


def report_options(argv: list[str]) -> tuple[list[str], str, str | None] | None:
    """(paths, format, output) of ``nbkit lint PATH... [--format F] [-o FILE]`` (F one of
    REPORT_FORMATS, text when not given; the options in any order, ``--opt value`` or
    ``--opt=value``, each once), else None: any other option, a value that starts with ``-``
    (but ``-o -``), a path that does."""
    if not argv or argv[0] != "lint":
        return None
    paths: list[str] = []
    fmt: str | None = None
    output: str | None = None
    args = iter(argv[1:])
    for arg in args:
        if not arg.startswith("-"):
            paths.append(arg)
            continue
        name, eq, value = arg.partition("=")
        if name not in ("--format", "-o", "--output") or (eq and name == "-o"):
            return None
        if not eq:
            value = next(args, "")
        if not value or (value.startswith("-") and value != "-"):  # ("-o -": standard output)
            return None
        if name == "--format":
            if fmt is not None or value not in REPORT_FORMATS:
                return None
            fmt = value
        else:
            if output is not None:
                return None
            output = value
    if not paths:
        return None
    return paths, fmt or "text", output


def report(argv: list[str]) -> int | None:
    """Write the report of ``nbkit lint PATH... [--format F] [-o FILE]`` (see
    :func:`report_options`; pre-commit's ``nbkit lint A.ipynb B.ipynb``, a folder's ``nbkit lint
    nbs``) and return the exit status, without importing click: from the lint cache when it
    holds every notebook, else linted here.  None when the normal command line has to run
    (nothing was written then; what was linted is in the cache for it): an error to report
    (an unreadable notebook, a bad configuration), a report that click would print differently
    (escape codes to standard output that is no terminal, a stream that does not encode UTF-8)."""
    given = report_options(argv)
    if given is None or os.environ.get("NBKIT_DEBUG"):
        return None
    paths, fmt, output = given
    to_file = output is not None and output != "-"
    if not to_file and not _utf8(sys.stdout):
        return None
    import gc

    def cached_or_linted() -> tuple[str, int] | None:
        from ..requests import run_lint
        from .lintflow import check_output, lint_report, lint_request, remember_run, use_color, write_report_file

        check_output(output, paths)
        request = lint_request(paths)
        # a notebook the cache does not hold: linted here (with the notebooks and configurations
        # the cache lookup found), as the click command would, without importing click
        result = run_lint(request, on_miss=_ready_to_lint)
        if result.errors:  # reported by the normal path in its words (from the cache filled here)
            return None
        if len(paths) == 1 and fmt == "text" and output is None:
            remember_run(request, result)  # (as the click command: `nbkit lint nbs`, `--format text X.ipynb`)
        text, code = lint_report(request, result, fmt, use_color(output), _unexpected, to_file=to_file)
        if to_file:
            assert output is not None
            write_report_file(text, output)
            return "", code
        assert isinstance(text, str)
        if "\x1b" in text and not sys.stdout.isatty():
            return None  # click strips escape codes (colours, a notebook's text) when not on a terminal
        return text, code

    got = _guarded(cached_or_linted)  # (a cache hit, as answer(): no garbage cycles worth a collection)
    if got is None or isinstance(got, int):
        return got
    gc.freeze()  # the process ends now: its final collection need not scan what is left
    text, code = got
    return code if to_file else _print(text, code)


def _guarded(attempt: Callable[[], tuple[str, int] | None]) -> tuple[str, int] | int | None:
    """Run a fast path's ``attempt`` with the cycle collector off (on again afterwards): its
    report and exit status; None when the normal command line has to run (``attempt`` said so,
    or raised: the normal path reports it in its words); 130 after Ctrl-C, said as the click
    command says it (:func:`_aborted`).  A lint worker forked inside ``attempt`` that unwinds
    this far (interrupted as it starts or stops) leaves quietly: the parent speaks for the run."""
    import gc

    pid = os.getpid()
    gc.disable()
    try:
        return attempt()
    except KeyboardInterrupt:
        if os.getpid() != pid:
            os._exit(130)
        return _aborted()
    except Exception:  # noqa: BLE001 - anything unexpected: the normal path answers (and reports it)
        if os.getpid() != pid:
            os._exit(1)
        return None
    finally:
        gc.enable()


def _aborted() -> int:
    """Ctrl-C in the click command: click's Abort (an empty line), then
    nbkit.cli.common.handle_errors' words; exit status 130."""
    sys.stderr.write("\nnbkit: aborted\n")
    return 130


def _print(text: str, code: int) -> int:
    """Print the report; the exit status as the click command's (which prints with click.echo
    inside nbkit.cli.common.handle_errors)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except KeyboardInterrupt:  # (a reader that does not read)
        return _aborted()
    except OSError as e:
        # nothing more goes to standard output (not even Python's flush at exit)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        if isinstance(e, BrokenPipeError):  # `nbkit lint nbs | head -1`: click exits 1 there
            return 1
        from .lintflow import internal_error

        sys.stderr.write(f"nbkit: error: {internal_error(e)}\n")
        return 3
    return code


def _utf8(stream) -> bool:
    """Does ``stream`` encode UTF-8?  (Otherwise click's output may differ: the normal path prints.)"""
    encoding = getattr(stream, "encoding", None) or ""
    return encoding.lower().replace("-", "").replace("_", "") == "utf8"


def _color() -> bool:
    """:func:`~nbkit.cli.lintflow.use_color` for standard output as it shows there: click strips
    the colours (FORCE_COLOR's too) again when standard output is not a terminal."""
    return use_color(None) and sys.stdout.isatty()


def _ready_to_lint() -> None:
    """Before a lint in a fast path (whose guard keeps the cycle collector off): import the linter
    and every rule, freeze what the imports made (some hundred thousand objects that live as
    long as the process: the collector scanned them over and over, and once all at once, a few
    per cent of a run) and turn the collector on, as on the normal path."""
    import gc

    from .. import lint, rules  # noqa: F401 - (the linter: imported before the freeze)

    rules.all_rules()  # (imports every rule file)
    gc.freeze()
    gc.enable()


def _unexpected(line: str) -> None:
    """A line for standard error in :func:`cold` (none comes: a run with errors is left to the
    normal path before the report, and there is no policy): let the normal path say it."""
    raise RuntimeError(line)
