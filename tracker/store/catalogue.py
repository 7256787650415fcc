"""SQL for a panel's catalogue: the ``services`` table and ``service_conflicts``.

One sync is one transaction: the services listed unambiguously are upserted;
a service listed twice with different terms leaves its ``services`` row (the
terms known before, or none) alone and has a ``service_conflicts`` row while
the panel keeps listing it so; rows of services listed clearly again are
deleted. What is ambiguous is decided in :mod:`tracker.rules.catalogue`.
A sync whose list is empty stores no service: that it listed none is kept in
``alert_state`` (kind ``services_listed_none``, no alert), so that
``services`` tells an empty catalogue from one never synced.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from tracker.clock import iso
from tracker.panel.models import Service
from tracker.rules.catalogue import Ambiguous
from tracker.store.connection import Connection
from tracker.store.sql import chunks
from tracker.store.sql import placeholders as _marks

_UPSERT_SERVICE = """
    INSERT INTO services (panel, service, name, type, category, rate, min, max,
                          refill, cancel, dripfeed, description, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (panel, service) DO UPDATE SET
        name = excluded.name, type = excluded.type, category = excluded.category,
        rate = excluded.rate, min = excluded.min, max = excluded.max,
        refill = excluded.refill, cancel = excluded.cancel,
        dripfeed = excluded.dripfeed, description = excluded.description,
        updated_at = excluded.updated_at
"""
_UPSERT_CONFLICT = """
    INSERT INTO service_conflicts (panel, service, listings, differences,
                                   first_seen_at, last_seen_at)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (panel, service) DO UPDATE SET
        listings = excluded.listings, differences = excluded.differences,
        last_seen_at = excluded.last_seen_at
"""

# alert_state's kind for a panel whose last sync listed no service (no
# alert): ``since`` the first such sync in a row, ``last_sent_at`` the last.
LISTED_NONE = "services_listed_none"
_SAVE_LISTED_NONE = """
    INSERT INTO alert_state (panel, kind, active, since, last_sent_at) VALUES (?, ?, 0, ?, ?)
    ON CONFLICT (panel, kind) DO UPDATE SET last_sent_at = excluded.last_sent_at
"""


def _service_row(panel: str, s: Service, stamp: str) -> tuple[Any, ...]:
    rate = None if s.rate is None else float(s.rate)
    flags = int(s.refill), int(s.cancel), int(s.dripfeed)
    return (panel, s.service, s.name, s.type, s.category, rate, s.min, s.max, *flags, s.desc, stamp)


def catalogue_known(store: Connection, panel: str, services: Sequence[Service]) -> bool:
    """Return True when every one of ``services`` is stored for ``panel`` with
    these very terms: a sync that changes nothing (told at debug)."""
    stored = store.rows(
        "SELECT panel, service, name, type, category, rate, min, max, refill, cancel, "
        "dripfeed, description FROM services WHERE panel = ?",
        [panel],
    )
    known = {tuple(row.values()) for row in stored}
    return all(_service_row(panel, s, "")[:-1] in known for s in services)


def save_services(
    store: Connection,
    panel: str,
    services: Iterable[Service],
    now: datetime,
    ambiguous: Sequence[Ambiguous] = (),
) -> int:
    """Given a panel's services listed unambiguously and those listed twice
    with different terms, store both in one transaction; return how many
    services were stored."""
    stamp = iso(now)
    rows = [_service_row(panel, s, stamp) for s in services]
    conflicts = [
        (panel, a.service, a.listings, json.dumps(a.differences), stamp, stamp) for a in ambiguous
    ]
    current = {a.service for a in ambiguous}
    with store.write() as db:
        db.conn.executemany(_UPSERT_SERVICE, rows)
        db.conn.executemany(_UPSERT_CONFLICT, conflicts)
        known = db.conn.execute("SELECT service FROM service_conflicts WHERE panel = ?", [panel])
        resolved = sorted({row[0] for row in known} - current)
        for chunk in chunks(resolved):
            db.conn.execute(
                f"DELETE FROM service_conflicts WHERE panel = ? AND service IN ({_marks(chunk)})",
                [panel, *chunk],
            )
        if rows or ambiguous:
            db.conn.execute(
                "DELETE FROM alert_state WHERE panel = ? AND kind = ?", [panel, LISTED_NONE]
            )
        else:  # "No services available", []: kept, as no services row says it
            db.conn.execute(_SAVE_LISTED_NONE, [panel, LISTED_NONE, stamp, stamp])
    return len(rows)


def listed_none(store: Connection, panel: str | None = None) -> dict[str, dict[str, Any]]:
    """Return {panel: {"since", "last"}} for each panel (one, or all) whose
    last sync listed no service: since the first such sync in a row, the
    last one's time."""
    where, params = ("AND panel = ?", [LISTED_NONE, panel]) if panel else ("", [LISTED_NONE])
    rows = store.rows(
        "SELECT panel, since, last_sent_at AS last FROM alert_state "
        f"WHERE kind = ? {where} ORDER BY panel",
        params,
    )
    return {row["panel"]: {"since": row["since"], "last": row["last"]} for row in rows}


def conflicts(store: Connection, panel: str | None = None) -> list[dict[str, Any]]:
    """Return the services listed ambiguously at the last sync (of one panel, or
    all), by panel then service ID, ``differences`` decoded, with ``stored_at``:
    when the terms the services table still holds were synced (None: none held)."""
    where, params = ("WHERE c.panel = ?", [panel]) if panel else ("", [])
    rows = store.rows(
        "SELECT c.*, s.updated_at AS stored_at FROM service_conflicts c "
        "LEFT JOIN services s ON s.panel = c.panel AND s.service = c.service "
        f"{where} ORDER BY c.panel, c.service",
        params,
    )
    for row in rows:
        row["differences"] = _decoded(row["differences"])
    return rows


def _decoded(text: str | None) -> dict[str, list[str]]:
    try:
        found = json.loads(text or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def unalerted(store: Connection, panel: str) -> list[int]:
    """Return the IDs of a panel's ambiguous services no alert has named yet."""
    rows = store.rows(
        "SELECT service FROM service_conflicts WHERE panel = ? AND alerted_at IS NULL "
        "ORDER BY service",
        [panel],
    )
    return [row["service"] for row in rows]


def mark_alerted(store: Connection, panel: str, service_ids: Sequence[int], now: datetime) -> None:
    """Record that an alert named these ambiguous services: once per episode."""
    with store.write() as db:
        for chunk in chunks(service_ids):
            db.conn.execute(
                f"UPDATE service_conflicts SET alerted_at = ? "
                f"WHERE panel = ? AND service IN ({_marks(chunk)})",
                [iso(now), panel, *chunk],
            )


def stated_terms(store: Connection, panel: str, service: int) -> dict[str, Any] | None:
    """Return ``service``'s row of ``panel``'s synced catalogue (None: not
    stored) with ``dripfeed_listed``: 1 when the panel lists the dripfeed flag
    on for one service at least, so that its 0 is a flag listed off, not one
    missing (stored off too); and ``twice``: 1 when the service is listed
    twice with different terms now (its row keeps the terms known before)."""
    rows = store.rows(
        "SELECT s.*, (SELECT 1 FROM services WHERE panel = s.panel AND dripfeed = 1 LIMIT 1) "
        "AS dripfeed_listed, (SELECT 1 FROM service_conflicts WHERE panel = s.panel AND "
        "service = s.service) AS twice FROM services s WHERE s.panel = ? AND s.service = ?",
        [panel, service],
    )
    return rows[0] if rows else None


def drip_untaken(store: Connection, panel: str, order_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Return the orders of ``order_ids`` on ``panel`` stored with drip-feed
    runs whose service ``panel``'s synced catalogue says, unambiguously, takes
    no drip-feed (its flag listed off, as :func:`stated_terms` reads it): each
    ``order_id``, ``service`` and the catalogue's ``updated_at``, by order ID."""
    found: list[dict[str, Any]] = []
    for chunk in chunks(sorted(set(order_ids))):
        found += store.rows(
            "SELECT o.order_id, o.service, s.updated_at FROM orders o JOIN services s "
            "ON s.panel = o.panel AND s.service = o.service WHERE o.panel = ? "
            f"AND o.order_id IN ({_marks(chunk)}) AND o.runs IS NOT NULL AND s.dripfeed = 0 "
            "AND EXISTS (SELECT 1 FROM services WHERE panel = o.panel AND dripfeed = 1) "
            "AND NOT EXISTS (SELECT 1 FROM service_conflicts WHERE panel = o.panel "
            "AND service = o.service) ORDER BY o.order_id",
            [panel, *chunk],
        )
    return found
