"""Run the real ``nbkit`` entry point in-process: ``code, out, err = nbkit_cli(capsys, "lint", path)``."""

from __future__ import annotations

import sys


def nbkit_cli(capsys, *args: str) -> tuple[int, str, str]:
    from nbkit.cli import run

    old = sys.argv
    sys.argv = ["nbkit", *map(str, args)]
    try:
        run()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        sys.argv = old
    out, err = capsys.readouterr()
    return code, out, err
