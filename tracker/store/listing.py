"""Listing tracked orders at any scale: functions taking a store connection.

Every page is an index range scan read through ``store.rows()``, so the first
rows come at once and memory stays flat however many orders there are.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from itertools import islice
from typing import Any

from tracker.errors import StoreError
from tracker.store.connection import Connection as Store
from tracker.store.sql import panels_of

UNTRACKED = "untracked"  # the --status value for orders stopped by `untrack`
LOST = "lost"  # the --status value for orders given up as unknown to the panel
BY_USER = "user"  # orders.stopped_by for `untrack`
BY_PANEL = "panel"  # orders.stopped_by for a lost order
# What makes an order lost, for `orders --status lost` and doctor's count alike:
# given up, and not resumed since (`track` clears stopped_by).
LOST_ORDERS = f"stopped_by = '{BY_PANEL}'"


def iter_orders(
    store: Store,
    *,
    panel: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    chunk: int = 500,
    since: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Given a store, yield its tracked orders newest first, at most ``limit``
    of them; ``status`` "-" means no status yet, "untracked" the orders the
    user stopped (``untrack``), "lost" those given up as unknown to the panel;
    ``since`` (ISO, as stored): only those first seen then or later.

    Within a panel, newest is the highest ID; the panels' orders are merged by
    when each was first seen (``created_at``), so one panel's many orders
    never hide another's newest. Rows are read ``chunk`` at a time per panel.
    """
    where = ""
    params: list[Any] = []
    if status == "-":
        where = "AND status IS NULL"
    elif status == UNTRACKED:
        where = "AND stopped_by = 'user'"
    elif status == LOST:
        where = f"AND {LOST_ORDERS}"
    elif status is not None:
        where, params = "AND status = ?", [status]
    if since is not None:  # first seen (placed, or tracked) in the window
        where, params = f"{where} AND created_at >= ?", [*params, since]
    size = chunk if limit is None else max(1, min(chunk, limit))
    names = [panel] if panel is not None else panels(store)
    streams = [_newest(store, name, where, params, size) for name in names]
    if len(streams) == 1:
        merged: Iterator[dict[str, Any]] = streams[0]
    else:
        merged = heapq.merge(*streams, key=lambda row: row["created_at"] or "", reverse=True)
    yield from islice(merged, limit)


def _newest(
    store: Store, panel: str, where: str, params: list[Any], size: int
) -> Iterator[dict[str, Any]]:
    """Yield a panel's orders matching ``where``, highest ID first, ``size`` per read."""
    before = 2**63 - 1
    while True:
        rows = store.rows(
            f"SELECT * FROM orders WHERE panel = ? {where} AND order_id < ? "
            "ORDER BY order_id DESC LIMIT ?",
            [panel, *params, before, size],
        )
        yield from rows
        if len(rows) < size:
            return
        before = rows[-1]["order_id"]


def panels(store: Store) -> list[str]:
    """Return the names of the panels that have tracked orders, sorted."""
    return [r["name"] for r in store.rows(panels_of("orders"))]  # a seek per panel


def order_statuses(store: Store) -> list[str]:
    """Return every order status stored (the panels' unknown spellings included),
    sorted; read by a skip-scan of the status index, one seek per status."""
    rows = store.rows(
        """
        WITH RECURSIVE seen(status) AS (
            SELECT MIN(status) FROM orders
            UNION ALL
            SELECT (SELECT MIN(status) FROM orders WHERE status > seen.status)
            FROM seen WHERE seen.status IS NOT NULL
        )
        SELECT status FROM seen WHERE status IS NOT NULL
        """
    )
    return [r["status"] for r in rows]


# What says a panel's stored statuses are stale, by how it is said: polls that
# keep failing (status_failing's start is kept from the first failed poll on,
# before its alert), every call failing, the key refused.
_FAILING = """
SELECT panel, kind, since FROM alert_state
WHERE ((kind = 'status_failing' AND since IS NOT NULL)
       OR (kind IN ('panel_unreachable', 'auth_failed') AND active = 1))
  AND (? IS NULL OR panel = ?)
ORDER BY panel, kind
"""


def failing_panels(store: Store, panel: str | None = None) -> dict[str, tuple[str, str]]:
    """Return {panel: (kind, since)} for each panel (or ``panel``) whose polls
    are failing now: its listed statuses are the last it gave. Nothing when
    the database cannot say (a table it does not have yet)."""
    found: dict[str, tuple[str, str]] = {}
    # auth_failed, then panel_unreachable, before status_failing: the first kept
    for row in _episode_rows(store, _FAILING, panel):
        found.setdefault(row["panel"], (row["kind"], row["since"] or ""))
    return found


# The episodes that stop a panel answering, open now: its key refused, every
# call failing.
_NOT_ANSWERING = """
SELECT panel, kind, since FROM alert_state
WHERE kind IN ('panel_unreachable', 'auth_failed') AND active = 1
  AND (? IS NULL OR panel = ?)
ORDER BY panel, kind
"""


def not_answering(store: Store, panel: str | None = None) -> dict[str, dict[str, str | None]]:
    """Return {panel: {kind: since}} of the ``auth_failed`` and
    ``panel_unreachable`` episodes open now, of each panel (or ``panel``):
    both of a panel when both are open, where :func:`failing_panels` keeps
    one. Nothing when the database cannot say (a table it does not have yet)."""
    found: dict[str, dict[str, str | None]] = {}
    # since NULL (a file edited by hand): said "an unknown time"
    for row in _episode_rows(store, _NOT_ANSWERING, panel):
        found.setdefault(row["panel"], {})[row["kind"]] = row["since"]
    return found


# Calls failing before panel_unreachable opens: its closed episode keeps the
# run's start (``since``) and its last failed call (``last_sent_at``), both
# cleared by the panel's next answer.
_CALLS_FAILING = """
SELECT panel, since, last_sent_at FROM alert_state
WHERE kind = 'panel_unreachable' AND active = 0 AND since IS NOT NULL
  AND (? IS NULL OR panel = ?)
ORDER BY panel
"""


def failing_calls(store: Store, panel: str | None = None) -> dict[str, tuple[str, str]]:
    """Return {panel: (since, last)} for each panel (or ``panel``) whose
    calls have all failed since ``since``, its last at ``last``, the
    unreachable episode not open yet. Nothing when the database cannot
    say (a table it does not have yet)."""
    rows = _episode_rows(store, _CALLS_FAILING, panel)
    return {r["panel"]: (r["since"], r["last_sent_at"] or r["since"]) for r in rows}


def _episode_rows(store: Store, sql: str, panel: str | None) -> list[dict[str, Any]]:
    """Run one of the ``alert_state`` reads above for ``panel`` (None: every
    panel); no rows when the database cannot say (a table it does not have
    yet): a listing's note is never worth failing the listing for."""
    try:
        return store.rows(sql, [panel, panel])
    except StoreError:
        return []
