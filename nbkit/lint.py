"""The lint runner: select rules, run them over notebooks, apply suppressions and fixes.

Pure library code: no printing, no CLI.  ``lint_paths`` never raises for a bad notebook; the
problem comes back in :attr:`LintResult.errors` and the other notebooks are still linted.
"""

from __future__ import annotations

import copy
import fnmatch
import gc
import os
from collections import Counter
from contextlib import contextmanager, nullcontext

from . import rules as registry
from .analysis import Facts, ParseCache
from .config import Config
from .cooperate import checkpoint
from .errors import NbkitError
from .findings import Finding, Severity, from_rows, to_rows
from .lintresult import LintResult
from .model import Notebook, notebook_from_dict, parse_notebook, read_bytes
from .nbio import (CHANGED_ON_DISK, ChangedOnDiskError, ReadSnapshot, discover, is_read_only, read_snapshot,
                   replace_if_unchanged)
from .project import Project
from .rules import Context, Rule
from .suppression import Suppressions


class Selection:
    """Which rules run, at which severity, for which file (config + command-line flags)."""

    def __init__(self, config: Config, select: list[str] | None = None, ignore: list[str] | None = None,
                 profile: str | None = None):
        self.config = config
        self.profile = profile or config.profile
        chosen = select if select else config.select
        codes: set[str] = set()
        if chosen:
            for s in chosen:
                codes |= registry.expand(s)
        else:
            codes = {r.code for r in registry.all_rules(static_only=True)}
        for s in config.extend_select:
            codes |= registry.expand(s)
        for s in [*config.ignore, *(ignore or [])]:
            codes -= registry.expand(s)
        self.rules: list[Rule] = [r for r in registry.all_rules(static_only=True) if r.code in codes]
        self.severity_override = {}
        for key, sev in config.severity.items():
            for code in registry.expand(key):
                self.severity_override[code] = sev
        self._pfi = [(glob, set().union(*(registry.expand(c) for c in codes_)))
                     for glob, codes_ in config.per_file_ignores.items()]
        self._prepared: dict[str, tuple[Rule, dict, Severity | None, bool]] = {}

    def prepared(self, rule: Rule) -> tuple[dict, Severity | None, bool]:
        """What the runner needs of ``rule`` for every notebook, worked out once per selection:
        its options (the defaults overlaid with the config's; rules read them, never change
        them), the severity of a hit that names none, and whether it is fixable."""
        found = self._prepared.get(rule.code)
        if found is None or found[0] is not rule:
            found = self._prepared[rule.code] = (rule, self.config.options_for(rule), self.severity(rule, None),
                                                 rule.fixable)
        return found[1], found[2], found[3]

    def severity(self, rule: Rule, hit_severity: Severity | None) -> Severity | None:
        """The effective severity of a hit, or None when the profile turns it off."""
        if rule.code in self.severity_override:
            return self.severity_override[rule.code]
        sev = hit_severity or rule.severity
        if self.profile == "exploratory" and rule.code[:3] in ("NBL", "NBD"):
            if rule.code == "NBD008":
                return None
            if sev == Severity.ERROR:
                return Severity.WARNING
            if sev == Severity.INFO and rule.code.startswith("NBD"):
                return None
        return sev

    def rules_for(self, path: str) -> list[Rule]:
        if not self._pfi:
            return self.rules
        root = self.config.root or os.getcwd()
        rel = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
        name = os.path.basename(path)
        off: set[str] = set()
        for glob, codes in self._pfi:
            if fnmatch.fnmatch(rel, glob) or fnmatch.fnmatch(name, glob) or fnmatch.fnmatch(path, glob):
                off |= codes
        return [r for r in self.rules if r.code not in off]


# -- running -----------------------------------------------------------------------------------

