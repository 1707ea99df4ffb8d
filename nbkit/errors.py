"""Exceptions: nbkit could not do its job.

Findings are data; an exception means nbkit itself could not proceed (an unreadable
notebook, bad configuration, a kernel that cannot start).  Every exception carries a
one-line, human message that names the file and the problem.
"""

from __future__ import annotations

# Exit codes (DESIGN.md): 0 clean, 1 findings / not reproducible, 2 usage or input error,
# 3 the machinery failed.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_MACHINERY = 3


class NbkitError(Exception):
    """Base class: something nbkit could not do.  ``str()`` is one line for humans."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, path: str | None = None):
        self.message = message
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)

    def __reduce__(self):  # keep message and path apart across processes (parallel lint)
        return (self.__class__, (self.message, self.path))


class NotebookError(NbkitError):
    """The file is not a usable notebook (missing, not JSON, not a notebook, ...)."""


class NoNotebooksError(NotebookError):
    """A folder named as input holds no notebook (not an unreadable input: nothing to read)."""


class ConfigError(NbkitError):
    """``[tool.nbkit]`` configuration is invalid."""


class UsageError(NbkitError):
    """The command line asks for something impossible."""


class RequestError(UsageError):
    """A request that cannot be served as asked.  ``field`` names the input it is about when
    the message does not (a face may prefix it: the server says ``'ignore': ...``)."""

    def __init__(self, message: str, path: str | None = None, field: str | None = None):
        super().__init__(message, path)
        self.field = field

    def __reduce__(self):
        return (self.__class__, (self.message, self.path, self.field))


class MachineryError(NbkitError):
    """nbkit's machinery failed: no kernel could start, the executor broke."""

    exit_code = EXIT_MACHINERY
