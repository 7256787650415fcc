"""SQL for services and refills: functions taking a :class:`~tracker.store.Store`.

Every write goes through ``store.write()`` (one immediate transaction) and
every read through ``store.rows()``. Decisions (what a status means, who is
eligible) are made in :mod:`tracker.rules.refills`; this module only stores them.
The read commands' reads of refills: :mod:`tracker.store.refill_reads`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from tracker.clock import iso, not_before
from tracker.rules.refill_states import CLOSED, REQUESTING, UNKNOWN
from tracker.store.orders import Store
from tracker.store.refill_reach import reach_clause
from tracker.store.sql import chunks
from tracker.store.sql import placeholders as _marks

_CLOSED = sorted(CLOSED)


# --- services (stored by tracker.store.catalogue) ------------------------------


def services(store: Store, panel: str | None = None) -> list[dict[str, Any]]:
    """Return stored services (of one panel, or all), by panel then service ID."""
    where, params = ("WHERE panel = ?", [panel]) if panel else ("", [])
    return store.rows(f"SELECT * FROM services {where} ORDER BY panel, service", params)


def has_services(store: Store, panel: str) -> bool:
    """Return True once a panel's service list has been stored."""
    return bool(store.rows("SELECT 1 FROM services WHERE panel = ? LIMIT 1", [panel]))


# --- choosing orders -----------------------------------------------------------


def candidate_orders(
    store: Store,
    panel: str,
    statuses: Sequence[str],
    completed_between: tuple[datetime, datetime],
    *,
    after: int,
    limit: int,
    longer: Sequence[tuple[datetime, Sequence[int]]] = (),
) -> list[dict[str, Any]]:
    """Return up to ``limit`` orders of a panel above ID ``after`` whose status is
    one of ``statuses`` and that completed inside ``completed_between``, with
    their service's refill flag (``service_refill``: 1, 0, or None when unknown),
    name and category. ``completed_between`` starts ``refill.window`` back;
    ``longer`` gives (an earlier start, service IDs) for each longer window
    (:func:`tracker.store.refill_reach.longer_refill_windows`): an order of
    those services is read back to its window's start, every other order
    only back ``refill.window``.

    A coarse SQL filter only: :func:`tracker.rules.refills.eligibility` decides.
    """
    earliest, latest = completed_between
    reach, params = reach_clause(earliest, longer)
    return store.rows(
        f"""
        {_FACTS}
        WHERE o.panel = ? AND o.status IN ({_marks(statuses)})
          AND ({reach}) AND o.completed_at <= ? AND o.order_id > ?
        ORDER BY o.order_id LIMIT ?
        """,
        [panel, *statuses, *params, iso(latest), after, limit],
    )


def order_of(store: Store, panel: str, order_id: int) -> dict[str, Any] | None:
    """Return one order as :func:`candidate_orders` reads it, whatever its
    status and completion (None: not in the file): what `history ID` asks
    the refill rule about."""
    found = store.rows(f"{_FACTS} WHERE o.panel = ? AND o.order_id = ?", [panel, order_id])
    return found[0] if found else None


# An order's facts for the refill rule, with its service's refill flag, name
# and category (the guarantee they may say).
_FACTS = """
        SELECT o.order_id, o.status, o.completed_at, o.link, o.start_count, o.quantity,
               o.runs, o.remains, s.refill AS service_refill, s.name, s.category
        FROM orders o LEFT JOIN services s ON s.panel = o.panel AND s.service = o.service"""


def requests_of(store: Store, panel: str, order_ids: Sequence[int]) -> dict[int, list[dict]]:
    """Return every refill request made for these orders, oldest first, by order ID."""
    found: dict[int, list[dict[str, Any]]] = {oid: [] for oid in order_ids}
    for chunk in chunks(order_ids):
        for row in store.rows(
            f"SELECT * FROM refills WHERE panel = ? AND order_id IN ({_marks(chunk)}) ORDER BY id",
            [panel, *chunk],
        ):
            found[row["order_id"]].append(row)
    return found


# --- requests ------------------------------------------------------------------


def begin_requests(
    store: Store,
    panel: str,
    order_ids: Sequence[int],
    now: datetime,
    *,
    source: str = "auto",
    seen: Mapping[int, int] | None = None,
) -> dict[int, int]:
    """Record that refills of these orders are about to be requested, and commit.

    Return the new rows' IDs by order ID. Written before the request leaves,
    so a crash or a lost answer still leaves a row that counts as a request.
    With ``seen`` (each order's newest ``refills`` row ID when the caller
    decided to ask, 0 for none), an order with a newer row is left out, in
    the same transaction: another process (``refill ID`` beside the daemon's
    round) asked for it meanwhile, and asking again would be a second request.
    """
    stamp = iso(now)
    ids: dict[int, int] = {}
    with store.write() as db:
        for order_id in order_ids:
            if seen is not None and _newest(db.conn, panel, order_id) > seen.get(order_id, 0):
                continue
            cursor = db.conn.execute(
                "INSERT INTO refills (panel, order_id, requested_at, status, source, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [panel, order_id, stamp, REQUESTING, source, stamp],
            )
            ids[order_id] = int(cursor.lastrowid or 0)
    return ids


def newest_request(history: Iterable[dict[str, Any]]) -> int:
    """Given an order's ``refills`` rows (:func:`requests_of`), return the
    newest row's ID, 0 for none: what :func:`begin_requests` takes as ``seen``."""
    return max((row["id"] for row in history), default=0)