def lint_notebook(nb: Notebook, selection: Selection, project: Project | None = None,
                  parse_cache: ParseCache | None = None, facts: Facts | None = None) -> list[Finding]:
    """All findings for one loaded notebook, sorted by cell and line.

    The facts the rules share are computed for this notebook only and dropped with it (pass
    ``facts``, a :class:`Facts` of ``nb``, to read them afterwards, e.g. the layout checklist);
    ``parse_cache`` (kept by a long-lived caller such as the server; or the one ``facts`` has)
    re-uses the parsed cells of the notebook's last lint.
    """
    project = project or Project([nb.path], strip_outputs=selection.config.strip_outputs)
    findings: list[Finding] = []
    suppressions = Suppressions()
    if facts is None:
        facts = Facts(nb, parse_cache)
    if facts.parse_cache is not None:
        facts.parse_cache.begin()
    config = selection.config
    path = nb.path
    # whether the notebook has what rules require, by requirement tuple: Rule.applies reads only
    # the notebook, ctx.facts and ctx.project, which are the same for every rule of this notebook
    applies: dict[tuple[str, ...], bool] = {(): True}
    for rule in selection.rules_for(path):
        checkpoint()  # a large notebook's lint gives way here (nbkit/cooperate.py)
        options, base_severity, fixable = selection.prepared(rule)
        ctx = Context(options, project, config, facts, rule.options)
        ok = applies.get(rule.requires)
        if ok is None:
            ok = applies[rule.requires] = rule.applies(nb, ctx)
        if not ok:
            continue
        try:
            assert rule.check is not None  # the selection holds static rules: each has a check
            hits = list(rule.check(nb, ctx))
        except Exception as e:  # noqa: BLE001 - a crashing rule is a finding, not a crash
            findings.append(Finding(path=nb.path, code=rule.code, name=rule.name, severity=Severity.WARNING,
                                    message=f"internal error: rule {rule.code} ({rule.name}) crashed on this "
                                            f"notebook ({type(e).__name__}: {e}); please report it"))
            continue
        code = rule.code
        for hit in hits:
            sev = selection.severity(rule, Severity.parse(hit.severity)) if hit.severity else base_severity
            if sev is None:
                continue
            cell = hit.cell
            if suppressions.suppressed(code, cell, hit.line):
                continue
            findings.append(Finding(
                path, code, rule.name, sev, hit.message,
                cell.index if cell is not None else None,
                cell.id if cell is not None else None,
                hit.line, fixable and hit.fixable is not False,
            ))
    findings.sort(key=lambda f: f.sort_key)
    return findings


def fixed_data(nb: Notebook, selection: Selection, findings: list[Finding], project: Project | None = None,
               passes: int = 3) -> tuple[dict, int]:
    """The notebook's JSON document with the fixers of the rules that reported something fixable
    applied, and how many fixers changed it.

    Each fixer gets the JSON document and a freshly parsed model of it, so fixers never see
    stale cell indices.  A fix can make another one possible (a title fits once the sections
    under it are there): up to ``passes`` rounds run, until nothing fixable is left."""
    data, applied = _fix_round(nb, selection, findings)
    total = applied
    for _ in range(passes - 1):
        if not applied:
            break
        model = notebook_from_dict(data, nb.path)
        again = lint_notebook(model, selection, project)
        if not any(f.fixable for f in again):
            break
        data, applied = _fix_round(model, selection, again)
        total += applied
    return data, total


def _fix_round(nb: Notebook, selection: Selection, findings: list[Finding]) -> tuple[dict, int]:
    wanted = {f.code for f in findings if f.fixable}
    data = copy.deepcopy(nb.data) if wanted else nb.data
    applied = 0
    for rule in selection.rules_for(nb.path) if wanted else ():
        if rule.code not in wanted or rule.fix is None:
            continue
        model = notebook_from_dict(data, nb.path)
        ctx = Context(options=selection.config.options_for(rule), defaults=rule.options, config=selection.config,
                      facts=Facts(model))
        if rule.fix(data, model, ctx):
            applied += 1
    return data, applied


def fix_refusal(nb: Notebook) -> str | None:
    """Why ``--fix`` must not write this notebook (None: it may)."""
    if nb.upgraded_from is not None:
        return (f"nbformat {nb.upgraded_from} notebook: --fix does not upgrade it; upgrade it first with "
                f"`jupyter nbconvert --to notebook --nbformat 4 --inplace {nb.path}`; nothing was written")
    if is_read_only(nb.path):
        return "file is read-only; nothing was written"
    return None


