"""Environment and seed pinning (``nbkit pin``, ``%nbkit pin``).

    >>> from nbkit.pin import capture_environment, pin_notebook, check_notebook, requirements_for
    >>> pin_notebook("analysis.ipynb", seed=42)      # writes metadata.nbkit.environment and .seed
    >>> check_notebook("analysis.ipynb")             # [Drift(package, pinned, installed), ...]

Pure core: no IPython, Jupyter server or CLI imports.
"""

from .capture import Interpreter, capture_environment, notebook_modules
from .drift import Drift, environment_drift
from .pinning import (
    NotPinnedError,
    PinOutcome,
    check_notebook,
    nbkit_problems,
    pin,
    pin_notebook,
    pinned_environment,
    pinned_seed,
    requirements_for,
    validate_seed,
)

__all__ = [
    "capture_environment", "pin_notebook", "check_notebook", "requirements_for", "environment_drift", "pin",
    "PinOutcome", "NotPinnedError", "Interpreter", "notebook_modules", "nbkit_problems", "pinned_environment",
    "pinned_seed", "validate_seed", "Drift",
]
