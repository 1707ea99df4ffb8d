"""NBR015 secret-in-notebook (the rule's docstring is its documentation)."""

from __future__ import annotations

import ast
import re

from ...analysis.cellcalls import CellCalls, cell_calls
from ...analysis.semantic import Analysis, lazy_re, str_const
from ...model import Cell
from .. import Hit, rule
from .helpers import REMOTE


def _mask(secret: str) -> str:
    return (secret[:4] + "****") if len(secret) > 8 else "****"


_SECRET_PATTERNS = [  # (kind, pattern, substrings one of which must be present: a cheap prefilter)
    ("AWS access key id", lazy_re(r"\b((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16})\b"),
     ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA")),
    ("private key", lazy_re(r"(-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----)"), ("PRIVATE KEY",)),
    ("GitHub token", lazy_re(r"\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b"),
     ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    ("Slack token", lazy_re(r"\b(xox[abposr]-[A-Za-z0-9-]{10,})\b"), ("xox",)),
    ("Slack webhook", lazy_re(r"(https://hooks\.slack\.com/services/T[A-Za-z0-9_/]+)"), ("hooks.slack.com",)),
    ("Google API key", lazy_re(r"\b(AIza[0-9A-Za-z_-]{35})\b"), ("AIza",)),
    ("OpenAI key", lazy_re(r"\b(sk-(?:proj-)?[A-Za-z0-9_-]{32,})\b"), ("sk-",)),
    ("Stripe key", lazy_re(r"\b((?:sk|rk)_live_[0-9A-Za-z]{20,})\b"), ("_live_",)),
    ("Hugging Face token", lazy_re(r"\b(hf_[A-Za-z0-9]{30,})\b"), ("hf_",)),
]

_SECRET_NEEDLES = lazy_re("|".join(re.escape(n) for _, _, needles in _SECRET_PATTERNS for n in needles))

# The notebook-wide gate: every needle above is found by one of these (a few literal scans cost less
# than the one alternation above, which tries every branch at each "s", "h", "g", ... of the text)
_AWS_OR_GOOGLE = lazy_re(r"A(?:KIA|SIA|GPA|IDA|ROA|NPA|Iza)")
_GITHUB = lazy_re(r"gh[pousr]_|github_pat_")
_OTHER_NEEDLES = ("PRIVATE KEY", "xox", "hooks.slack.com", "sk-", "_live_", "hf_")


def _any_needle(text: str) -> bool:
    """Might ``text`` hold a needle of _SECRET_PATTERNS?  (False: surely not.)"""
    return any(n in text for n in _OTHER_NEEDLES) or _AWS_OR_GOOGLE.search(text) is not None \
        or _GITHUB.search(text) is not None

_SECRET_NAME = lazy_re(
    r"^(?:.*_)?(?:password|passwd|pass|passphrase|token|api_?key|apikey|secret|secret_?key|access_?key|"
    r"access_?token|auth_?token|client_?secret|private_?key|credentials?|aws_secret_access_key)$", re.IGNORECASE)

_DSN = lazy_re(r"\b([a-z][a-z0-9+.-]*)://([^:/@\s'\"]+):([^@/\s'\"]+)@[^\s'\"/]+", re.IGNORECASE)

_KV_SECRET = lazy_re(
    r"(password|passwd|api_?key|apikey|secret(?:_?key)?|token)\b\s*[:=]\s*['\"]([^'\"\s]{4,})['\"]",
    re.IGNORECASE)

_KV_WORDS = ("password", "passwd", "apikey", "api_key", "secret", "token")

_IDENT_TAIL = lazy_re(r"[A-Za-z0-9_]*$")


_KV_WORDS_UTF8 = tuple(w.encode() for w in _KV_WORDS)
# the only characters outside ASCII whose str.lower() holds an ASCII letter: "İ" -> "i̇", KELVIN SIGN -> "k"
_LOWER_TO_ASCII = ("\u0130".encode(), "\u212a".encode())


def _may_hold_kv_word(texts: list[str]) -> bool:
    """Does any of ``texts``, lower-cased, hold one of _KV_WORDS?  (False: surely not; True may be a
    guess.)  Done on the UTF-8 bytes: their lower() changes only ASCII letters, and an ASCII word
    matches the same characters there as in ``str.lower()`` of the text, save for the two characters
    of _LOWER_TO_ASCII (then the answer is a guess, True).  Cheaper than the lower() of a text
    that is not all ASCII (most notebooks': their outputs)."""
    data = "\n".join(texts).encode("utf-8", "surrogatepass")  # (a lone surrogate: non-ASCII bytes)
    if not data.isascii() and (_LOWER_TO_ASCII[0] in data or _LOWER_TO_ASCII[1] in data):
        return True
    low = data.lower()
    return any(w in low for w in _KV_WORDS_UTF8)


def _kv_secrets(text: str):
    """(name, value, offset) for ``password = "..."`` / ``"token": "..."`` in free text."""
    low = text.lower()
    if not any(w in low for w in _KV_WORDS):
        return
    for m in _KV_SECRET.finditer(text):
        value = m.group(2)
        if _placeholder(value):
            continue
        head = _IDENT_TAIL.search(text, max(0, m.start() - 40), m.start())
        name = (head.group(0) if head else "") + m.group(1)
        yield name, value, m.start()


_PLACEHOLDER_WORDS = ("xxx", "***", "...", "your", "example", "placeholder", "dummy", "redacted", "changeme",
                      "change_me", "todo", "fixme", "secret", "password", "token", "<", "${", "{", "%s", "$(",
                      "getenv", "environ", "none", "null", "test", "fake", "sample", "demo", "insert", "enter",
                      "replace", "here", "1234")


def _placeholder(value: str) -> bool:
    v = value.strip()
    if len(v) < 4 or len(set(v)) <= 2 or any(ch in v for ch in "[]<>{}$%"):
        return True
    if v.lower() in ("pass", "passwd", "pwd", "user", "username", "admin", "root", "guest"):
        return True
    low = v.lower()
    return any(w in low for w in _PLACEHOLDER_WORDS) or v.endswith("EXAMPLE")


def _scan_text(text: str, any_needle: bool = True, dsn: bool = True):
    """(kind, secret, offset) for secrets in free text (markdown, outputs, code source).
    ``any_needle`` / ``dsn`` False: the caller knows the text holds no needle / no connection string."""
    if any_needle and _SECRET_NEEDLES.search(text) is not None:  # one scan says whether any prefilter substring is there
        for kind, pat, needles in _SECRET_PATTERNS:
            if not any(n in text for n in needles):
                continue
            for m in pat.finditer(text):
                secret = m.group(1)
                if kind == "AWS access key id" and secret.endswith("EXAMPLE"):
                    continue
                yield kind + " {}", secret, m.start(1)
    if not dsn or "://" not in text or "@" not in text:
        return
    for m in _DSN.finditer(text):
        pw = m.group(3)
        if _placeholder(pw) or (m.group(1).lower() in ("http", "https") and _placeholder(m.group(2))):
            continue
        yield f"password {{}} in a {m.group(1)}:// connection string", pw, m.start(3)


_NO_TEXTS: list[str] = []  # (shared: never changed)
_TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "application/json", "text/latex")  # in this order
_TEXT_MIME_SET = frozenset(_TEXT_MIMES)


def _output_text(out: dict) -> str:
    chunks = []
    t = out.get("text")
    if t is not None:
        chunks.append("".join(t) if isinstance(t, list) else str(t))
    data = out.get("data")
    if isinstance(data, dict):
        # most outputs hold one type (text/plain): then the order of _TEXT_MIMES does not matter
        for mime in (data if len(data) == 1 else _TEXT_MIMES):
            if mime in _TEXT_MIME_SET:
                v = data.get(mime)
                if v is not None:
                    chunks.append("".join(v) if isinstance(v, list) else str(v))
    tb = out.get("traceback")
    if isinstance(tb, list):
        chunks.append("\n".join(str(x) for x in tb))
    if out.get("evalue"):
        chunks.append(str(out["evalue"]))
    return "\n".join(chunks)


@rule("NBR015", "secret-in-notebook", "error",
      "AWS keys, private keys, `password=`/`token=`/`api_key=` literals, credentials in DSNs, in sources or "
      "outputs")
def secret_in_notebook(nb, ctx):
    """
    ## What it does
    Looks for credentials in every cell's source and in the stored outputs: AWS access key
    ids (`AKIA...`), private key blocks, GitHub, Slack, Google, OpenAI, Stripe and Hugging
    Face tokens, string literals assigned to names like `password`, `token`, `api_key`,
    `secret` (empty values, placeholders such as `"xxx"` or `"<your key>"`, and a key file's
    name, such as `GOOGLE_APPLICATION_CREDENTIALS = "sa.json"` or `key_path = "keys/id.pem"`,
    are ignored: a `.json`, `.pem`, `.key`, ... value with a folder in it or bound to a name
    that says file, path or credentials; so are `os.environ` lookups), and passwords inside connection strings
    (`postgres://user:pass@host/db`). Messages show only the first characters.

    ## Why is this bad?
    Notebooks are shared, committed and rendered on the web, outputs included. A secret in
    one is leaked, and has to be rotated.

    ## Example
    ```python
    engine = create_engine("postgresql://analyst:hunter2@db.internal/sales")
    openai.api_key = "sk-..."
    ```

    ## Use instead
    ```python
    engine = create_engine(os.environ["SALES_DB_URL"])
    openai.api_key = os.environ["OPENAI_API_KEY"]
    ```
    Rotate any secret that was committed, and clear the outputs that showed it.
    """
    # The texts (sources, outputs) are first searched as a whole, once each way: most notebooks
    # hold no needle, connection string or key word at all, and then no text is scanned alone.
    outputs = [[text for text in map(_output_text, cell.outputs) if text] if cell.outputs else _NO_TEXTS
               for cell in nb.cells]
    out_texts = [text for texts in outputs for text in texts]
    free = [cell.source for cell in nb.cells if cell.cell_type == "markdown" or cell.cell_type == "raw"]
    everything = "\n".join([*(cell.source for cell in nb.cells), *out_texts])
    assigned: dict[int, list] = {}
    for cell, name, value, line in _assigned_secrets(ctx.facts.semantic, cell_calls(ctx.facts),
                                                     _names_a_secret_word(everything)):
        assigned.setdefault(cell.index, []).append((name, value, line))
    needles = _any_needle(everything)
    dsn = "://" in everything and "@" in everything
    kv = _may_hold_kv_word(free + out_texts)
    if not (needles or dsn or kv or assigned):
        return  # nothing below can find anything (most notebooks)
    scan_sources = needles or dsn
    for cell, texts in zip(nb.cells, outputs, strict=True):
        seen: set[str] = set()
        for kind, secret, off in (_scan_text(cell.source, needles, dsn) if scan_sources else ()):
            if secret in seen:
                continue
            seen.add(secret)
            yield Hit(f"{kind.format(_mask(secret))} in the cell source; remove it, rotate it, and read it from an "
                      "environment variable", cell, cell.source.count("\n", 0, off) + 1)
        for name, value, line in assigned.get(cell.index, ()):
            if value in seen:
                continue
            seen.add(value)
            yield Hit(f"{name} = {_mask(value)} is a literal secret in the code; read it from an environment "
                      f"variable (os.environ[{name.upper()!r}]) instead", cell, line)
        if kv and (cell.is_markdown or cell.cell_type == "raw"):
            for name, value, off in _kv_secrets(cell.source):
                if value in seen:
                    continue
                seen.add(value)
                yield Hit(f"{name} {_mask(value)} written in a {cell.cell_type} cell; remove it and rotate it",
                          cell, cell.source.count("\n", 0, off) + 1)
        for text in texts:
            found = list(_scan_text(text, needles, dsn))
            if kv:
                found += [(f"{name} {{}}", value, off) for name, value, off in _kv_secrets(text)]
            for kind, secret, _ in found:
                if secret in seen:
                    continue
                seen.add(secret)
                yield Hit(f"{kind.format(_mask(secret))} in the output of this cell; clear the output and rotate the "
                          "secret", cell)


def _names_a_secret_word(source: str) -> bool:
    """Can an identifier in this code be a name _assigned_secrets looks at?  Each holds one of these
    words in some case (a non-ASCII source may spell one in other letters that Python normalises)."""
    if not source.isascii():
        return True
    low = source.lower()
    return "pass" in low or "token" in low or "key" in low or "secret" in low or "credential" in low \
        or "authorization" in low


def _assigned_secrets(an: Analysis, with_calls: list[CellCalls], by_keyword: bool = True):
    """(cell, name, value, line): string literals bound to secret-looking names (assignments,
    keyword arguments, dict entries).  ``with_calls``: the code cells with calls, each with its
    calls (:func:`nbkit.analysis.cellcalls.cell_calls`).  ``by_keyword`` False: the caller knows
    that no source names a secret word (_names_a_secret_word of all of them), so no keyword
    argument's name can be one."""
    # Only string literals count (str_const): the other values are left out before sorting (the
    # sort is stable, so the literals keep their order)
    items: list[tuple[Cell, str, ast.expr]] = []
    for cell, node in an.nodes(ast.Assign, ast.AnnAssign):
        value = node.value
        if type(value) is not ast.Constant or not isinstance(value.value, str):  # str_const(value) is None
            continue
        targets = node.targets if type(node) is ast.Assign else [node.target]
        for t in targets:
            name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else \
                str_const(t.slice) if isinstance(t, ast.Subscript) else None
            if name:
                items.append((cell, name, value))
    # A keyword is written as it is in the cell's (IPython-transformed) source, where the IPython
    # transform makes none: only a cell whose source names a secret word can pass one, and only its
    # calls are looked at (few cells; most calls have no keywords anyway)
    for cell, parsed, calls, _ in with_calls if by_keyword else ():
        if not _names_a_secret_word(parsed.python_source):
            continue
        for ci in calls:
            keywords = ci.node.keywords
            if keywords:
                items += [(cell, k.arg, k.value) for k in keywords
                          if k.arg and type(k.value) is ast.Constant and isinstance(k.value.value, str)]
    for cell, node in an.nodes(ast.Dict):
        items += [(cell, key, v) for k, v in zip(node.keys, node.values, strict=False)
                  if type(v) is ast.Constant and isinstance(v.value, str) and (key := str_const(k))]
    items.sort(key=lambda it: (it[0].index, getattr(it[2], "lineno", 0)))
    for cell, name, value in items:
        s = str_const(value)
        if s is not None and name.lower() in ("authorization", "proxy-authorization", "x-api-key", "api-key"):
            parts = s.split()
            s = parts[-1] if len(parts) == 2 and parts[0].lower() in ("bearer", "token", "basic") else s
            name = name.replace("-", "_")
        elif s is not None and not _SECRET_NAME.match(name):
            continue
        if s is None or _placeholder(s) or " " in s.strip():
            continue
        if REMOTE.match(s) or s.startswith(("/", "./", "~")) or _names_key_file(name, s):
            continue
        yield cell, name, s, value.lineno


# `GOOGLE_APPLICATION_CREDENTIALS = "service_account.json"`, `private_key = "keys/id_rsa.pem"`:
# the name of the file that holds the secret, not the secret
_KEY_FILE = lazy_re(r"^(?:[\w.-]+/)*[\w.-]+\.(?:json|pem|key|p12|pfx|crt|cer|der|pub|asc|gpg|jks|keystore|ya?ml|"
                    r"toml)$", re.IGNORECASE)
_FILE_WORDS = lazy_re(r"file|path|credentials|_json$|_pem$", re.IGNORECASE)


def _names_key_file(name: str, value: str) -> bool:
    """Is ``value`` the name of a key file rather than a key: a key file's suffix, and a folder in
    it or a name that says file or path (``GOOGLE_APPLICATION_CREDENTIALS``, ``key_file``)?  A
    bare ``api_key = "k3y-9f8e.key"`` may well be the key."""
    return _KEY_FILE.match(value) is not None and ("/" in value or _FILE_WORDS.search(name) is not None)
