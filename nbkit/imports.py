"""What a notebook imports, and which installed distributions provide it.

Shared by NBR003 (undeclared-import), NBR004 and friends, and ``nbkit pin`` (which records
the versions of the distributions a notebook imports).  Standard-library and local modules
are told apart from third-party ones; modules map to distributions through
``importlib.metadata.packages_distributions()`` plus a small alias table for the classic
mismatches (``sklearn`` -> ``scikit-learn``).
"""

from __future__ import annotations

import ast
import collections
import os
import re
import stat
import sys
from importlib.machinery import PathFinder
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Mapping, Sequence

if TYPE_CHECKING:
    import importlib.metadata

from .ipysyntax import ParsedCell, cell_magic_file, parse_cell
from .manifests import normalise_dist  # noqa: F401 - part of this module's API (pin, magics)
from .model import Cell, Notebook

# module (top-level import name) -> distribution, for when the package is not installed here
ALIASES: dict[str, str] = {
    "sklearn": "scikit-learn", "cv2": "opencv-python", "PIL": "pillow", "yaml": "pyyaml",
    "bs4": "beautifulsoup4", "skimage": "scikit-image", "dateutil": "python-dateutil",
    "dotenv": "python-dotenv", "Crypto": "pycryptodome", "attr": "attrs", "jwt": "pyjwt",
    "magic": "python-magic", "serial": "pyserial", "usb": "pyusb", "zmq": "pyzmq", "git": "gitpython",
    "docx": "python-docx", "pptx": "python-pptx", "OpenSSL": "pyopenssl", "MySQLdb": "mysqlclient",
    "Levenshtein": "python-levenshtein", "slugify": "python-slugify", "fitz": "pymupdf",
    "gi": "pygobject", "wx": "wxpython", "mpl_toolkits": "matplotlib", "pylab": "matplotlib", "pkg_resources": "setuptools",
    "IPython": "ipython", "jose": "python-jose", "multipart": "python-multipart",
    "telegram": "python-telegram-bot", "websocket": "websocket-client", "kafka": "kafka-python",
    "Bio": "biopython", "google.protobuf": "protobuf", "sentence_transformers": "sentence-transformers",
    "statsmodels": "statsmodels", "tensorflow": "tensorflow", "torch": "torch", "jax": "jax",
    "lightgbm": "lightgbm", "xgboost": "xgboost", "catboost": "catboost", "plotly": "plotly",
    "seaborn": "seaborn", "pandas": "pandas", "numpy": "numpy", "scipy": "scipy", "matplotlib": "matplotlib",
    "ipywidgets": "ipywidgets", "tqdm": "tqdm", "requests": "requests", "sqlalchemy": "sqlalchemy",
    "psycopg2": "psycopg2", "pyarrow": "pyarrow", "polars": "polars", "duckdb": "duckdb",
    "transformers": "transformers", "datasets": "datasets", "nltk": "nltk", "spacy": "spacy",
    "gensim": "gensim", "networkx": "networkx", "sympy": "sympy", "h5py": "h5py", "tables": "tables",
    "boto3": "boto3", "botocore": "botocore", "s3fs": "s3fs", "fsspec": "fsspec", "pooch": "pooch",
    "altair": "altair", "bokeh": "bokeh", "dask": "dask", "numba": "numba", "joblib": "joblib",
    "pydantic": "pydantic", "rich": "rich", "click": "click", "typer": "typer", "tabulate": "tabulate",
    "openpyxl": "openpyxl", "xlrd": "xlrd", "lxml": "lxml", "shap": "shap", "optuna": "optuna",
    "mlflow": "mlflow", "wandb": "wandb", "keras": "keras", "torchvision": "torchvision",
    "umap": "umap-learn", "hdbscan": "hdbscan", "geopandas": "geopandas", "shapely": "shapely",
    "folium": "folium", "pyspark": "pyspark", "nbformat": "nbformat", "papermill": "papermill",
    "grpc": "grpcio", "googleapiclient": "google-api-python-client", "tensorflow_serving": "tensorflow-serving-api",
    "mpl_toolkits.basemap": "basemap", "skopt": "scikit-optimize", "imblearn": "imbalanced-learn",
    "nacl": "pynacl", "dns": "dnspython", "haiku": "dm-haiku", "cairo": "pycairo", "OpenGL": "pyopengl",
    "ldap": "python-ldap", "win32api": "pywin32", "win32com": "pywin32",
}

