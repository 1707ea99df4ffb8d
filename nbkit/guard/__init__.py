"""``%nbkit guard``: live checks in the kernel, on the real execution history.

Registered on IPython's ``pre_run_cell`` / ``post_run_cell`` events, the guard checks each cell
as it runs: randomness before any seed in this session (NBR004, optionally seeding at the first
use), out-of-order execution (NBH001) and hidden state (NBR011) against the saved notebook,
absolute paths (NBR009), in-notebook installs (NBR008) and drift from the pinned environment
(NBR025).  Each problem is shown once, under the cell, and never interrupts it.  See
docs/guard.md.
"""

from __future__ import annotations

from .checks import GuardWarning
from .session import Guard, drop_guard, guard_for
from .settings import GUARD_RULES, GuardSettings, load_settings, parse_rules, settings_from_table

__all__ = ["GUARD_RULES", "Guard", "GuardSettings", "GuardWarning", "drop_guard", "guard_for", "load_settings",
           "parse_rules", "settings_from_table"]
