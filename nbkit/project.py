"""The project around a notebook: its root, manifest and lock files, sibling notebooks.

Rules that need project files (NBR001-NBR003, NBR012, NBR013, NBH014) read them through a
:class:`Project`, which caches what it reads so a run over many notebooks reads each
manifest once.

Manifests understood (searched from the notebook's folder up to the project root):
``requirements*.txt`` (and ``requirements/*.txt``), ``pyproject.toml`` (``[project]``
dependencies and optional-dependencies, ``[dependency-groups]``,
``[tool.poetry.*dependencies]``), ``environment.yml``/``.yaml``, ``Pipfile``, ``setup.cfg``
and ``setup.py`` (by regular expression: it is never executed).  Lock files: ``uv.lock``,
``poetry.lock``, ``Pipfile.lock``, ``conda-lock.yml``, ``pdm.lock`` and hashed pip-compile
output (a requirements file whose entries carry ``--hash=``).
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT_MARKERS = (".git", ".hg", ".svn")


@lru_cache(maxsize=256)
def find_root(folder: str) -> str:
    """The nearest folder at or above ``folder`` holding a VCS directory; else ``folder``'s
    nearest ancestor with a pyproject.toml; else the folder itself."""
    here = Path(folder).resolve()
    for d in (here, *here.parents):
        if any((d / m).exists() for m in ROOT_MARKERS):
            return str(d)
    for d in (here, *here.parents):
        if (d / "pyproject.toml").is_file():
            return str(d)
    return str(here)


# -- manifests ---------------------------------------------------------------------------------

LOCK_FILES = ("uv.lock", "poetry.lock", "Pipfile.lock", "conda-lock.yml", "conda-lock.yaml", "pdm.lock",
              "pixi.lock")
_LOCK_GLOBS = ("*.conda-lock.yml", "*.conda-lock.yaml", "conda-*.lock")
MANIFEST_NAMES = ("pyproject.toml", "environment.yml", "environment.yaml", "Pipfile", "setup.cfg", "setup.py")

# conda package names that differ from the distribution on PyPI
CONDA_NAMES = {
    "pytorch": "torch", "py-xgboost": "xgboost", "matplotlib-base": "matplotlib", "pytables": "tables",
    "tensorflow-gpu": "tensorflow", "pytorch-cpu": "torch", "pytorch-gpu": "torch", "py-opencv": "opencv-python",
    "libopencv": "opencv-python", "opencv": "opencv-python", "pyqt": "pyqt5", "python-graphviz": "graphviz",
    "lightgbm": "lightgbm", "pyspark": "pyspark", "jupyter_core": "jupyter-core",
}
_CONDA_SKIP = {"python", "pip", "conda", "mamba", "setuptools", "wheel", "r-base", "nodejs"}

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def normalise_dist(name: str) -> str:
    """PEP 503 normalised distribution name: ``Scikit_Learn`` -> ``scikit-learn``."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Requirement:
    """One declared dependency."""

    name: str  # normalised distribution name
    spec: str  # what follows the name: "==2.2.3", ">=1,<2", "" ...
    pinned: bool
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.name}{self.spec}"


@dataclass
class Manifest:
    """A parsed environment manifest."""

    path: str
    kind: str  # requirements | pyproject | conda | pipfile | setup.cfg | setup.py
    requirements: list[Requirement] = field(default_factory=list)
    complete: bool = True  # False when some dependencies could not be read (dynamic, non-literal)
    hashed: bool = False  # pip-compile --generate-hashes output: counts as a lock file
    provides: tuple[str, ...] = ()  # the project's own distribution name(s)
    error: str | None = None
    includes: list[str] = field(default_factory=list)  # files read through -r / -c

    @property
    def names(self) -> set[str]:
        return {r.name for r in self.requirements}

    @property
    def unpinned(self) -> list[Requirement]:
        return [r for r in self.requirements if not r.pinned]


def _pip_pinned(spec: str) -> bool:
    """``==1.2.3`` / ``===x`` (one exact version, no wildcard) or a direct URL reference."""
    spec = spec.split(";", 1)[0].strip()
    if spec.startswith("@"):
        return True  # name @ https://...: a direct reference
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    return any((p.startswith("===") or (p.startswith("==") and "*" not in p)) for p in parts)


