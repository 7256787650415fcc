"""The scorecard of ``smm-tracker report``: functions taking a store connection.

The SQL is the ``service_scorecard`` view's (store/scorecard.py, since m041)
with the window and panel as parameters, so the report and the view never
disagree. The query reads only ``order_overview``. (A database behind this
version's schema that this user cannot migrate is refused by the read
commands before it gets here: a write command upgrades it.)
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from tracker.clock import iso
from tracker.store.connection import Connection
from tracker.store.scorecard import SCORECARD_QUERY_M041

_SCORECARD = SCORECARD_QUERY_M041.format(window="first_seen >= ?1 AND (?2 IS NULL OR panel = ?2)")
# SQLite writes an infinite spend as a bare Inf, which is no JSON: a charge
# 0.1.0 stored as infinity (a panel's "1e400"). Read as 1e999: infinity.
_INFINITE = re.compile(r'("spend":-?)Inf\b')


def scorecard(store: Connection, since: datetime, panel: str | None = None) -> list[dict[str, Any]]:
    """Given a start time (and a panel name), return one row per panel and service
    for the orders first seen since then, highest spend first; columns as the
    ``service_scorecard`` view, ``spend_by_currency`` read from its JSON text
    into a list of ``{"currency", "spend"}`` dicts."""
    rows = store.rows(_SCORECARD, [iso(since), panel])
    for row in rows:
        row["spend_by_currency"] = json.loads(
            _INFINITE.sub(r"\g<1>1e999", row["spend_by_currency"])
        )
    return rows


def order_panels(store: Connection) -> list[str]:
    """Return the panels the database holds orders of, by name."""
    return [r["panel"] for r in store.rows("SELECT DISTINCT panel FROM orders ORDER BY panel")]
