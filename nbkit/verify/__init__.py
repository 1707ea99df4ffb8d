"""``nbkit verify``: prove that notebooks reproduce by re-executing them in fresh kernels.

    >>> from nbkit.verify import VerifyOptions, verify_notebook, verify_paths
    >>> res = verify_notebook("analysis.ipynb", VerifyOptions(timeout=120))
    >>> res.status, res.to_dict()["cells"][0]["status"]
    >>> report = verify_paths(["notebooks/"], VerifyOptions(jobs=2))
    >>> report.exit_code()

Importing this package starts no kernel and imports neither papermill nor a kernel client;
those are imported when a notebook is run.
"""

from __future__ import annotations

from .results import SCHEMA, CellResult, NotebookResult, VerifyReport
from .runner import VerifyOptions, select_shard, verify_notebook, verify_paths
from .settings import NORMALIZERS, VerifySettings, settings_from_config

__all__ = [
           "NORMALIZERS",
           "SCHEMA",
           "CellResult",
           "NotebookResult",
           "VerifyOptions",
           "VerifyReport",
           "VerifySettings",
           "select_shard",
           "settings_from_config",
           "verify_notebook",
           "verify_paths",
]