def parse_requirement(text: str, line: int | None = None) -> Requirement | None:
    """A PEP 508 requirement string (``pandas>=2; python_version>'3.9'``), or None."""
    text = text.strip()
    if not text or text.startswith(("#", "-", ".", "/")) or "://" in text.split("@", 1)[0]:
        return None
    m = _NAME.match(text)
    if not m:
        return None
    spec = m.group(3).split("#", 1)[0].strip()
    if spec and spec[0] not in "=<>!~;@(":
        return None
    spec = spec.strip("()").strip() if spec.startswith("(") else spec
    return Requirement(normalise_dist(m.group(1)), spec, _pip_pinned(spec), line)


def _egg_name(url: str) -> str | None:
    m = re.search(r"[#&]egg=([A-Za-z0-9._-]+)", url)
    return m.group(1) if m else None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def parse_requirements_txt(path: Path, _seen: set | None = None) -> Manifest:
    """requirements.txt: one requirement per line; follows ``-r`` includes; ``--hash`` marks a lock."""
    m = Manifest(str(path), "requirements")
    text = _read(path)
    if text is None:
        m.error = "cannot read"
        return m
    seen = _seen if _seen is not None else set()
    seen.add(str(path.resolve()))
    logical: list[tuple[int, str]] = []
    buf, start = "", 0
    for i, raw in enumerate(text.splitlines(), start=1):
        if not buf:
            start = i
        if raw.rstrip().endswith("\\"):
            buf += raw.rstrip()[:-1] + " "
            continue
        logical.append((start, buf + raw))
        buf = ""
    if buf:
        logical.append((start, buf))
    entries = 0
    hashes = 0
    for lineno, line in logical:
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line:
            continue
        if "--hash=" in line:
            hashes += 1
        if line.startswith(("-r ", "--requirement", "-c ", "--constraint")):
            pieces = re.split(r"[\s=]+", line, maxsplit=1)
            target = pieces[1].strip() if len(pieces) > 1 else ""
            inc = (path.parent / target)
            if target and inc.is_file() and str(inc.resolve()) not in seen:
                sub = parse_requirements_txt(inc, seen)
                m.includes += [str(inc), *sub.includes]
                if line.startswith(("-r", "--requirement")):
                    m.requirements.extend(sub.requirements)
                    m.complete = m.complete and sub.complete
            continue
        if line.startswith(("-e ", "--editable")):
            target = line.split(None, 1)[1] if " " in line else ""
            egg = _egg_name(target)
            if egg:
                pinned = "@" in target.split("://", 1)[-1]
                m.requirements.append(Requirement(normalise_dist(egg), "", pinned, lineno))
            continue  # -e . : the project itself
        if line.startswith("-"):
            continue  # --index-url and other options
        req_text = re.sub(r"\s--hash=\S+", "", line)
        if "://" in req_text.split(";", 1)[0] and " @ " not in req_text:
            egg = _egg_name(req_text)
            if egg:
                m.requirements.append(Requirement(normalise_dist(egg), "", True, lineno))
            entries += 1
            continue
        req = parse_requirement(req_text, lineno)
        if req is not None:
            m.requirements.append(req)
            entries += 1
    m.hashed = entries > 0 and hashes >= entries
    return m


