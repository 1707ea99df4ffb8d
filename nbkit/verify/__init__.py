"""``nbkit verify``: prove that notebooks reproduce by re-executing them in fresh kernels.

    >>> from nbkit.verify import VerifyOptions, verify_notebook, verify_paths
    >>> res = verify_notebook("analysis.ipynb", VerifyOptions(timeout=120))
    >>> res.status, res.to_dict()["cells"][0]["status"]
    >>> report = verify_paths(["notebooks/"], VerifyOptions(jobs=2))
    >>> report.exit_code()

The pipeline, one module per step, each handing one value to the next:
:mod:`.request` (options -> a validated :class:`VerifyRequest`) -> :mod:`.plan` (discovery,
sharding, one prepared work item per notebook) -> :mod:`.engine` (fresh kernels, runs,
events) -> :mod:`.verdict` (runs -> :class:`NotebookResult`) -> :mod:`.writeback`
(``--update``/``--stamp``).  Progress is reported through :class:`VerifyEvents`.

Importing this package starts no kernel and imports neither papermill nor a kernel client;
those are imported when a notebook is run.
"""

from __future__ import annotations

from .events import VerifyEvents
from .plan import select_shard
from .request import VerifyOptions, VerifyRequest, run, verify_notebook, verify_paths
from .results import SCHEMA, CellResult, NotebookResult, VerifyReport
from .settings import NORMALIZERS, VerifySettings, settings_from_config

__all__ = [
           "NORMALIZERS",
           "SCHEMA",
           "CellResult",
           "NotebookResult",
           "VerifyEvents",
           "VerifyOptions",
           "VerifyReport",
           "VerifyRequest",
           "VerifySettings",
           "run",
           "select_shard",
           "settings_from_config",
           "verify_notebook",
           "verify_paths",
]
