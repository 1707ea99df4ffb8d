"""NBR008 in-notebook-install: `!pip install`, `%pip install`, conda/mamba/uv installs; error when unpinned."""

from __future__ import annotations

import ast
import os
import re

from ...analysis.semantic import source_text, str_const
from .. import Hit, rule


_INSTALLERS = ("pip", "pip3", "conda", "mamba", "micromamba", "uv")

_PIP_ARG_OPTS = {"-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url",
                 "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--python", "-p", "-n",
                 "--name", "--channel", "--platform", "--python-version", "--trusted-host", "--cache-dir",
                 "--src", "--upgrade-strategy", "--progress-bar", "--log", "--proxy", "--timeout",
                 "--retries", "--exists-action", "--config-settings", "--only-binary", "--no-binary"}


# _install_packages of the commands seen lately: a pure function of the string, and the panel's
# lints of one notebook parse the same `!pip install ...` / `!echo` lines again and again (shlex is
# slow).  Bounded: emptied when full; long commands are not kept.
_PARSED: dict[str, tuple[str, tuple[str, ...], bool] | None] = {}
_PARSED_MAX = 4096
_PARSED_LONGEST = 1000


def _install_packages(cmd: str) -> tuple[str, tuple[str, ...], bool] | None:
    """Parse an install command: (tool, package specs, installs from a file) or None."""
    try:
        return _PARSED[cmd]
    except KeyError:
        pass
    found = _parse_install(cmd)
    if len(cmd) <= _PARSED_LONGEST:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[cmd] = found
    return found


def _parse_install(cmd: str) -> tuple[str, tuple[str, ...], bool] | None:
    try:
        import shlex  # (not at start-up: most lints never get here)

        words = shlex.split(cmd, comments=True)
    except ValueError:
        words = cmd.split()
    for sep in ("&&", ";", "||", "|"):
        if sep in words:
            words = words[: words.index(sep)]
    # strip "python -m", "sys.executable -m", "uv pip"
    while words and (words[0] in ("python", "python3", "sudo", "{sys.executable}", "$PYTHON")
                     or words[0].endswith(("/python", "/python3")) or words[0] == "-m"):
        words = words[1:]
    if not words or os.path.basename(words[0]) not in _INSTALLERS:
        return None
    tool = os.path.basename(words[0])
    rest = words[1:]
    if tool == "uv" and rest[:1] == ["pip"]:
        rest = rest[1:]
    elif tool == "uv" and rest[:1] == ["add"]:
        rest = ["install", *rest[1:]]
    if tool in ("conda", "mamba", "micromamba") and rest[:1] in (["env"],):
        rest = rest[1:]
        if rest[:1] == ["update"]:
            return tool, (), True
    if rest[:1] != ["install"]:
        return None
    pkgs: list[str] = []
    from_file = False
    skip = False
    for w in rest[1:]:
        if skip:
            skip = False
            continue
        if w in ("-r", "--requirement", "--file", "-e", "--editable"):
            from_file = True
            skip = True
            continue
        if w.startswith(("-r", "--requirement=", "--file=")):
            from_file = True
            continue
        if w in _PIP_ARG_OPTS:
            skip = True
            continue
        if w.startswith("-"):
            continue
        pkgs.append(w)
    return tool, tuple(pkgs), from_file

# callees whose first argument is a command
_RUNNERS = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
                      "subprocess.Popen", "os.system"})


def _spec_pinned(tool: str, spec: str) -> bool:
    if spec.startswith((".", "/", "~")) or spec.endswith((".whl", ".tar.gz", ".zip")):
        return True
    if "://" in spec:
        return "@" in spec.split("://", 1)[1]
    if "===" in spec or ("==" in spec and "*" not in spec.split("==", 1)[1]):
        return True
    if tool in ("conda", "mamba", "micromamba"):
        m = re.match(r"^[\w.-]+=([0-9][\w.+!-]*)", spec)
        return bool(m)
    return False


@rule("NBR008", "in-notebook-install", "warning",
      "`!pip install`, `%pip install`, conda/mamba/uv installs; error when unpinned", requires=("python",))
def in_notebook_install(nb, ctx):
    """
    ## What it does
    Reports package installs run from inside the notebook: `!pip install`, `%pip install`,
    `!conda install`, `%mamba install`, `!uv pip install`, `%%bash` cells that install,
    and `subprocess` calls running pip. A warning when every package is pinned to an exact
    version, an error when any is not.

    ## Why is this bad?
    The notebook changes its own environment while it runs: the environment is no longer
    described by the manifest, the install may fail offline, and an unpinned install gets a
    different version every time.

    ## Example
    ```python
    %pip install pandas scikit-learn
    ```

    ## Use instead
    Declare the packages in the project's manifest (`requirements.txt`:
    `pandas==2.2.3`) and install the environment before starting Jupyter.
    """
    # the calls that can run a command, picked in one comprehension (most calls are neither)
    for ci in [ci for ci in ctx.facts.semantic.calls if ci.magic is not None or ci.qual in _RUNNERS]:
        node = ci.node
        commands: list[tuple[str, int]] = []
        magic = ci.magic
        if magic is not None:
            kind, name, args = magic
            if kind == "line" and name in _INSTALLERS:
                commands.append((f"{name} {args}", node.lineno))
            elif kind == "system":
                commands.append((args, node.lineno))
            elif kind == "cell" and name in ("bash", "sh", "script", "system"):
                body = args.split("\n", 1)[1] if "\n" in args else ""
                for i, ln in enumerate(body.splitlines(), start=node.lineno + 1):
                    commands.append((ln, i))
        else:  # ci.qual in _RUNNERS
            arg = node.args[0] if node.args else None
            if isinstance(arg, (ast.List, ast.Tuple)):
                words = []
                for e in arg.elts:
                    s = str_const(e)
                    words.append(s if s is not None else "{sys.executable}" if source_text(e) == "sys.executable" else "?")
                commands.append((" ".join(words), node.lineno))
            elif (s := str_const(arg)) is not None:
                commands.append((s, node.lineno))
        for cmd, line in commands:
            parsed = _install_packages(cmd.strip())
            if parsed is None:
                continue
            tool, pkgs, from_file = parsed
            shown = cmd.strip() if len(cmd.strip()) <= 60 else cmd.strip()[:59] + "…"
            loose = [p for p in pkgs if not _spec_pinned(tool, p)]
            if loose:
                yield Hit(f"`{shown}` installs unpinned packages ({', '.join(loose[:5])}) from inside the notebook; "
                          "declare them with exact versions in the project's manifest instead",
                          ci.cell, line, severity="error")
            elif pkgs or from_file:
                yield Hit(f"`{shown}` installs packages from inside the notebook; declare them in the "
                          "project's manifest and install the environment before running", ci.cell, line,
                          severity="warning")