def apply_fixes(nb: Notebook, selection: Selection, findings: list[Finding],
                original: bytes | ReadSnapshot) -> int:
    """Run the fixers of the rules that reported something fixable and write the result through
    the one compare-and-replace writer (only the changed values' bytes change).

    ``original`` is what the notebook was read as (a :class:`ReadSnapshot`, or its bytes: then
    the file must still hold them).  Returns the number of fixers that changed the notebook."""
    return _fix_and_write(nb, selection, findings, original)[0]


def _fix_and_write(nb: Notebook, selection: Selection, findings: list[Finding],
                   original: bytes | ReadSnapshot, project: Project | None = None) -> tuple[int, bytes | None]:
    if not any(f.fixable for f in findings):
        return 0, None
    refusal = fix_refusal(nb)
    if refusal:
        raise NbkitError(refusal, nb.path)
    data, applied = fixed_data(nb, selection, findings, project)
    if not applied:
        return 0, None
    snapshot = original if isinstance(original, ReadSnapshot) else read_snapshot(nb.path)
    if not isinstance(original, ReadSnapshot) and snapshot.data != original:
        raise ChangedOnDiskError(CHANGED_ON_DISK, nb.path)
    from . import jsonedit  # (here: a lint that fixes nothing does not import it)

    payload = jsonedit.updated_document(snapshot.data, data)
    if payload == snapshot.data:
        return 0, None
    replace_if_unchanged(nb.path, snapshot, payload, doing="fixing")
    return applied, payload


def fixes_count(before: list[Finding], after: list[Finding]) -> int:
    """How many fixable findings of ``before`` are gone in ``after`` (a finding is known by its
    rule, cell and message: a missing section that --fix inserted may still be reported as empty,
    which is another finding of the same rule)."""
    left = Counter((f.code, f.cell_id, f.message) for f in after)
    gone = 0
    for f in before:
        if not f.fixable:
            continue
        key = (f.code, f.cell_id, f.message)
        if left[key]:
            left[key] -= 1
        else:
            gone += 1
    return gone


def lint_paths(paths: list[str], config: Config, *, select: list[str] | None = None,
               ignore: list[str] | None = None, profile: str | None = None, fix: bool = False,
               jobs: int | None = 1, project_paths: list[str] | None = None,
               cache: bool | str = False) -> LintResult:
    """Lint files and folders.  Unreadable inputs are collected as errors; the run goes on.

    ``jobs`` > 1 lints in that many worker processes (0 or None: one per core, for runs of
    many notebooks); findings and errors come back in the same order as a serial run.
    ``project_paths``: the notebooks project-wide rules see (NBH014); default the linted ones.
    ``cache``: True keeps findings in the persistent lint cache (:mod:`nbkit.lintcache`) at the
    project root (or ``$NBKIT_CACHE_DIR``), a string is the cache folder; never with ``fix``.
    """
    result = LintResult()
    nb_paths, result.errors = discover(paths, config.exclude)
    result.paths = nb_paths
    everyone = project_paths if project_paths is not None else nb_paths
    selection = Selection(config, select=select, ignore=ignore, profile=profile)  # bad selectors fail here
    store = _open_cache(cache, everyone, config, select, ignore, profile) if cache and not fix else None
    try:
        if store is not None:  # (nbkit.lintcache is imported only for a run that uses the cache)
            from .lintcache import lookup_all

            hits = lookup_all(store, nb_paths)
        else:
            hits = {}
        todo = [p for p in nb_paths if p not in hits]
        linted = LintResult() if hits else result
        workers = _workers(jobs, len(todo))
        if workers > 1:
            _lint_parallel(linted, todo, workers, (config, select, ignore, profile, fix, store), everyone, selection)
        else:
            _lint_into(linted, todo, selection, Project(everyone, strip_outputs=config.strip_outputs), fix, store)
    finally:
        if store is not None:
            store.close()  # (the entries still queued are written)
    if hits:  # the cached and the linted notebooks' findings, in the order of the run
        by_path: dict[str, list[Finding]] = {}
        for f in linted.findings:
            by_path.setdefault(f.path, []).append(f)
        for path in nb_paths:
            result.findings.extend(from_rows(path, hits[path]) if path in hits else by_path.get(path, []))
        result.errors.extend(linted.errors)
        result.notebooks = len(hits) + linted.notebooks
    return result


