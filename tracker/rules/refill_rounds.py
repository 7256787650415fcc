"""When a panel's refill round waits: while its calls fail.

A refill request into a failing panel ends ``Unknown``, which counts toward
``refill.max_requests``; the round waits instead (``refill_round_held``).
"""

from __future__ import annotations

from datetime import datetime


def held_by(failing_since: datetime | None, failed: str | None, unreachable: bool) -> str | None:
    """Given when a panel's run of failed calls began (None: its last call answered),
    the last failed call's action and whether ``panel_unreachable`` is open, return why
    its refill round waits (a request into a failing panel ends Unknown, which counts
    toward ``refill.max_requests``), or None. A refill call failing alone holds nothing."""
    if failed in ("refill", "refill_status"):
        return None
    if failing_since is not None:
        return f"its calls have failed since {failing_since:%Y-%m-%d %H:%M:%S} UTC ({failed})"
    return "panel_unreachable is open" if unreachable else None
