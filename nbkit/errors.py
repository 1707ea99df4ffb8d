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
    """A request that cannot be served as asked (the core's request layer raises it once, with
    the message every face shows).

    ``field`` names the input it is about.  Built with :meth:`for_field`, the message is
    ``"<field> <problem>"`` and ``problem`` keeps the second half, so a face can name the field
    its own way; otherwise the message stands alone and a face may prefix the field.  Either
    way :meth:`message_for` gives the face's wording."""

    def __init__(self, message: str, path: str | None = None, field: str | None = None,
                 problem: str | None = None):
        super().__init__(message, path)
        self.field = field
        self.problem = problem

    @classmethod
    def for_field(cls, field: str, problem: str) -> RequestError:
        """``field`` (``timeout``) has a value that ``problem`` (``must be ...``) refuses."""
        return cls(f"{field} {problem}", field=field, problem=problem)

    def message_for(self, label: str) -> str:
        """The message with the field named as the face names it (``label``: ``--timeout`` on
        the command line, ``'timeout'`` in a REST reply): ``--timeout must be ...`` for a
        :meth:`for_field` error, ``'ignore': unknown rule selector ...`` for another one about a
        field, the message alone for one about no field."""
        if self.problem is not None:
            return f"{label} {self.problem}"
        return f"{label}: {self.message}" if self.field else self.message

    def __reduce__(self):
        return (self.__class__, (self.message, self.path, self.field, self.problem))


class MachineryError(NbkitError):
    """nbkit's machinery failed: no kernel could start, the executor broke."""

    exit_code = EXIT_MACHINERY
