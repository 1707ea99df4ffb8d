"""nbkit's JSON Schemas (Draft 2020-12): the contract of every ``--format json`` report and every
REST reply.  The panel's TypeScript types are generated from them (``jlpm build:types``).

=========================  ==========================================================
``lint``                   ``nbkit lint --format json`` (``nbkit.lint/1``)
``verify``                 ``nbkit verify --format json`` (``nbkit.verify/2``)
``rules``                  ``nbkit rules --format json`` and GET rules (``nbkit.rules/1``)
``lint-reply``             POST lint: the lint report plus the panel's ``status``
``verify-started``         POST verify (202)
``verify-job``             GET and DELETE verify/<job>
``verify-jobs``            GET verify
``pin-reply``              POST pin
``policy``                 GET policy, and each notebook of ``nbkit lint --policy`` (``nbkit.policy/1``)
``template``               GET template
``error``                  every REST reply with a status of 400 or more
``common``                 definitions only, ``$ref``-ed by the others
=========================  ==========================================================

Schemas ``$ref`` each other by file name (``verify.schema.json#/$defs/drift``), relative to
their ``$id``; :func:`validator` resolves those refs from the package, never from the network.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

SUFFIX = ".schema.json"
BASE_URI = "https://nbkit.readthedocs.io/schemas/"


def names() -> list[str]:
    """Every schema shipped, by name (``lint``, ``lint-reply``, ...)."""
    return sorted(p.name[: -len(SUFFIX)] for p in files(__name__).iterdir() if p.name.endswith(SUFFIX))


@cache
def _text(name: str) -> str:
    return files(__name__).joinpath(name + SUFFIX).read_text(encoding="utf-8")


def load(name: str) -> dict:
    """The schema ``name`` as a new dict."""
    if name not in names():
        raise KeyError(f"no nbkit schema {name!r}; there are: {', '.join(names())}")
    return json.loads(_text(name))


def registry():
    """A ``referencing.Registry`` holding every schema under its ``$id``."""
    from referencing import Registry, Resource

    return Registry().with_resources((BASE_URI + n + SUFFIX, Resource.from_contents(load(n))) for n in names())


def validator(name: str):
    """A ``jsonschema`` Draft 2020-12 validator for schema ``name`` (refs resolved locally)."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load(name), registry=registry())


def validate(instance, name: str) -> None:
    """Raise ``jsonschema.ValidationError`` (the most relevant error) unless ``instance`` fits ``name``."""
    from jsonschema.exceptions import best_match

    error = best_match(validator(name).iter_errors(instance))
    if error is not None:
        raise error