def _open_cache(cache: bool | str, nb_paths: list[str], config: Config, select, ignore, profile):
    from .lintcache import open_cache

    return open_cache(cache, nb_paths, config, select, ignore, profile)





MIN_NOTEBOOKS_PER_WORKER = 16  # below this, starting workers costs more than it saves


def _cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and ``taskset``
    narrow; ``os.cpu_count()`` counts the machine's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _workers(jobs: int | None, n: int) -> int:
    if not jobs:
        jobs = min(_cores(), n // MIN_NOTEBOOKS_PER_WORKER)
    return max(1, min(jobs, n))


GC_THRESHOLD0 = 20_000  # young objects between cycle collections while linting (Python's default: 700)


@contextmanager
def _fewer_collections():
    """Run the cycle collector less often while linting: a syntax tree is thousands of
    short-lived objects without cycles (they are freed by reference counting), and the default
    threshold makes the collector scan them over and over (about 7% of the CPU time of a
    folder run).  The thresholds are restored afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], GC_THRESHOLD0), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _lint_into(result: LintResult, nb_paths: list[str], selection: Selection, project: Project,
               fix: bool, store=None) -> None:
    with _fewer_collections():
        _lint_each(result, nb_paths, selection, project, fix, store)


def _lint_each(result: LintResult, nb_paths: list[str], selection: Selection, project: Project,
               fix: bool, store=None, rows_out: dict[str, list] | None = None) -> None:
    """``rows_out``: filled with the rows (:func:`~nbkit.findings.to_rows`) of each notebook whose
    findings were stored in the lint cache (a worker sends the same rows back)."""
    for path in nb_paths:
        snapshot = None
        try:
            if store is None:
                snapshot = read_snapshot(path)
                nb = parse_notebook(snapshot.data, path)
            else:
                entries, probe = store.lookup(path, read_bytes)
                if entries is not None:
                    result.notebooks += 1
                    result.findings.extend(from_rows(path, entries))
                    continue
                nb = parse_notebook(probe.data, path)
        except NbkitError as e:
            result.errors.append(e)
            continue
        result.notebooks += 1
        if store is not None:
            from .lintcache import recording_stats

            with recording_stats() as stats:
                findings = lint_notebook(nb, selection, project)
            rows = to_rows(findings)
            store.put(path, probe, rows, stats)
            if rows_out is not None:
                rows_out[path] = rows
        else:
            findings = lint_notebook(nb, selection, project)
        if fix and snapshot is not None and any(f.fixable for f in findings):
            try:
                _, payload = _fix_and_write(nb, selection, findings, snapshot, project)
            except NbkitError as e:
                result.errors.append(e)
                payload = None
            if payload is not None:  # lint what was written (not the file again: it may be saved anew)
                after = lint_notebook(parse_notebook(payload, path), selection, project)
                result.fixed[path] = fixes_count(findings, after)
                findings = after
        result.findings.extend(findings)


# -- worker processes (``jobs`` > 1) -------------------------------------------------------------
#
# The parent lints one notebook itself first (the smallest), then forks the workers: what that
# lint made once per process - the lazy imports, compiled patterns, the project's folder scans and
# manifests, the lint cache's folder listings, the installed-distribution lookups - is inherited
# by every worker instead of being made again in each (and, before, in each chunk).  The workers
# take small tasks, the largest notebooks first, so both cores finish together; a task's findings
# come back as plain tuples (cheaper to pickle than dataclasses) and the parent puts every
# notebook's results back in the order of the run.

_WORKER: dict = {}  # a worker process's selection, project, fix flag and lint cache (see _start_worker)


def _start_worker(state: tuple, prepared: bool) -> None:
    """Worker process start-up.  ``prepared``: ``state`` is the parent's ``(selection, project,
    fix, store)``, inherited by fork with everything they cached (nothing is pickled); else the
    settings to build them from (spawn: a fresh interpreter)."""
    if prepared:
        selection, project, fix, store = state
    else:
        config, select, ignore, profile, fix, store, all_paths = state
        selection = Selection(config, select=select, ignore=ignore, profile=profile)
        project = Project(all_paths, strip_outputs=config.strip_outputs)
    _WORKER.update(selection=selection, project=project, fix=fix, store=store, watch=_watch_parent())
    # a worker only lints: collect as rarely as _fewer_collections does, for its whole life
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], GC_THRESHOLD0), *before[1:])


class _ParentWatch:
    """A worker ends with the process that started it (see :func:`_watch_parent`): ``busy`` is
    held while the worker lints a notebook or writes lint cache entries (``with watch:``, which
    ends the process instead when the parent is gone), ``gone`` is set once the parent is seen
    dead."""

    __slots__ = ("busy", "gone")

    def __init__(self, busy) -> None:
        self.busy = busy
        self.gone = False

    def __enter__(self) -> None:
        self.busy.acquire()
        if self.gone:
            os._exit(1)

    def __exit__(self, *exc) -> None:
        self.busy.release()


def _watch_parent() -> _ParentWatch | None:
    """The pool stops its workers when the run ends or is interrupted, but a parent killed
    outright (SIGKILL, the out-of-memory killer, a CI step's timeout that kills only the process
    it started) cannot: its workers would wait for their next task for ever.  A thread notices
    the parent's death and ends this worker: at once when it is waiting for a task, else when
    the notebook it is linting (a notebook being fixed is never left half written) or the lint
    cache entries it is writing are done; no other notebook is started.  Entries not written
    yet are lost: a miss next time.

    It waits on the parent's sentinel, a pipe whose other end the parent holds, and checks every
    half second that the parent is still its parent: with fork, a worker started later holds
    that end too, so the sentinel of an earlier worker is closed only once every later one has
    ended.  None when there is no parent to watch."""
    import multiprocessing
    import threading

    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None)
    if parent is None or sentinel is None:
        return None
    parent_pid = parent.pid
    watch = _ParentWatch(threading.Lock())

    def run() -> None:
        from multiprocessing.connection import wait

        while not wait([sentinel], timeout=0.5) and os.getppid() == parent_pid:
            pass
        watch.gone = True  # the main thread starts no other notebook
        watch.busy.acquire()  # (never released: the process ends)
        os._exit(1)

    threading.Thread(target=run, name="nbkit-lint-parent-watch", daemon=True).start()
    return watch


def _lint_task(task: list[tuple[int, str]]) -> list[tuple]:
    """Worker: lint the notebooks of one task (``(index in the run, path)`` pairs); per notebook
    ``(index, notebooks linted, findings as rows (:meth:`~nbkit.findings.Finding.to_row`: the
    notebook's path is the task's), errors, fixes applied or None)``."""
    w = _WORKER
    busy = w["watch"] or nullcontext()  # (see _watch_parent)
    out = []
    stored: dict[str, list] = {}
    for i, path in task:
        sub = LintResult()
        with busy:
            _lint_each(sub, [path], w["selection"], w["project"], w["fix"], w["store"], stored)
        rows = stored.pop(path, None)  # (the rows the lint cache stored: not made twice)
        out.append((i, sub.notebooks, to_rows(sub.findings) if rows is None else rows, sub.errors,
                    sub.fixed.get(path)))
    if w["store"] is not None:
        with busy:
            w["store"].flush()  # the task's entries, in one transaction
    return out


def _tasks(items: list[tuple[int, str]], workers: int, sizes: list[int]) -> list[list[tuple[int, str]]]:
    """The notebooks in tasks so that the workers run out of work together: runs of notebooks
    in the order of the run (a folder's notebooks mostly in one worker, which then scans that
    folder's project files alone), each a quarter of a worker's share of the bytes left (a
    notebook's lint time grows with its size): large tasks first, few round trips; then the
    smallest notebooks one by one, largest first, so the last task is a short one."""
    tail = sorted(items, key=lambda item: sizes[item[0]])[:min(len(items) // 20, workers * 16)]
    tail.reverse()
    in_tail = {i for i, _ in tail}
    left = sum(sizes[i] for i, _ in items)
    tasks: list[list[tuple[int, str]]] = []
    chunk: list[tuple[int, str]] = []
    taken = 0
    for item in items:
        if item[0] in in_tail:
            continue
        chunk.append(item)
        taken += sizes[item[0]]
        if taken * workers * 4 >= left:
            tasks.append(chunk)
            left -= taken
            chunk, taken = [], 0
    if chunk:
        tasks.append(chunk)
    return tasks + [[item] for item in tail]


def _lint_parallel(result: LintResult, nb_paths: list[str], workers: int, settings: tuple,
                   all_paths: list[str] | None = None, selection: Selection | None = None) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    config, select, ignore, profile, fix, store = settings
    everyone = all_paths or nb_paths
    fork = "fork" in multiprocessing.get_all_start_methods()
    items = list(enumerate(nb_paths))
    sizes = [_size(p, store) for p in nb_paths]
    done: dict[int, tuple] = {}  # index -> (notebooks, findings, errors, fixes)
    if fork:
        selection = selection or Selection(config, select=select, ignore=ignore, profile=profile)
        project = Project(everyone, strip_outputs=config.strip_outputs)
        first = min(items, key=lambda item: sizes[item[0]])
        sub = LintResult()
        with _fewer_collections():
            _lint_each(sub, [first[1]], selection, project, fix, store)
        done[first[0]] = (sub.notebooks, sub.findings, sub.errors, sub.fixed.get(first[1]))
        items.remove(first)
        if store is not None:
            store.close()  # its entry written, and no database connection crosses the fork
        state: tuple = (selection, project, fix, store)
    else:
        state = (*settings, everyone)
    with _fewer_collections():
        # the parent's objects go to the collector's permanent generation while the workers are
        # forked: a worker's collections never scan them (nor copy their memory pages to do so).
        # gc.unfreeze() is process-wide: a caller that froze objects itself (the server) keeps them
        # frozen, and then this run does not freeze or unfreeze at all
        ours = gc.get_freeze_count() == 0
        if ours:
            gc.freeze()
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(
                    "fork" if fork else "spawn"), initializer=_start_worker, initargs=(state, fork)) as pool:
                futures = []
                for task in _tasks(items, workers, sizes):
                    futures.append(pool.submit(_lint_task, task))
                    if ours:
                        gc.unfreeze()  # forked at the first submit
                for future in futures:
                    for i, notebooks, rows, errors, fixed in future.result():
                        done[i] = (notebooks, from_rows(nb_paths[i], rows), errors, fixed)
        finally:
            if ours:
                gc.unfreeze()
    for i, path in enumerate(nb_paths):  # the order of a serial run
        notebooks, findings, errors, fixed = done[i]
        result.notebooks += notebooks
        result.findings.extend(findings)
        result.errors.extend(errors)
        if fixed is not None:
            result.fixed[path] = fixed


def _size(path: str, store=None) -> int:
    """A notebook's file size (at least 1: every notebook costs something); from the lint cache
    ``store`` when its lookup stat-ed the notebook already (it found no entry for it)."""
    known = store.known_size(path) if store is not None else None
    if known is not None:
        return max(1, known)
    try:
        return max(1, os.stat(path).st_size)
    except (OSError, ValueError):
        return 1


def lint_source(content: dict | str | bytes, path: str, config: Config, *,
                parse_cache: ParseCache | None = None, **kw) -> LintResult:
    """Lint unsaved notebook content (the panel sends what the editor holds); ``parse_cache``:
    the parsed cells of this notebook's last lint (see :class:`nbkit.analysis.ParseCache`)."""
    from .model import parse_notebook

    result = LintResult(paths=[path])
    try:
        nb = notebook_from_dict(content, path) if isinstance(content, dict) else parse_notebook(content, path)
    except NbkitError as e:
        result.errors.append(e)
        return result
    result.notebooks = 1
    selection = Selection(config, select=kw.get("select"), ignore=kw.get("ignore"), profile=kw.get("profile"))
    result.findings = lint_notebook(nb, selection, Project([path], strip_outputs=config.strip_outputs),
                                    parse_cache=parse_cache)
    return result