_DYNAMIC_IMPORT = {"__import__", "import_module"}


@dataclass(frozen=True)
class ImportRef:
    module: str  # top-level name: "sklearn" for "from sklearn.linear_model import X"
    full: str  # the dotted name as written
    cell_index: int
    line: int
    cell: Cell | None = None


def iter_imports(nb: Notebook, parse: Callable[[Cell], ParsedCell] | None = None) -> list[ImportRef]:
    """Absolute imports in code cells, in document order (relative imports are local).
    ``parse``: how to get a cell's parse (``Facts.parsed``; default: parse it here)."""
    out: list[ImportRef] = []
    for cell in nb.cells:
        if not cell.is_code:
            continue
        parsed = parse(cell) if parse is not None else parse_cell(cell.source)
        tree = parsed.tree
        source = parsed.python_source
        if tree is None or "import" not in source:
            continue  # every form we look for contains the word: import, __import__, import_module
        # import statements sit in statement lists only: walk those, unless a dynamic import
        # (a call, anywhere in an expression) may be there too
        nodes = ast.walk(tree) if ("__import__" in source or "import_module" in source) else statements(tree)
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    out.append(ImportRef(alias.name.split(".")[0], alias.name, cell.index, node.lineno, cell))
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0 and node.module:
                    out.append(ImportRef(node.module.split(".")[0], node.module, cell.index, node.lineno, cell))
            elif isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None
                if name in _DYNAMIC_IMPORT and node.args and isinstance(node.args[0], ast.Constant) \
                        and isinstance(node.args[0].value, str) and not node.args[0].value.startswith("."):
                    mod = node.args[0].value
                    out.append(ImportRef(mod.split(".")[0], mod, cell.index, node.lineno, cell))
    out.sort(key=lambda r: (r.cell_index, r.line))
    return out


_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def statements(tree: ast.Module) -> Iterator[ast.AST]:
    """Every statement of ``tree`` (and the except handlers and match cases holding them),
    breadth first like :func:`ast.walk`, without visiting expressions."""
    todo = collections.deque(tree.body)
    while todo:
        node = todo.popleft()
        yield node
        for name in _BODIES:
            sub = getattr(node, name, None)
            if sub:
                todo.extend(sub)


def is_stdlib(module: str) -> bool:
    return module in sys.stdlib_module_names or module in ("__future__", "__main__")


@lru_cache(maxsize=512)
def _local_names(folder: str) -> frozenset[str]:
    names: set[str] = set()
    try:
        # os.scandir: an entry knows whether it is a folder without a stat call (a folder of
        # notebooks may hold hundreds of files)
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                dot = name.rfind(".")
                suffix = name[dot:] if 0 < dot < len(name) - 1 else ""  # Path.suffix
                if suffix == ".py" or (suffix in (".so", ".pyd") and "." in name):
                    names.add(name.split(".")[0])
                elif not name.startswith(".") and entry.is_dir():
                    child = Path(entry.path)
                    if (child / "__init__.py").exists() or any(child.glob("*.py")):
                        names.add(name)
    except OSError:
        pass
    return frozenset(names)


_WRITEFILE_HEAD = re.compile(r"%%(?:write)?file\b(.*)")  # a cell written to a file: its arguments


def written_modules(nb: Notebook) -> set[str]:
    """Top-level names of the modules that the notebook's own ``%%writefile`` / ``%%file`` cells
    write (``helpers.py`` -> ``helpers``, ``lib/__init__.py`` -> ``lib``), relative to the
    notebook's folder, where it runs: importing one needs no distribution."""
    names = set()
    for c in nb.cells:
        if not c.is_code or "%%" not in c.source:
            continue
        m = _WRITEFILE_HEAD.match(c.source.lstrip().split("\n", 1)[0])  # (IPython drops blank lines above)
        target = cell_magic_file(m.group(1)) if m else None
        if not target or not target.endswith(".py"):
            continue
        top = target[2:] if target.startswith("./") else target
        name = top.split("/", 1)[0].removesuffix(".py") if "/" in top else top[:-3]
        if name.isidentifier():
            names.add(name)
    return names


