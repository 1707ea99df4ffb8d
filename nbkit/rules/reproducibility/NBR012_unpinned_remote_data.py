"""NBR012 unpinned-remote-data (the rule's docstring is its documentation)."""

from __future__ import annotations

import ast
import os
import re

from ...analysis import Facts
from ...analysis.semantic import CallInfo, str_const
from .. import Hit, rule
from .helpers import READ_FUNCS, REMOTE, SPARK_IO, call_paths, hide_query, is_none, kw, shell_commands, spark_io


REMOTE_READ_FUNCS = READ_FUNCS | frozenset({
    "get", "urlopen", "urlretrieve", "retrieve", "fetch", "download", "get_file", "Request",
    "load_state_dict_from_url", "download_url", "cached_download", "hf_hub_download", "read_html"})

_HASH_KWARGS = ("known_hash", "file_hash", "md5", "sha256", "hash", "checksum", "expected_hash", "hash_prefix",
                "md5_hash", "sha256_hash")


def _hash_checked_notebook(facts: Facts) -> bool:
    """A hashlib comparison somewhere (``hashlib.sha256(...).hexdigest() == EXPECTED``)."""
    if not any("digest" in c.source for c in facts.nb.cells):
        return False
    for _, node in facts.semantic.nodes(ast.Compare):
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in (
                    "hexdigest", "digest"):
                return True
    return False


@rule("NBR012", "unpinned-remote-data", "warning",
      "data read from a URL or remote store without a checksum (pooch known_hash, a hashlib comparison, "
      "or an entry in a data manifest)", requires=("python",))
def unpinned_remote_data(nb, ctx):
    """
    ## What it does
    Reports data read straight from a URL or a remote store (`https://`, `s3://`, `gs://`,
    `az://`, ...; also a URL built from a template, an f-string or `+`) by pandas/polars
    readers, `requests.get`, `urlretrieve`, `pooch.retrieve`
    without `known_hash`, `!wget`/`!curl` (not one piped into a shell or Python that runs it,
    `| sh`, `| python -`, nor into `apt-key add` or `gpg --dearmor`: an installer or a signing
    key), and the like, when nothing checks what arrived:
    no `known_hash`/`file_hash` argument, no hashlib comparison in the notebook, and no
    entry for the URL in a data manifest (`*.dvc`, `dvc.lock`, a `data-manifest.*` or
    checksum file in the notebook's folder or above it). Data sets fetched from a hub by
    name (`datasets.load_dataset`, `hf_hub_download`, `fetch_openml`) without a pinned
    revision or version are reported too.

    ## Why is this bad?
    Remote data changes without notice (new rows, corrected values, a moved file): the
    same notebook silently produces different results, and nobody can tell why.

    ## Example
    ```python
    df = pd.read_csv("https://example.org/exports/sales.csv")
    ```

    ## Use instead
    ```python
    path = pooch.retrieve("https://example.org/exports/sales.csv",
                          known_hash="sha256:9f2c...")
    df = pd.read_csv(path)
    ```
    or `dvc import-url` the file, or compare `hashlib.sha256(data).hexdigest()` with the
    expected value. Hub data sets are pinned by revision:
    `load_dataset("org/name", revision="<commit sha>")`, `fetch_openml(data_id=...)`.
    """
    if _hash_checked_notebook(ctx.facts):
        return
    manifest = ctx.project.data_manifest_text(nb.path) if ctx.project is not None else ""
    an = ctx.facts.semantic
    registry: bool | None = None  # a pooch registry (pooch.create(registry=...)): looked for at the first fetch
    seen: set[tuple] = set()

    def in_manifest(url: str) -> bool:
        base = url.split("?", 1)[0]
        return bool(manifest) and (base in manifest or (len(base.rsplit("/", 1)[-1]) > 3
                                                        and base.rsplit("/", 1)[-1] in manifest))

    # the calls that can be reported (one comprehension; spark_io is False outside SPARK_IO)
    for ci in [ci for ci in an.calls
               if ci.qual in _HUB_QUALS or ci.method in REMOTE_READ_FUNCS or ci.method in SPARK_IO]:
        hub = _unpinned_hub_dataset(nb, ci) if ci.qual in _HUB_QUALS else None
        if hub:
            yield Hit(hub, ci.cell, ci.node.lineno)
            continue
        if (ci.method not in REMOTE_READ_FUNCS and not spark_io(ci, "read")) or ci.magic is not None:
            continue
        q = ci.qual or ""
        if q.startswith(("webbrowser.", "torch.hub.")):
            continue
        if ci.method == "fetch":
            if registry is None:
                registry = any(c.qual == "pooch.create" and kw(c.node, "registry") is not None for c in an.calls)
            if registry:
                continue
        if any(kw(ci.node, k) is not None and not is_none(kw(ci.node, k)) for k in _HASH_KWARGS):
            continue
        chk = kw(ci.node, "check_hash")
        if isinstance(chk, ast.Constant) and chk.value is True:
            continue
        values = [v for v, _node in call_paths(ctx.facts, ci, positions=(0, 1))]
        if not any(REMOTE.match(v) for v in values) and ci.node.args:
            # a URL built from a template: url_template.format(...), f"https://...{x}", base + name
            prefix = _url_prefix(ci.node.args[0], ctx.facts, (ci.cell.index, ci.node.lineno), ci.in_function)
            if prefix and REMOTE.match(prefix):
                values.append(prefix)
        for value in values:
            if not REMOTE.match(value) or in_manifest(value):
                continue
            key = (ci.cell.index, ci.node.lineno, value)
            if key in seen:
                continue
            seen.add(key)
            yield Hit(f"{ci.text}() reads remote data ({hide_query(value)}) without a checksum; fetch it with "
                      "pooch.retrieve(url, known_hash=...) or record it in a data manifest (dvc import-url)",
                      ci.cell, ci.node.lineno)
    for ci, line, cmd in shell_commands(ctx.facts):
        words = cmd.split()
        if not words or words[0] not in ("wget", "curl", "aws", "gsutil", "azcopy", "gcloud"):
            continue
        urls = [w.strip("'\"") for w in words[1:] if REMOTE.match(w.strip("'\""))]
        if not urls:
            continue
        if words[0] in ("aws", "gsutil", "azcopy", "gcloud"):
            non_opts = [w for w in words[1:] if not w.startswith("-")]
            if non_opts and REMOTE.match(non_opts[-1].strip("'\"")):
                continue  # uploads are NBR016's business
        if any(in_manifest(u) for u in urls) or _installs(cmd):
            continue
        yield Hit(f"`{words[0]}` downloads remote data ({hide_query(urls[0])}) without a checksum; check a "
                  "sha256 after downloading or use pooch.retrieve(url, known_hash=...)", ci.cell, line)