def parse_pyproject(path: Path) -> Manifest | None:
    """pyproject.toml; None when it declares no environment (e.g. only ``[tool.*]`` settings)."""
    import tomllib

    m = Manifest(str(path), "pyproject")
    text = _read(path)
    if text is None:
        m.error = "cannot read"
        return m
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m.error = f"invalid TOML ({e})"
        m.complete = False
        return m
    project = data.get("project") if isinstance(data.get("project"), dict) else None
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else None
    groups = data.get("dependency-groups") if isinstance(data.get("dependency-groups"), dict) else None
    if project is None and poetry is None and groups is None:
        return None
    lines = text.splitlines()

    def line_of(req: str) -> int | None:
        for i, ln in enumerate(lines, start=1):
            if req in ln:
                return i
        return None

    def add_pep508(items) -> None:
        if not isinstance(items, list):
            return
        for item in items:
            if isinstance(item, str):
                req = parse_requirement(item, line_of(item))
                if req is not None:
                    m.requirements.append(req)

    if project is not None:
        if isinstance(project.get("name"), str):
            m.provides += (normalise_dist(project["name"]),)
        add_pep508(project.get("dependencies"))
        opt = project.get("optional-dependencies")
        if isinstance(opt, dict):
            for items in opt.values():
                add_pep508(items)
        dynamic = project.get("dynamic")
        if isinstance(dynamic, list) and ("dependencies" in dynamic or "optional-dependencies" in dynamic):
            m.complete = False
    if groups is not None:
        for items in groups.values():
            add_pep508(items)  # {include-group = ...} tables are skipped
    if poetry is not None:
        if isinstance(poetry.get("name"), str):
            m.provides += (normalise_dist(poetry["name"]),)
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        grp = poetry.get("group")
        if isinstance(grp, dict):
            tables += [g.get("dependencies") for g in grp.values() if isinstance(g, dict)]
        for table in tables:
            if not isinstance(table, dict):
                continue
            for name, spec in table.items():
                if normalise_dist(name) == "python":
                    continue
                m.requirements.append(Requirement(normalise_dist(name), _poetry_spec(spec),
                                                  _poetry_pinned(spec), line_of(name)))
    return m


def _poetry_spec(spec) -> str:
    if isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        return str(spec.get("version", spec.get("git", spec.get("path", spec.get("url", "")))))
    if isinstance(spec, list):  # multiple constraints
        return "; ".join(_poetry_spec(s) for s in spec)
    return ""


def _poetry_pinned(spec) -> bool:
    """Poetry: a bare version (``"1.2.3"``) or ``==1.2.3`` is exact; ``^``, ``~``, ``*``, ranges are not."""
    if isinstance(spec, list):
        return bool(spec) and all(_poetry_pinned(s) for s in spec)
    if isinstance(spec, dict):
        if "git" in spec:
            return any(k in spec for k in ("rev", "tag"))
        if "path" in spec or "url" in spec:
            return True
        spec = spec.get("version", "")
    if not isinstance(spec, str):
        return False
    s = spec.strip()
    if s.startswith("=="):
        s = s[2:].strip()
    elif s.startswith("="):
        s = s[1:].strip()
    return bool(re.fullmatch(r"\d+(\.\d+)*([a-zA-Z0-9.+-]*)", s)) and "*" not in s


def parse_pipfile(path: Path) -> Manifest:
    import tomllib

    m = Manifest(str(path), "pipfile")
    text = _read(path)
    try:
        data = tomllib.loads(text or "")
    except tomllib.TOMLDecodeError as e:
        m.error = f"invalid TOML ({e})"
        m.complete = False
        return m
    lines = (text or "").splitlines()
    for section in ("packages", "dev-packages"):
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        for name, spec in table.items():
            line = next((i for i, ln in enumerate(lines, start=1) if ln.strip().startswith(name)), None)
            if isinstance(spec, dict):
                if "git" in spec:
                    pinned = "ref" in spec
                elif "path" in spec or "file" in spec:
                    pinned = True
                else:
                    pinned = _pip_pinned(str(spec.get("version", "*")))
                text_spec = str(spec.get("version", ""))
            else:
                text_spec = str(spec)
                pinned = _pip_pinned(text_spec)
            m.requirements.append(Requirement(normalise_dist(name), "" if text_spec == "*" else text_spec,
                                              pinned, line))
    return m


def parse_environment_yml(path: Path) -> Manifest:
    """environment.yml (conda): ``dependencies:`` entries and their ``- pip:`` sub-list.

    A small line parser (no YAML library needed for this regular shape)."""
    m = Manifest(str(path), "conda")
    text = _read(path)
    if text is None:
        m.error = "cannot read"
        return m
    in_deps = False
    deps_indent = 0
    pip_indent: int | None = None
    for i, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if not line.startswith((" ", "-")):
            in_deps = line.strip().startswith("dependencies:")
            deps_indent = 0
            pip_indent = None
            if in_deps and line.split(":", 1)[1].strip().startswith("["):
                for item in line.split("[", 1)[1].rstrip("]").split(","):
                    _add_conda(m, item.strip().strip("'\""), i)
            continue
        if not in_deps:
            continue
        stripped = line.strip()
        if not stripped.startswith("-"):
            continue
        item = stripped[1:].strip().strip("'\"")
        if pip_indent is not None and indent > pip_indent:
            if item.startswith("-r ") or item.startswith("--requirement"):
                target = item.split(None, 1)[1] if " " in item else ""
                sub = parse_requirements_txt(path.parent / target) if target else None
                if sub is not None:
                    m.includes += [sub.path, *sub.includes]
                if sub is not None and sub.error is None:
                    m.requirements.extend(sub.requirements)
                continue
            req = parse_requirement(item, i)
            if req is not None:
                m.requirements.append(req)
            continue
        pip_indent = None
        if not deps_indent:
            deps_indent = indent
        if item.rstrip(":") == "pip" and item.endswith(":"):
            pip_indent = indent
            continue
        _add_conda(m, item, i)
    return m