def local_modules(folders: Sequence[Path | str]) -> set[str]:
    """Module names importable from these folders (their ``*.py`` files and packages, and ``src/``)."""
    names: set[str] = set()
    for f in folders:
        names |= _local_names(str(f))
        src = Path(f) / "src"
        if src.is_dir():
            names |= _local_names(str(src))
    return names


def _top_level_names(dist: importlib.metadata.Distribution) -> set[str]:
    """Top-level import names a distribution provides: ``top_level.txt``, else its ``RECORD``.

    The same answer as ``importlib.metadata.packages_distributions`` (declared names, else the
    first component of every recorded file, keeping names without a dot), but RECORD is read as
    text: building a ``PackagePath`` per recorded file made the scan cost 0.3-1 s per process.
    """
    import inspect

    declared = dist.read_text("top_level.txt")
    if declared:
        return {line.strip() for line in declared.splitlines() if line.strip()}
    record = dist.read_text("RECORD") or dist.read_text("installed-files.txt") or ""
    names: set[str] = set()
    for line in record.splitlines():
        path = line.rsplit(",", 2)[0] if line.count(",") >= 2 else line
        path = path.strip().strip('"')
        if not path:
            continue
        top, sep, _ = path.partition("/")
        name = top if sep else (inspect.getmodulename(top) or top)
        if "." not in name and name != "__pycache__":
            names.add(name)
    return names


