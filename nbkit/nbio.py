"""Finding notebooks on disk and writing them back atomically, in their own JSON style.

Writers never leave a half-written notebook: they write a temporary file in the same folder,
flush it to disk and rename it over the original (keeping its permissions).  The JSON is
serialised the way the original was (indent, key order, ASCII escaping, final newline), so a
change touches only the bytes it claims to.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from . import tmpfile
from .errors import NbkitError, NoNotebooksError, NotebookError
TYPE_CHECKING = False  # (not typing's: importing this module should stay cheap)
if TYPE_CHECKING:
    from .jsonedit import JsonStyle as JsonStyle  # re-exported: the file's JSON style
    from .jsonedit import detect_style as detect_style
    from .jsonedit import dumps as dumps
    from .jsonedit import updated_document as updated_document

_FROM_JSONEDIT = ("JsonStyle", "detect_style", "dumps", "updated_document")


def __getattr__(name: str) -> object:
    """The JSON-style names of :mod:`nbkit.jsonedit`, re-exported, loaded on first use (finding
    notebooks, which a run answered from the lint cache does, needs none of them)."""
    if name in _FROM_JSONEDIT:
        from . import jsonedit

        return getattr(jsonedit, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

SKIP_DIRS = {".ipynb_checkpoints", "node_modules", "__pycache__", "site-packages"}


def is_excluded(path: str, exclude: list[str], roots: list[str] | tuple[str, ...] = ()) -> bool:
    """Whether an ``exclude`` glob (``[tool.nbkit.lint] exclude``) skips ``path``.

    A glob matches the path, or names one of its folders (``build/``).  With ``roots``, the
    path is matched relative to each root instead of as given.
    """
    if not exclude:
        return False
    if roots:
        candidates = set()
        for base in roots:
            try:
                candidates.add(os.path.relpath(path, base))
            except ValueError:  # another drive (Windows)
                pass
    else:
        candidates = {path}
    for candidate in candidates:
        rel = candidate.replace(os.sep, "/")
        if any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(rel, g.rstrip("/") + "/*")
               or f"/{g.strip('/')}/" in f"/{rel}/" for g in exclude):
            return True
    return False


def discover(paths: list[str], exclude: list[str] | None = None,
             real: dict[str, str] | None = None) -> tuple[list[str], list[NbkitError]]:
    """Expand files and folders into notebook paths (sorted, de-duplicated).

    Folders are searched recursively, skipping hidden folders, checkpoints and
    ``exclude`` globs.  Problems (a missing path, a folder without notebooks) come back
    as errors rather than exceptions so the rest of the run goes on.  ``real``: filled with
    each notebook's ``os.path.realpath`` (the key it was de-duplicated by).
    """
    found: list[str] = []
    errors: list[NbkitError] = []
    seen: set[str] = set()
    exclude = exclude or []

    def excluded(p: str) -> bool:
        return is_excluded(p, exclude)

    real_dirs: dict[str, str] = {}

    def add(p: str, key: str | None = None) -> None:
        if key is None:
            # a file given by name that is no symlink resolves to its folder, resolved once per
            # folder, joined with its name (one lstat, not one a level: a run given 500 notebooks)
            folder, name = os.path.split(p)
            if os.path.islink(p) or name in ("", ".", ".."):
                key = os.path.realpath(p)
            else:
                real_folder = real_dirs.get(folder)
                if real_folder is None:
                    real_folder = real_dirs[folder] = os.path.realpath(folder)
                key = os.path.join(real_folder, name)
        if key not in seen:
            seen.add(key)
            found.append(p)
            if real is not None:
                real[p] = key

    for path in paths:
        if not os.path.exists(path):
            errors.append(NotebookError(_missing(path), path))
        elif os.path.isdir(path):
            before = len(found)
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS
                                     and not excluded(os.path.join(dirpath, d)))
                real_dir = None
                for f in sorted(filenames):
                    full = os.path.join(dirpath, f)
                    if f.endswith(".ipynb") and not f.startswith(".") and not excluded(full):
                        # the folder resolved once: a notebook that is no symlink resolves to
                        # the resolved folder joined with its name (one lstat, not one a level)
                        if real_dir is None:
                            real_dir = os.path.realpath(dirpath)
                        add(os.path.normpath(full), None if os.path.islink(full) else os.path.join(real_dir, f))
            if len(found) == before:
                errors.append(NoNotebooksError("no notebooks (*.ipynb) found in this directory", path))
        else:
            add(path)
    return found, errors


def _missing(path: str) -> str:
    """Why ``path`` (which does not exist as far as ``os.path.exists`` can tell) cannot be read."""
    import errno

    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symbolic link loop (the link leads back to itself), not a notebook"
        if os.path.islink(path):
            return "broken symbolic link (its target does not exist)"
        if e.errno not in (errno.ENOENT, errno.ENOTDIR):
            return f"cannot read file ({e.strerror or e})"
    except ValueError:  # a NUL byte in the path
        return "not a valid path"
    return "no such file or directory"


def _new_file_mode() -> int:
    """What ``open(path, "w")`` would give a new file (mkstemp alone gives 0600)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: str | os.PathLike, payload: bytes) -> None:
    """Create or replace a file nbkit owns (a report, a new notebook) with ``payload``
    atomically, keeping the permission bits of a file it replaces.

    Not for a notebook nbkit read and changes: that is :func:`replace_if_unchanged`, which
    refuses when the file changed since it was read."""
    p = Path(path)
    if p.exists() and not os.access(p, os.W_OK):
        raise NbkitError("file is read-only; nothing was written", str(p))
    target = Path(os.path.realpath(p))  # through a symlink: the link stays, its target is replaced
    try:
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else _new_file_mode()
        fd, tmp = tmpfile.create(str(target.parent), f".{target.name}.", ".nbkit-tmp")
    except OSError as e:
        raise NbkitError(f"cannot write ({e.strerror or e}); nothing was written", str(p)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as e:
        _unlink_quietly(tmp)
        if isinstance(e, OSError):
            raise NbkitError(f"cannot write ({e.strerror or e}); nothing was written", str(p)) from None
        raise


# -- compare-and-replace: the one writer of a notebook nbkit read ---------------------------------

CHANGED_ON_DISK = "changed on disk while nbkit worked; nothing written"


class ChangedOnDiskError(NbkitError):
    """The file is no longer what nbkit read: another program saved it meanwhile (exit 2)."""


@dataclass(frozen=True)
class ReadSnapshot:
    """A notebook's bytes and the identity of the file they were read from.

    ``target`` is the real file (through symlinks); ``size``, ``mtime_ns``, ``inode`` and
    ``device`` come from the same open file the bytes were read from, so they describe exactly
    those bytes."""

    path: str
    target: str
    data: bytes
    size: int
    mtime_ns: int
    inode: int
    device: int
    mode: int
    uid: int
    gid: int

    @property
    def digest(self) -> str:
        """The SHA-256 of the bytes read (computed when asked: only a writer compares it)."""
        import hashlib  # (here: `nbkit lint` answered from the cache need not load it)
        return hashlib.sha256(self.data).hexdigest()

    def same_file(self, st: os.stat_result) -> bool:
        return (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns) == (self.inode, self.device, self.size,
                                                                       self.mtime_ns)


def read_snapshot(path: str | os.PathLike) -> ReadSnapshot:
    """Read a notebook's bytes and stat them (from one open file), for :func:`replace_if_unchanged`.

    Raises :class:`NotebookError` (one line naming the file) when it cannot be read."""
    p = os.fspath(path)
    try:
        target = os.path.realpath(p)
        with open(target, "rb") as fh:
            st = os.fstat(fh.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise NotebookError("is a directory, not a notebook", p)
            data = fh.read()
    except FileNotFoundError:
        raise NotebookError("no such file or directory", p) from None
    except IsADirectoryError:
        raise NotebookError("is a directory, not a notebook", p) from None
    except OSError as e:
        raise NotebookError(f"cannot read file ({e.strerror or e})", p) from None
    except (RuntimeError, ValueError) as e:  # a symlink loop on some Pythons, NUL in a path
        raise NotebookError(f"cannot read file ({e})", p) from None
    return ReadSnapshot(p, target, data, st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev,
                        stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)


def jupyter_save_in_progress(path: str | os.PathLike) -> str | None:
    """The backup jupyter_server keeps while it saves a file (``.~name``), if present."""
    p = Path(path)
    backup = p.with_name(".~" + p.name)
    return str(backup) if os.path.lexists(backup) else None


def is_read_only(path: str | os.PathLike) -> bool:
    """No write permission, or no write bit at all (which even root should respect)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not os.access(path, os.W_OK) or not (mode & 0o222)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _fd_holds(fd: int, original: ReadSnapshot) -> bool:
    """Whether the open file ``fd`` is still the file (and holds the bytes) ``original`` read."""
    st = os.fstat(fd)
    if not original.same_file(st):
        return False
    import hashlib  # (here: `nbkit lint` answered from the cache need not load it)
    digest = hashlib.sha256()
    offset = 0
    while True:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            break
        digest.update(chunk)
        offset += len(chunk)
    return offset == original.size and digest.hexdigest() == original.digest


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_exchange_state: dict[str, object] = {}


def _exchange(a: str, b: str) -> bool:
    """Swap the files at ``a`` and ``b`` atomically (Linux ``renameat2(RENAME_EXCHANGE)``).
    False when the system or the file system cannot (the caller falls back to ``os.replace``)."""
    fn = _exchange_state.get("fn")
    if fn is None and "fn" not in _exchange_state:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            fn = getattr(libc, "renameat2", None)
            if fn is not None:
                fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
                fn.restype = ctypes.c_int
        except (OSError, AttributeError):
            fn = None
        _exchange_state["fn"] = fn
    if fn is None:
        return False
    import ctypes
    import errno

    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:  # type: ignore[operator]
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), b)


def replace_if_unchanged(path: str | os.PathLike, original: ReadSnapshot, payload: bytes, *,
                         doing: str | None = None) -> None:
    """Replace the notebook ``original`` was read from with ``payload``, atomically, only if the
    file is still exactly what was read; else raise :class:`ChangedOnDiskError`, writing nothing.

    Every writer of a user's notebook goes through here (``lint --fix``, ``pin``, REST and
    ``%nbkit pin``, ``verify --update/--stamp``).  Through a symlink the link's target is
    replaced (the temporary file is made beside the target) and the link is kept.  The
    target's permission bits (and, when nbkit runs as root, its owner) are kept.

    The order closes the race with another program saving the file as far as the system allows:
    the payload is written and flushed to a temporary file first; then the file is opened and
    compared with what was read (inode, size, mtime and SHA-256 of the bytes); then, on Linux,
    the temporary file and the notebook are swapped with one ``renameat2(RENAME_EXCHANGE)`` and
    the file that was swapped out is checked again: if it is not the one compared (a save landed
    between the check and the swap) it is swapped back, and the newer save is kept.  Elsewhere
    ``os.replace`` follows the check at once (a window of microseconds; docs/reliability.md).
    ``doing`` (``"pinning"``) names the work in the refusal."""
    p = os.fspath(path)
    changed = CHANGED_ON_DISK + (f" (another program saved it while nbkit was {doing} it; run again)"
                                 if doing else " (another program saved it meanwhile; run again)")
    target = os.path.realpath(p)
    if target != original.target:
        raise ChangedOnDiskError(changed, p)
    if is_read_only(target):
        raise NbkitError("file is read-only; nothing was written", p)
    backup = jupyter_save_in_progress(target)
    if backup:
        raise NbkitError(f"Jupyter is saving this file (or a save was interrupted: {os.path.basename(backup)} "
                         "exists); nothing was written, try again", p)
    folder, name = os.path.split(target)
    try:
        fd, tmp = tmpfile.create(folder, f".{name}.", ".nbkit-tmp")
    except OSError as e:
        raise NbkitError(f"cannot write ({e.strerror or e}); nothing was written", p) from None
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            os.fchmod(fd, original.mode)
            if os.geteuid() == 0 and (original.uid, original.gid) != (0, 0):
                os.fchown(fd, original.uid, original.gid)
            os.fsync(fd)
        finally:
            os.close(fd)
        _swap_in(p, target, tmp, original, changed)
    except BaseException as e:
        _unlink_quietly(tmp)
        if isinstance(e, OSError):
            raise NbkitError(f"cannot write ({e.strerror or e}); nothing was written", p) from None
        raise


def _swap_in(p: str, target: str, tmp: str, original: ReadSnapshot, changed: str) -> None:
    """The compare and the replace of :func:`replace_if_unchanged` (``tmp`` holds the payload)."""
    try:
        held = os.open(target, os.O_RDONLY)
    except FileNotFoundError:
        raise ChangedOnDiskError(changed, p) from None
    try:
        if not _fd_holds(held, original) or jupyter_save_in_progress(target):
            raise ChangedOnDiskError(changed, p)
        if not _exchange(tmp, target):
            os.replace(tmp, target)  # no exchange here: the check above was the last look
            _fsync_folder(os.path.dirname(target))
            return
        # ``tmp`` now names the file that was at ``target``: the one compared, unless a save
        # landed between the compare and the swap (or wrote into it meanwhile)
        try:
            out = os.stat(tmp)
            same = (out.st_ino, out.st_dev) == (original.inode, original.device) and _fd_holds(held, original)
        except OSError:
            same = False
        if not same or jupyter_save_in_progress(target):
            _exchange(tmp, target)  # put the newer save back; ``tmp`` (our payload) is then removed
            raise ChangedOnDiskError(changed, p)
        _unlink_quietly(tmp)
        _fsync_folder(os.path.dirname(target))
    finally:
        os.close(held)


def _fsync_folder(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_notebook(path: str | os.PathLike, data: dict, original: bytes | ReadSnapshot | None = None) -> None:
    """Serialise ``data`` in the style of ``original`` (nbformat's by default) and write it.

    With a :class:`ReadSnapshot` the write is a :func:`replace_if_unchanged` of the changes
    only (see :func:`nbkit.jsonedit.updated_document`); with bytes (or nothing) the file must
    still hold those bytes."""
    snap = original if isinstance(original, ReadSnapshot) else None
    if snap is None:
        if not os.path.lexists(path):
            from .jsonedit import dumps

            atomic_write_bytes(path, dumps(data))
            return
        snap = read_snapshot(path)
        if original is not None and snap.data != original:
            raise ChangedOnDiskError(CHANGED_ON_DISK, os.fspath(path))
    from .jsonedit import updated_document

    replace_if_unchanged(path, snap, updated_document(snap.data, data))