def _add_conda(m: Manifest, item: str, line: int) -> None:
    if not item or item.endswith(":"):
        return
    item = item.split("::", 1)[-1]  # channel::name
    mm = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$", item)
    if not mm:
        return
    name = mm.group(1).lower()
    if name in _CONDA_SKIP:
        return
    spec = mm.group(2).strip()
    # conda: name=1.2.3, name==1.2.3, name=1.2.3=build, "name 1.2.3" are exact; 1.2.*, >=, | are not
    version = spec.lstrip("= ").split("=", 1)[0].split(" ", 1)[0]
    pinned = bool(spec) and (spec.startswith("=") or spec[0].isdigit()) and bool(
        re.fullmatch(r"\d[\w.+!-]*", version))
    m.requirements.append(Requirement(normalise_dist(CONDA_NAMES.get(name, name)), spec, pinned, line))


def parse_setup_cfg(path: Path) -> Manifest:
    import configparser

    m = Manifest(str(path), "setup.cfg")
    cp = configparser.ConfigParser(interpolation=None)
    try:
        cp.read_string(_read(path) or "")
    except configparser.Error as e:
        m.error = f"invalid setup.cfg ({e.__class__.__name__})"
        m.complete = False
        return m
    if cp.has_option("metadata", "name"):
        m.provides += (normalise_dist(cp.get("metadata", "name")),)
    blocks = []
    if cp.has_option("options", "install_requires"):
        blocks.append(cp.get("options", "install_requires"))
    if cp.has_section("options.extras_require"):
        blocks += [v for _, v in cp.items("options.extras_require")]
    for block in blocks:
        for item in re.split(r"[\n;]\s*(?=[A-Za-z])|\n", block):
            req = parse_requirement(item)
            if req is not None:
                m.requirements.append(req)
    return m


_SETUP_LIST = re.compile(r"\b(install_requires|extras_require|tests_require)\s*=\s*([\[{])", re.S)
_STR = re.compile(r"""(['"])((?:(?!\1).)+)\1""")


def parse_setup_py(path: Path) -> Manifest:
    """setup.py, read with regular expressions (never executed): literal install_requires lists."""
    m = Manifest(str(path), "setup.py")
    text = _read(path) or ""
    name = re.search(r"\bname\s*=\s*['\"]([A-Za-z0-9._-]+)['\"]", text)
    if name:
        m.provides += (normalise_dist(name.group(1)),)
    found = False
    for mm in _SETUP_LIST.finditer(text):
        found = True
        opener = mm.group(2)
        closer = "]" if opener == "[" else "}"
        depth, j = 0, mm.end() - 1
        while j < len(text):
            if text[j] == opener:
                depth += 1
            elif text[j] == closer:
                depth -= 1
                if depth == 0:
                    break
            j += 1
        body = text[mm.end():j]
        for s in _STR.finditer(body):
            if opener == "{" and re.match(r"\s*:", body[s.end():]):
                continue  # an extras_require key
            req = parse_requirement(s.group(2), text.count("\n", 0, mm.end() + s.start()) + 1)
            if req is not None:
                m.requirements.append(req)
    if re.search(r"\binstall_requires\s*=\s*(?![\[{])", text):
        m.complete = False  # install_requires=read_requirements() etc.
    elif not found and "install_requires" not in text:
        pass
    return m