def _dist_name(dist: importlib.metadata.Distribution) -> str | None:
    """The ``Name:`` header of a distribution's metadata, read without the e-mail parser."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    header = text.split("\n\n", 1)[0]
    for line in header.splitlines():
        if line[:5].lower() == "name:":
            return line[5:].strip() or None
    return None


@lru_cache(maxsize=1)
def _packages_distributions() -> Mapping[str, list[str]]:
    from importlib.metadata import distributions

    found: dict[str, list[str]] = {}
    try:
        for dist in distributions():
            dist_name = _dist_name(dist)
            if not dist_name:
                continue
            for name in _top_level_names(dist):
                found.setdefault(name, []).append(dist_name)
    except Exception:  # noqa: BLE001 - a broken dist-info must not break lint
        return found
    return found


@lru_cache(maxsize=1024)
def _installed_dist_name(name: str) -> str | None:
    """The installed distribution called ``name`` (any spelling), or None; cheap (no full scan)."""
    found = _quick_dist_name(name)
    return _metadata_dist_name(name) if found is _UNSURE else found  # type: ignore[return-value]


_UNSURE = object()
_HEADER_LINE = re.compile(r"[\041-\071\073-\176]*:")  # the e-mail parser's header line (a field name, a colon)


def _quick_dist_name(name: str) -> str | None | object:
    """:func:`_metadata_dist_name`'s answer without importing ``importlib.metadata`` (with the
    e-mail parser, zipfile, csv and socket it imports, most of the start-up of a one-notebook
    lint), or ``_UNSURE`` when it takes more than the plain case to know.

    The plain case is the one ``importlib.metadata.distribution(name)`` handles: only the path
    finder looks for distributions, ``sys.path`` holds folders (or nothing), the first
    ``*.dist-info``/``*.egg-info`` named like ``name`` is a folder whose ``METADATA`` (or
    ``PKG-INFO``) starts with plain one-line headers.  The search is its search: ``sys.path`` in
    order, each folder's entries in ``os.listdir`` order, names compared normalised the same way.
    """
    if not name or any(hasattr(finder, "find_distributions") and finder is not PathFinder
                       for finder in sys.meta_path):
        return _UNSURE
    wanted = _normalise_dist_name(name)
    for entry in sys.path:
        if not isinstance(entry, str) or os.path.basename(entry).lower().endswith(".egg"):
            return _UNSURE  # an egg's EGG-INFO: importlib.metadata's business
        folder = os.path.abspath(entry or ".")
        try:
            st = os.stat(folder)
        except OSError:
            continue  # nothing there: importlib.metadata finds nothing there either
        if not stat.S_ISDIR(st.st_mode):
            return _UNSURE  # a zip file on the path
        try:
            child = _dist_infos(folder, st.st_mtime_ns).get(wanted)
        except OSError:
            return _UNSURE
        if child is not None:
            header = _name_header(os.path.join(folder, child))
            return header if header is _UNSURE else header or name  # as metadata["Name"] or name
    return None


@lru_cache(maxsize=64)
def _dist_infos(folder: str, mtime_ns: int) -> dict[str, str]:
    """Normalised distribution name -> the first ``*.dist-info``/``*.egg-info`` entry of
    ``folder`` (in ``os.listdir`` order) named so; read again when the folder changes, like
    importlib.metadata's own cache of a folder's lookup."""
    out: dict[str, str] = {}
    for child in os.listdir(folder):
        low = child.lower()
        if low.endswith((".dist-info", ".egg-info")):
            out.setdefault(_normalise_dist_name(low.rpartition(".")[0].partition("-")[0]), child)
    return out


def _normalise_dist_name(name: str) -> str:
    """``importlib.metadata.Prepared.normalize``."""
    return re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


def _name_header(info: str) -> str | None | object:
    """The ``Name`` header of the metadata in the folder ``info``, as ``Distribution.metadata``
    reads it (None: none), or ``_UNSURE``."""
    if not os.path.isdir(info):
        return _UNSURE
    text = None
    for filename in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(info, filename), encoding="utf-8") as f:
                text = f.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
            continue  # as importlib.metadata's read_text
        except (OSError, ValueError):
            return _UNSURE
        if text:
            break
    if not text or text.startswith("From "):
        return _UNSURE
    found: str | None = None
    at_name = False
    for line in text.split("\n\n", 1)[0].split("\n"):
        line = line[:-1] if line.endswith("\r") else line
        if not line:
            break  # the blank line after the headers
        if "\r" in line or any(c in line for c in _OTHER_LINE_BREAKS):
            return _UNSURE  # lines the e-mail parser splits otherwise than str.split
        if line[0] in " \t":  # a folded header line
            if at_name:
                return _UNSURE
            continue
        if not _HEADER_LINE.match(line):
            return _UNSURE
        field, _, value = line.partition(":")
        at_name = found is None and field.lower() == "name"
        if at_name:
            found = value.lstrip(" \t")
    return found


_OTHER_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _metadata_dist_name(name: str) -> str | None:
    """``importlib.metadata.distribution(name).metadata["Name"]`` (None: not installed)."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution(name)
    except PackageNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - broken metadata
        return None
    meta_name = dist.metadata["Name"] if dist.metadata else None
    return meta_name or name


@lru_cache(maxsize=1024)
def _findable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError, AttributeError):
        return False


def distributions_for(module: str) -> list[str]:
    """Distribution names that provide top-level ``module`` (installed first, then aliases).

    Fast path first: an installed distribution named like the module or its alias
    (``yaml`` -> ``PyYAML``); a module that is not installed at all maps through the alias
    table. Only an installed module with an unusual distribution name pays for the full
    ``packages_distributions()`` scan.
    """
    alias = ALIASES.get(module)
    for candidate in (alias, module):
        if candidate:
            found = _installed_dist_name(candidate)
            if found:
                return [found]
    if not _findable(module):
        return [alias] if alias else []
    dists = _packages_distributions().get(module)
    if dists:
        return sorted(dict.fromkeys(dists))
    return [alias] if alias else []


def installed_version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - broken metadata
        return None


def third_party_imports(refs: list[ImportRef], folders: list[Path | str]) -> list[ImportRef]:
    """The imports among ``refs`` that are neither standard library nor local to ``folders``."""
    local = local_modules(folders)
    return [r for r in refs if not is_stdlib(r.module) and r.module not in local]