def _newest(conn: Any, panel: str, order_id: int) -> int:
    row = conn.execute(
        "SELECT COALESCE(MAX(id), 0) FROM refills WHERE panel = ? AND order_id = ?",
        [panel, order_id],
    ).fetchone()
    return int(row[0])


def forget_unsent(store: Store, row_ids: Iterable[int]) -> None:
    """Delete request rows whose request certainly never reached the panel."""
    ids = list(row_ids)
    if not ids:
        return
    with store.write() as db:
        for chunk in chunks(ids):
            db.conn.execute(
                f"DELETE FROM refills WHERE id IN ({_marks(chunk)}) AND status = ?",
                [*chunk, REQUESTING],
            )


def update_refills(
    store: Store, updates: dict[int, dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """Given fields to set by ``refills`` row ID, apply them in one transaction.

    Return the status changes recorded in ``refill_changes``: dicts with
    panel, refill_id, order_id, from_status, to_status, raw_status, error, at,
    the request's source and the words before (from_raw; neither stored).
    """
    stamp = iso(now)
    changes: list[dict[str, Any]] = []
    if not updates:
        return changes
    with store.write() as db:
        ids = list(updates)
        before = {}
        for chunk in chunks(ids):
            for row in db.utils.query(
                f"SELECT * FROM refills WHERE id IN ({_marks(chunk)})", chunk
            ):
                before[row["id"]] = row
        for row_id, fields in updates.items():
            old = before.get(row_id)
            if old is None:
                continue
            # Never before the request (stamped at its answer's second rounded up).
            at = not_before(stamp, fields.get("requested_at", old["requested_at"]))
            values = {**fields, "updated_at": at}
            assignments = ", ".join(f"{name} = ?" for name in values)
            db.conn.execute(
                f"UPDATE refills SET {assignments} WHERE id = ?", [*values.values(), row_id]
            )
            status = fields.get("status", old["status"])
            if status != old["status"]:
                changes.append(
                    {
                        "refill": row_id,
                        "panel": old["panel"],
                        "order_id": old["order_id"],
                        "refill_id": fields.get("refill_id", old["refill_id"]),
                        "at": at,
                        "from_status": old["status"],
                        "to_status": status,
                        "raw_status": fields.get("raw_status", old["raw_status"]),
                        "error": fields.get("error", old["error"]),
                    }
                )
        if changes:
            db.utils.table("refill_changes").insert_all(changes)
    for change in changes:
        # Who asked (auto: the tracker's round; manual: the refill command):
        # an alert decision needs it, the refill_changes table does not keep it.
        old = before[change.pop("refill")]
        change["source"], change["from_raw"] = old["source"], old["raw_status"]
    return changes


def settle_interrupted(store: Store, panel: str, before: datetime, now: datetime) -> list[dict]:
    """Close request rows left 'Requesting' since before ``before`` (the process
    died between writing and answering) as Unknown; return the changes."""
    rows = store.rows(
        "SELECT id FROM refills WHERE panel = ? AND status = ? AND requested_at < ?",
        [panel, REQUESTING, iso(before)],
    )
    reason = "interrupted before the panel's answer was stored"
    fields = {"status": UNKNOWN, "error": reason}
    return update_refills(store, {r["id"]: dict(fields) for r in rows}, now)


# --- follow-up -----------------------------------------------------------------


def open_refills(store: Store, panel: str, *, after: int, limit: int) -> list[dict[str, Any]]:
    """Return up to ``limit`` refills of a panel with a refill ID that are not
    closed yet, with row ID above ``after``, oldest first."""
    return store.rows(
        f"SELECT * FROM refills WHERE panel = ? AND refill_id IS NOT NULL "
        f"AND status NOT IN ({_marks(_CLOSED)}) AND status != ? AND id > ? ORDER BY id LIMIT ?",
        [panel, *_CLOSED, REQUESTING, after, limit],
    )


def witness_refill(store: Store, panel: str, since: datetime, besides: Sequence[str]) -> str | None:
    """Return the newest refill ID the panel answered with a status at or after
    ``since`` (open or closed, error-free since), not one of ``besides``;
    None when there is none."""
    rows = store.tuples(
        "SELECT refill_id FROM refills WHERE panel = ? AND refill_id IS NOT NULL "
        "AND raw_status IS NOT NULL AND error IS NULL AND updated_at >= ? "
        f"AND refill_id NOT IN ({_marks(besides) if besides else 'NULL'}) "
        "ORDER BY id DESC LIMIT 1",
        [panel, iso(since), *besides],
    )
    return str(rows[0][0]) if rows else None


# --- reading -------------------------------------------------------------------


def last_refill_row(store: Store) -> int:
    """Return the highest refills row ID (0 when none): a mark to count new requests from."""
    return int(store.rows("SELECT COALESCE(MAX(id), 0) AS id FROM refills")[0]["id"])


def refills_after(store: Store, row_id: int) -> dict[str, int]:
    """Return how many refill requests each panel recorded after row ``row_id``."""
    rows = store.rows(
        "SELECT panel, COUNT(*) AS n FROM refills WHERE id > ? GROUP BY panel", [row_id]
    )
    return {r["panel"]: r["n"] for r in rows}


def service_row(store: Store, panel: str, service: int) -> dict[str, Any] | None:
    """Return one stored service of a panel, or None if it was never synced."""
    found = store.rows("SELECT * FROM services WHERE panel = ? AND service = ?", [panel, service])
    return found[0] if found else None
