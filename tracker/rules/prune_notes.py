"""What a read says after ``prune``: whether its window reaches before a
prune's cutoff (its counts are then incomplete), and the words for it.

Pure: a prune is given as the ``prune_runs`` row the store read (id, at,
panel, older_than, cutoff, ended_at, orders); every stamp is UTC ISO text,
compared as text, as every stamp the tracker writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracker.rules.counts import counted

Prune = Mapping[str, Any]

# Who pruned (prune_runs.ran_by, m036): `smm-tracker prune`, or the daemon's
# daily run (database.prune_older_than).
COMMAND, DAEMON = "command", "daemon"


def reaches_before(start: str | None, prune: Prune | None) -> bool:
    """Given a read's window start (None: from the first record) and the prune
    with the latest cutoff of what it reads, return whether the window
    reaches before that cutoff: prune deleted nothing stamped at or after it."""
    return prune is not None and (start is None or start < prune["cutoff"])


def _ran(prune: Prune) -> str:
    """The prune as the notes name it: "`smm-tracker prune --older-than 365d` on
    DAY", or "the daemon's daily prune (database.prune_older_than = 365d) on DAY"."""
    if prune.get("ran_by") == DAEMON:
        where = f", run --panel {prune['panel']}" if prune["panel"] is not None else ""
        setting = f"database.prune_older_than = {prune['older_than']}{where}"
        return f"the daemon's daily prune ({setting}) on {prune['at'][:10]}"
    flags = f"--older-than {prune['older_than']}"
    if prune["panel"] is not None:
        flags += f" --panel {prune['panel']}"
    return f"`smm-tracker prune {flags}` on {prune['at'][:10]}"


def window_note(prune: Prune, panel: str | None = None) -> str:
    """The stderr line of a read (of ``panel`` alone, when given, among
    others: `balance`'s) whose window reaches before ``prune``'s cutoff."""
    panel = prune["panel"] if prune["panel"] is not None else panel
    of = f" of panel {panel}" if panel is not None else ""
    return (
        f"note: the history{of} before {prune['cutoff']} was deleted by {_ran(prune)}: "
        "what this shows from before then is incomplete"
    )


def window_field(prune: Prune | None) -> dict[str, Any] | None:
    """The ``pruned`` field of a read's JSON: the prune its window reaches
    before (None: the window is whole)."""
    if prune is None:
        return None
    return {key: prune.get(key) for key in ("at", "panel", "older_than", "cutoff", "ran_by")}


def gone_note(prune: Prune) -> str:
    """What an order ID the file does not hold may be, after a prune that
    deleted orders: put after "order N is not tracked"."""
    return f" (or deleted by {_ran(prune)}: orders that ended before {prune['cutoff']})"


def emptied_note(prune: Prune) -> str:
    """What ``orders`` says when it lists none and ``prune`` (the latest that
    deleted orders) was run: which prune, when, how many orders its record
    says it deleted, and that the listing holds only what it kept."""
    deleted = counted(int(prune.get("orders") or 0), "order")
    return (
        f"no orders: {_ran(prune)} deleted {deleted} that ended before {prune['cutoff']}; "
        "`orders` lists only what prune keeps: the open orders and those ended since"
    )
