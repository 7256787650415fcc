"""The scorecard of ``smm-tracker report``: functions taking a store connection.

The SQL is the ``service_scorecard`` view's (store/views.py) with the window
and panel as parameters, so the report and the view never disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tracker.clock import iso
from tracker.store.connection import Connection
from tracker.store.views import SCORECARD_QUERY

_SCORECARD = SCORECARD_QUERY.format(window="first_seen >= ?1 AND (?2 IS NULL OR panel = ?2)")


def scorecard(store: Connection, since: datetime, panel: str | None = None) -> list[dict[str, Any]]:
    """Given a start time (and a panel name), return one row per panel and service
    for the orders first seen since then, highest spend first; columns as the
    ``service_scorecard`` view."""
    return store.rows(_SCORECARD, [iso(since), panel])


def order_panels(store: Connection) -> list[str]:
    """Return the panels the database holds orders of, by name."""
    return [r["panel"] for r in store.rows("SELECT DISTINCT panel FROM orders ORDER BY panel")]
