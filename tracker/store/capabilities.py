"""What the tracker learned a panel cannot do (``panel_capabilities``).

An action is stored unsupported when the panel refuses it for every order with
the words it gives an action that does not exist; the refill job then sends no
such request until the user asks (``smm-tracker refill ID``), which re-learns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tracker.clock import iso
from tracker.store.connection import Connection


def unsupported_actions(store: Connection, panel: str | None = None) -> list[dict[str, Any]]:
    """Return the actions learned unsupported (of one panel, or every panel)."""
    sql = "SELECT panel, action, learned_at, evidence FROM panel_capabilities WHERE supported = 0"
    if panel is None:
        return store.rows(sql + " ORDER BY panel, action")
    return store.rows(sql + " AND panel = ? ORDER BY action", [panel])


def is_unsupported(store: Connection, panel: str, action: str) -> bool:
    return any(r["action"] == action for r in unsupported_actions(store, panel))


def learn(
    store: Connection, panel: str, action: str, supported: bool, evidence: str, now: datetime
) -> None:
    """Record what the panel just showed about ``action``."""
    with store.write() as db:
        db.execute(
            "INSERT INTO panel_capabilities (panel, action, supported, learned_at, evidence) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (panel, action) DO UPDATE SET "
            "supported = excluded.supported, learned_at = excluded.learned_at, "
            "evidence = excluded.evidence",
            [panel, action, int(supported), iso(now), evidence],
        )
