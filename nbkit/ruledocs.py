"""``python -m nbkit.ruledocs docs/rules``: the command the README and every generated page name.
The generator is :mod:`nbkit.rule_reference`."""

from __future__ import annotations

import sys

from .rule_reference import main

if __name__ == "__main__":
    sys.exit(main())