def _installs(cmd: str) -> bool:
    """``curl -fsSL https://.../key.gpg | sudo apt-key add -``, ``curl ... | sh``: the download is
    run or trusted as it arrives (an environment set-up step), not data the notebook reads.  Only
    a pipe into a shell or Python that runs what it reads (``| sh``, ``| bash -s``, ``| python
    -``), ``apt-key add`` or ``gpg --dearmor``/``--import``: ``| python clean.py > out.csv`` and
    ``|| retry`` are not."""
    for part in re.split(r"(?<!\|)\|(?!\|)", cmd)[1:]:
        words = part.split()
        while words and words[0] in ("sudo", "env"):
            words = words[1:]
        if not words:
            continue
        head, rest = words[0], [w for w in words[1:] if not w.startswith((">", "2>"))]
        if head in ("sh", "bash", "zsh") and all(w.startswith("-") for w in rest):
            return True
        if head in ("python", "python3") and (not rest or rest == ["-"]):
            return True
        if head == "apt-key" and rest[:1] == ["add"]:
            return True
        if head == "gpg" and any(w in ("--dearmor", "--import") for w in rest):
            return True
    return False


def _assignments(facts: Facts) -> dict[str, list]:
    """name -> [((cell, line), enclosing function or None, value node)] for every `name = value`."""
    return facts.memo("nbr012_assignments", _find_assignments)


# the fields that hold statements (or except handlers and match cases, which hold statements)
_STMT_LISTS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})
_stmt_fields: dict[type, tuple[str, ...]] = {}


