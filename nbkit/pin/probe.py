"""Ask an interpreter which distributions provide some modules, and at which versions.

This file is self-contained on purpose: ``nbkit pin --python PATH`` sends its source to
another interpreter (``PATH -c``), which may not have nbkit installed and may be an older
Python (3.8+).  So: standard library only, no nbkit imports, no newer syntax.

Request (JSON on stdin, or a dict for :func:`probe`)::

    {"modules": ["numpy", "sklearn"], "aliases": {"sklearn": "scikit-learn"},
     "dists": ["pandas"]}

Reply: the interpreter's version, implementation and platform; for each module the
distributions that provide it with their versions (``null`` when the metadata carries no
version); whether a module without distribution metadata is importable at all; and the
versions of the extra ``dists`` asked for by name.  Nothing else is reported: no paths,
user or host names, or environment variables.
"""

import json
import platform
import sys
import sysconfig

try:  # Python 3.8+
    from importlib import metadata as _md
except ImportError:  # pragma: no cover - Python < 3.8
    import importlib_metadata as _md  # type: ignore


def _version(dist_name):
    """(found, version): found is False when no such distribution is installed."""
    try:
        dist = _md.distribution(dist_name)
    except _md.PackageNotFoundError:
        return False, None
    except Exception:  # broken metadata: installed, but unusable
        return True, None
    try:
        v = dist.metadata["Version"]
    except Exception:
        v = None
    return True, (str(v).strip() or None) if v is not None else None


def _name(dist):
    try:
        n = dist.metadata["Name"]
    except Exception:
        n = None
    return str(n).strip() if n else None


def _packages_distributions():
    """Top-level module -> [distribution names] (importlib.metadata's, or our own before 3.10)."""
    fn = getattr(_md, "packages_distributions", None)
    if fn is not None:
        try:
            return fn()
        except Exception:
            pass
    out: dict[str, list[str]] = {}
    for dist in _md.distributions():
        name = _name(dist)
        if not name:
            continue
        tops = []
        try:
            text = dist.read_text("top_level.txt")
        except Exception:
            text = None
        if text:
            tops = text.split()
        else:
            for f in dist.files or ():
                parts = str(f).replace("\\", "/").split("/")
                if not parts or parts[0].endswith((".dist-info", ".egg-info")) or parts[0] == "..":
                    continue
                top = parts[0]
                if len(parts) == 1:
                    if not top.endswith(".py"):
                        continue
                    top = top[:-3]
                tops.append(top)
        for top in tops:
            out.setdefault(top, []).append(name)
    return out


def _importable(module):
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None  # top-level name: nothing is executed
    except Exception:
        return False


def probe(request):
    modules = [m for m in request.get("modules", []) if isinstance(m, str)]
    aliases = request.get("aliases") or {}
    pkgs = _packages_distributions() if modules else {}
    found = {}
    for module in modules:
        dists = []
        seen = set()
        names = list(pkgs.get(module.split(".")[0], ()))
        alias = aliases.get(module)
        if alias and (not names or _norm(alias) in [_norm(n) for n in names]):
            names = [alias]  # "google.protobuf" -> protobuf, not every google-* namespace package
        if not names:
            # editable installs (a .pth file) list no module files: try the module's own name
            names = [module.split(".")[0]]
        for name in names:
            key = _norm(name)
            if key in seen:
                continue
            seen.add(key)
            ok, version = _version(name)
            if ok:
                dists.append([_canonical(name), version])
        found[module] = {"dists": dists, "importable": True if dists else _importable(module.split(".")[0])}
    extra = {}
    for name in request.get("dists", []):
        if isinstance(name, str):
            extra[name] = _version(name)[1]
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": sysconfig.get_platform(),
        "modules": found,
        "dists": extra,
    }


def _norm(name):
    return name.lower().replace("_", "-").replace(".", "-")


def _canonical(name):
    """The distribution's own spelling of its name (from its metadata), else as given."""
    try:
        return _name(_md.distribution(name)) or name
    except Exception:
        return name


def main():
    request = json.loads(sys.stdin.read() or "{}")
    sys.stdout.write(json.dumps(probe(request)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