def parse_manifest(path: Path) -> Manifest | None:
    """Parse one manifest file by its name; None when it is not an environment manifest."""
    name = path.name
    if name == "pyproject.toml":
        return parse_pyproject(path)
    if name in ("environment.yml", "environment.yaml"):
        return parse_environment_yml(path)
    if name == "Pipfile":
        return parse_pipfile(path)
    if name == "setup.cfg":
        m = parse_setup_cfg(path)
        return m if (m.requirements or m.provides or "install_requires" in (_read(path) or "")) else None
    if name == "setup.py":
        return parse_setup_py(path)
    if name.startswith("requirements") and name.endswith((".txt", ".in")):
        return parse_requirements_txt(path)
    return None


_MANIFEST_CACHE: dict[str, tuple[tuple, Manifest | None]] = {}


def _stamp(paths: list[str]) -> tuple:
    out = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((p, st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((p, None, None))
    return tuple(out)


def _parse_manifest_cached(path: str) -> Manifest | None:
    """parse_manifest, remembered across runs in one process (the server lints on every
    save) until the file, or a file it includes, changes."""
    hit = _MANIFEST_CACHE.get(path)
    if hit is not None:
        stamp, m = hit
        if _stamp([s[0] for s in stamp]) == stamp:
            return m
    m = parse_manifest(Path(path))
    if len(_MANIFEST_CACHE) > 512:
        _MANIFEST_CACHE.clear()
    _MANIFEST_CACHE[path] = (_stamp([path, *(m.includes if m is not None else [])]), m)
    return m


@dataclass
class FolderFiles:
    """What one folder contributes: manifests and lock files."""

    manifests: list[Manifest]
    locks: list[str]


def _scan_folder(folder: Path) -> FolderFiles:
    manifests: list[Manifest] = []
    locks: list[str] = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return FolderFiles([], [])
    for name in names:
        p = folder / name
        if name in LOCK_FILES or any(fnmatch.fnmatch(name, g) for g in _LOCK_GLOBS):
            locks.append(str(p))
            continue
        if name in MANIFEST_NAMES or (name.startswith("requirements") and name.endswith(".txt")):
            if not os.path.isfile(p):
                continue
            m = _parse_manifest_cached(str(p))
            if m is not None:
                manifests.append(m)
    req_dir = folder / "requirements"
    if req_dir.is_dir():
        for p in sorted(req_dir.glob("*.txt")):
            manifests.append(parse_requirements_txt(p))
    for m in manifests:
        if m.hashed:
            locks.append(m.path)
    return FolderFiles(manifests, locks)


# -- data files: DVC and Git LFS -----------------------------------------------------------------

def _lfs_patterns(folder: Path) -> list[str]:
    text = _read(folder / ".gitattributes")
    if not text:
        return []
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and "filter=lfs" in parts[1:]:
            out.append(parts[0])
    return out


def _gitattr_match(pattern: str, rel: str) -> bool:
    """Does a .gitattributes pattern match ``rel`` (a path relative to the file's folder)?"""
    pattern = pattern.lstrip("/") if pattern.startswith("/") else pattern
    if "/" not in pattern.rstrip("/"):
        return fnmatch.fnmatch(os.path.basename(rel), pattern) or any(
            fnmatch.fnmatch(part, pattern.rstrip("/")) for part in rel.split("/")[:-1])
    if pattern.endswith("/**"):
        return rel.startswith(pattern[:-3] + "/")
    pat = pattern.replace("**/", "*")
    return fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel, pattern)


class Project:
    """Shared, cached knowledge about the files around the notebooks of one run."""

    def __init__(self, notebook_paths: list[str] | None = None, strip_outputs: bool = False):
        self.notebook_paths = [os.path.abspath(p) for p in (notebook_paths or [])]
        self.strip_outputs = strip_outputs
        self._cache: dict = {}

    def root_for(self, nb_path: str) -> str:
        return find_root(os.path.dirname(os.path.abspath(nb_path)))

    def folders_up_to_root(self, nb_path: str) -> list[Path]:
        """The notebook's folder and its parents up to (and including) the project root."""
        here = Path(os.path.abspath(nb_path)).resolve().parent
        root = Path(self.root_for(nb_path))
        out = [here]
        if here == root or root not in here.parents:
            return out
        for d in here.parents:
            out.append(d)
            if d == root:
                break
        return out

    def cached(self, key, compute):
        """Memoise ``compute()`` under ``key`` for the life of this project."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def same_basename(self, nb_path: str) -> list[str]:
        """Other notebooks of this run with the same file name (NBH014)."""
        names = self.cached("basenames", lambda: _group_by_name(self.notebook_paths))
        me = os.path.abspath(nb_path)
        return [p for p in names.get(os.path.basename(me), []) if p != me]

    # -- manifests and locks --

    def _folder(self, folder: Path) -> FolderFiles:
        return self.cached(("folder", str(folder)), lambda: _scan_folder(folder))

    def manifests_for(self, nb_path: str) -> list[Manifest]:
        """Environment manifests from the notebook's folder up to the project root, nearest first."""
        return [m for d in self.folders_up_to_root(nb_path) for m in self._folder(d).manifests]

    def lock_files_for(self, nb_path: str) -> list[str]:
        """Lock files (and hashed pip-compile outputs) from the notebook's folder up to the root."""
        return [p for d in self.folders_up_to_root(nb_path) for p in self._folder(d).locks]

    def declared_distributions(self, nb_path: str) -> set[str]:
        """Normalised names of every distribution the manifests declare (and the project itself)."""
        def compute():
            out: set[str] = set()
            for m in self.manifests_for(nb_path):
                out |= m.names
                out |= set(m.provides)
            return out

        return self.cached(("declared", str(Path(os.path.abspath(nb_path)).parent)), compute)

    def manifests_complete(self, nb_path: str) -> bool:
        """False when some manifest could not be fully read (dynamic deps, non-literal setup.py)."""
        return all(m.complete for m in self.manifests_for(nb_path))

    # -- data files --

    def lfs_tracked(self, path: str) -> bool:
        """Is ``path`` matched by a ``filter=lfs`` pattern of a .gitattributes up to the root?"""
        p = Path(os.path.abspath(path))
        root = Path(find_root(str(p.parent)))
        folders = [d for d in p.parents if d == root or root in d.parents]
        for d in folders:
            patterns = self.cached(("lfs", str(d)), lambda d=d: _lfs_patterns(d))
            if not patterns:
                continue
            rel = p.relative_to(d).as_posix()
            if any(_gitattr_match(pat, rel) for pat in patterns):
                return True
        return False

    def dvc_tracked(self, path: str) -> bool:
        """Is ``path`` (or a folder holding it) tracked by DVC (a ``.dvc`` file beside it, or
        listed in a ``dvc.lock`` outs)?"""
        p = Path(os.path.abspath(path))
        root = Path(find_root(str(p.parent)))
        cur = p
        while True:
            if cur.with_name(cur.name + ".dvc").is_file():
                return True
            if cur == root or cur.parent == cur or root not in cur.parents:
                break
            cur = cur.parent
        lock = self.cached(("dvclock", str(root)), lambda: _read(root / "dvc.lock") or "")
        if lock:
            rel = p.relative_to(root).as_posix() if root in p.parents else p.name
            return f"path: {rel}" in lock
        return False

    def data_manifest_text(self, nb_path: str) -> str:
        """Concatenated text of data manifests/checksum files near the notebook (NBR012)."""
        def compute():
            chunks = []
            folders = self.folders_up_to_root(nb_path)
            for d in list(folders):  # and their direct sub-folders (data/x.csv.dvc)
                try:
                    folders += [d / n for n in sorted(os.listdir(d)) if not n.startswith(".") and (d / n).is_dir()
                                and not n.endswith((".dvc", "__pycache__")) and n not in ("node_modules",)]
                except OSError:
                    continue
            for d in dict.fromkeys(folders):
                try:
                    names = sorted(os.listdir(d))
                except OSError:
                    continue
                for name in names:
                    low = name.lower()
                    if (low.endswith(".dvc") or low == "dvc.lock" or ("manifest" in low and "data" in low)
                            or low.startswith(("checksums", "sha256sums", "md5sums")) or low.endswith(
                                (".sha256", ".md5")) or low == "registry.txt"):
                        p = d / name
                        if p.is_file() and p.stat().st_size < 5_000_000:
                            chunks.append(_read(p) or "")
            return "\n".join(chunks)

        return self.cached(("datamanifest", str(Path(os.path.abspath(nb_path)).parent)), compute)


def _group_by_name(paths: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in paths:
        out.setdefault(os.path.basename(p), []).append(p)
    return out