def _find_assignments(facts: Facts) -> dict[str, list]:
    """(Each name's list in the order of a depth-first walk over every child node, last pushed first
    out: this walk reads only the statement lists, as an expression holds no statement, and does not
    push an assignment, which holds none either; the statements come in that walk's order.)"""
    out: dict[str, list] = {}
    Assign, FunctionDef, AsyncFunctionDef, Name = ast.Assign, ast.FunctionDef, ast.AsyncFunctionDef, ast.Name
    for cell, parsed in facts.code:
        if parsed.tree is None:
            continue
        todo: list[tuple[ast.AST, str | None]] = [(parsed.tree, None)]
        while todo:
            node, func = todo.pop()
            t = type(node)
            fields = _stmt_fields.get(t)
            if fields is None:
                fields = _stmt_fields[t] = tuple(f for f in t._fields if f in _STMT_LISTS)
            for f in fields:
                for child in getattr(node, f):
                    tc = type(child)
                    if tc is FunctionDef or tc is AsyncFunctionDef:
                        todo.append((child, child.name))
                    elif tc is Assign:
                        for target in child.targets:
                            if type(target) is Name:
                                out.setdefault(target.id, []).append(((cell.index, child.lineno), func,
                                                                      child.value))
                    else:
                        todo.append((child, func))
    return out


def _url_prefix(node, facts: Facts, order: tuple, func: str | None, depth: int = 0) -> str | None:
    """The literal start of a string expression, enough to see that it is a URL: a template's
    text (`url_template.format(...)`, `"...%s" % x`), an f-string's or a `+` chain's leading
    literals, a name's value (the assignment before `order`, in the same function first)."""
    if depth > 6:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        out = ""
        for v in node.values:
            if isinstance(v, ast.Constant):
                out += str(v.value)
                continue
            inner = _url_prefix(v.value, facts, order, func, depth + 1) if isinstance(v, ast.FormattedValue) else None
            if inner is None:
                return out or None
            out += inner
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        left = _url_prefix(node.left, facts, order, func, depth + 1)
        if left is None or isinstance(node.op, ast.Mod):
            return left
        right = _url_prefix(node.right, facts, order, func, depth + 1)
        return left + (right or "")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _url_prefix(node.func.value, facts, order, func, depth + 1)
    if isinstance(node, ast.Name):
        found = _assignments(facts).get(node.id, [])
        local = [a for a in found if func is not None and a[1] == func]
        glob = [a for a in found if a[1] is None and (a[0] < order or func is not None)]
        for where, _f, value in reversed(local or glob):
            got = _url_prefix(value, facts, where, _f, depth + 1)
            if got is not None:
                return got
    return None


_HF_BUILDERS = frozenset({"csv", "json", "parquet", "text", "imagefolder", "audiofolder", "videofolder", "arrow",
                          "pandas", "webdataset", "sql", "xml"})


# the callees _unpinned_hub_dataset reports (None for any other)
_HUB_QUALS = frozenset({"datasets.load_dataset", "huggingface_hub.hf_hub_download",
                        "huggingface_hub.snapshot_download", "sklearn.datasets.fetch_openml"})


def _unpinned_hub_dataset(nb, ci: CallInfo) -> str | None:
    """A data set pulled from a hub by name, with no revision/version: its content can change."""
    q = ci.qual or ""
    if q in ("datasets.load_dataset", "huggingface_hub.hf_hub_download", "huggingface_hub.snapshot_download"):
        if kw(ci.node, "revision") is not None:
            return None
        name = str_const(ci.node.args[0]) if ci.node.args else str_const(kw(ci.node, "path", "repo_id"))
        if not name or name in _HF_BUILDERS or name.startswith((".", "/")) or os.path.exists(
                os.path.join(os.path.dirname(os.path.abspath(nb.path)), name)):
            return None
        return (f"{ci.text}({name!r}) downloads whatever the hub holds today; pin it with revision=<commit sha> "
                "so the data cannot change under the notebook")
    if q == "sklearn.datasets.fetch_openml":
        if kw(ci.node, "version") is not None or kw(ci.node, "data_id") is not None:
            return None
        return (f"{ci.text}() without version= or data_id= gets the 'active' version, which can change; pass "
                "data_id= (or version=)")
    return None
