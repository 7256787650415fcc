"""doctor's info line about the last ``prune``: when it ran, its cutoff, the
orders it deleted, and whether it stopped part-way. Apart from
:mod:`tracker.rules.prune_notes`, which the read commands import: this one
needs doctor's verdict types, which they do not load."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracker.rules.doctor import INFO, Check
from tracker.rules.prune_notes import DAEMON


def last_prune_check(row: Sequence[Any] | None, keep: str = "") -> Check | None:
    """Given the last prune's row (id, at, panel, older_than, cutoff,
    ended_at, orders, ran_by; None: never pruned) and ``database.prune_older_than``
    ("": off), return doctor's info line (None: neither to tell)."""
    daily = f"the daemon prunes once a day: database.prune_older_than = {keep}" if keep else ""
    if row is None:
        return Check(INFO, "prune", f"{daily}; none ran yet") if keep else None
    _id, at, panel, older_than, cutoff, ended_at, orders, ran_by = row
    where = f"panel {panel}" if panel is not None else "every panel"
    how = f"--older-than {older_than}"
    if ran_by == DAEMON:
        how = f"the daemon's, database.prune_older_than = {older_than}"
    detail = (
        f"last run {at} ({how}, {where}): history before {cutoff} "
        f"deleted ({orders} order{'s' * (orders != 1)}); reads reaching before it say so"
    )
    if ended_at is None:
        detail += (
            "; it stopped part-way (Ctrl-C, a crash or a database error) or is still "
            "running: what it deleted is counted in prune_runs, run it again to finish"
        )
    return Check(INFO, "prune", f"{detail}; {daily}" if keep else detail)
