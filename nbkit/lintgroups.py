"""A run of notebooks that each take their own configuration (their nearest ``[tool.nbkit]``),
in groups: split by configuration, and the findings put back in the run's order.

One place for :func:`nbkit.requests.run_lint`, which lints group by group, and
:func:`nbkit.lintcache.groups_from_cache`, which answers the same run from the cache group by
group (without importing the linter: this module imports nothing).
"""

from __future__ import annotations

TYPE_CHECKING = False  # (not typing's: the cache route should not have to import typing)
if TYPE_CHECKING:
    from .config import Config
    from .findings import Finding


def config_groups(found: list[tuple[str, Config]]) -> tuple[list[str], list[tuple[Config, list[str]]]]:
    """The notebooks of a run (``found``: (path, configuration) pairs, as
    :func:`nbkit.requests.notebooks_with_configs` gives them) and the same notebooks in groups
    sharing one configuration (the same object), each ``(configuration, paths)`` in the order of
    the run; a run lints (or reads from the cache) one group after the other."""
    everyone = [path for path, _cfg in found]
    groups: dict[int, tuple[Config, list[str]]] = {}
    for path, cfg in found:
        groups.setdefault(id(cfg), (cfg, []))[1].append(path)
    return everyone, list(groups.values())


def in_run_order(findings: list[Finding], everyone: list[str], groups: list) -> None:
    """Sort the findings of a run done group by group (:func:`config_groups`) back into the
    order of the run (``everyone``), as one configuration would give them; one group: as they are."""
    if len(groups) > 1:
        order = {path: i for i, path in enumerate(everyone)}
        findings.sort(key=lambda f: order.get(f.path, len(order)))
