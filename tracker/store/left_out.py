"""The panels the config leaves out while their orders stay open, marked in
``alert_state`` once ``run --once`` warned of them (``orders_of_unconfigured_panel``):
from cron, every minute's run warned again of the same panel, a mail a
minute. A mark is the row (the panel's name, kind :data:`TOLD`, ``active``
0: no alert; ``since``: when it was told at warning); the panel's episode
lasts while it stays left out with open orders, and ends (its mark deleted)
at the first run that finds it configured again, or with none open.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from tracker.clock import iso
from tracker.errors import StoreError
from tracker.store.orders import Store

TOLD = "orders_of_unconfigured_panel"


def told_before(store: Store, left_out: Iterable[str], now: datetime) -> dict[str, str]:
    """Given the panels left out now (with open orders), return those an
    earlier run told at warning, each with when; mark the others told now
    and delete the marks of panels no longer left out, in one transaction
    (none when nothing changed). A database that cannot say: none told (each
    warned of), and what it did not take is marked at a later run."""
    found = set(left_out)
    try:
        rows = store.rows("SELECT panel, since FROM alert_state WHERE kind = ?", [TOLD])
    except (StoreError, sqlite3.Error):
        return {}
    stored = {str(row["panel"]): row["since"] or "" for row in rows}
    new = [(panel, TOLD, iso(now)) for panel in sorted(found - stored.keys())]
    gone = [(panel, TOLD) for panel in sorted(stored.keys() - found)]
    if new or gone:
        try:
            with store.write("left-out panels told") as db:
                db.conn.executemany("DELETE FROM alert_state WHERE panel = ? AND kind = ?", gone)
                db.conn.executemany(
                    "INSERT INTO alert_state (panel, kind, active, since) VALUES (?, ?, 0, ?) "
                    "ON CONFLICT (panel, kind) DO NOTHING",
                    new,
                )
        except (StoreError, sqlite3.Error):
            pass  # warned now, and again at the next run
    return {panel: since for panel, since in stored.items() if panel in found}
