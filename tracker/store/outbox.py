"""SQL for alerts kept to be delivered again (table of m032_alert_deliveries).

One row per alert and target that did not take it; when and whether to try
again is :mod:`tracker.rules.redelivery`'s to say, the times come from the
caller. Functions take a :class:`tracker.store.orders.Store` and raise
StoreError like it does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tracker.clock import iso, parse_iso, read_iso
from tracker.rules.delivery import stored_count
from tracker.rules.episodes import SEVERITIES, Alert
from tracker.rules.redelivery import (
    EVERY,
    FIRST_WAIT,
    LONGEST_WAIT,
    NOT_TRIED,
    next_try,
    set_back_after,
)

if TYPE_CHECKING:
    from tracker.store.orders import Store

ERROR_CHARS = 300  # of a failure's words kept
_ISO_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"  # SQLite's strftime writing what iso() writes


# When a row's latest failure was, as the table dates it (it keeps the first
# failure's time, failed_at, and no column for the latest): a given-up row's
# gave_up_at; a row that failed once, failed_at; one that failed again, the
# try that set its next try (next_at less the wait its failures set; never
# before failed_at). Its marker rows (failures 0, or not tried) are no failure.
_WAIT = f"min({FIRST_WAIT:g} * (1 << (min(max(failures, 1), 17) - 1)), {LONGEST_WAIT:g})"
_LAST_FAILED = (
    "CASE WHEN gave_up_at IS NOT NULL THEN gave_up_at WHEN failures = 1 THEN failed_at "
    f"ELSE max(failed_at, strftime('{_ISO_FORMAT}', next_at, '-' || {_WAIT} || ' seconds')) END"
)

# The alerts a target has not taken, per target (doctor): those sent again
# by hand (`alerts --resend`: no failure since, its error a marker or the one
# before), those tried again after failures, those given up; the first
# failure of those tried again, their latest next try, and the latest
# failure's words with its time (_LAST_FAILED; a marker never).
UNDELIVERED_BY_TARGET = f"""
WITH tries AS (SELECT target, error, rowid AS n, {_LAST_FAILED} AS at FROM alert_deliveries
    WHERE failures > 0 AND error <> '{NOT_TRIED}')
SELECT d.target,
    coalesce(sum(d.next_at IS NOT NULL AND d.failures = 0), 0),
    coalesce(sum(d.next_at IS NOT NULL AND d.failures > 0), 0),
    coalesce(sum(d.gave_up_at IS NOT NULL), 0),
    min(CASE WHEN d.next_at IS NOT NULL AND d.failures > 0 THEN d.failed_at END),
    max(CASE WHEN d.next_at IS NOT NULL AND d.failures > 0 THEN d.next_at END),
    (SELECT f.error FROM tries f WHERE f.target = d.target ORDER BY f.at DESC, f.n DESC
     LIMIT 1),
    (SELECT max(f.at) FROM tries f WHERE f.target = d.target)
FROM alert_deliveries d GROUP BY d.target ORDER BY d.target
"""


def failed(
    store: Store,
    alert_id: int,
    target: str,
    error: str,
    now: datetime,
    window: float,
    tried: bool = True,
) -> datetime | None:
    """Note that ``target`` did not take alert ``alert_id`` at ``now``; return
    when to try again, None when given up (``window`` seconds since its first
    failure have passed, or 0: no second try). ``tried`` False: not sent
    there (:data:`NOT_TRIED`), no failure counted."""
    with store.write() as db:
        found = db.execute(
            "SELECT failures, failed_at FROM alert_deliveries WHERE alert_id = ? AND target = ?",
            [alert_id, target],
        ).fetchone()
        failures, first = (
            (found[0] + int(tried), parse_iso(found[1])) if found else (int(tried), now)
        )
        due = next_try(failures, first, now, window)
        db.execute(
            "INSERT INTO alert_deliveries "
            "(alert_id, target, failures, failed_at, next_at, error, gave_up_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (alert_id, target) DO UPDATE SET "
            "failures = excluded.failures, next_at = excluded.next_at, "
            "error = excluded.error, gave_up_at = excluded.gave_up_at",
            [
                alert_id,
                target,
                failures,
                iso(first),
                iso(due) if due else None,
                error[:ERROR_CHARS],
                None if due else iso(now),
            ],
        )
    return due


def delivered(store: Store, alert_id: int, target: str) -> None:
    """Forget an alert's failure at ``target``: it took the alert."""
    with store.write() as db:
        db.execute(
            "DELETE FROM alert_deliveries WHERE alert_id = ? AND target = ?", [alert_id, target]
        )


def due(store: Store, now: datetime, limit: int) -> list[tuple[Alert, list[str], int]]:
    """Return the oldest ``limit`` alerts to try again at ``now``, each with
    its targets to try and the most failures among them: every alert still
    tried at a target any of whose alerts is due, oldest first. The oldest
    tells whether the target is back (see :func:`hold`), and a target back
    gets them in the order raised, not each at its own wait's end. A next
    try further ahead than any wait sets was set by a clock since put back:
    due now."""
    rows = store.rows(
        "WITH ready AS (SELECT DISTINCT target FROM alert_deliveries "
        "WHERE next_at IS NOT NULL AND (next_at <= ? OR next_at > ?)), "
        "firsts AS (SELECT alert_id FROM alert_deliveries "
        "WHERE next_at IS NOT NULL AND target IN ready "
        "GROUP BY alert_id ORDER BY alert_id LIMIT ?) "
        "SELECT a.id, a.at, a.panel, a.kind, a.severity, a.message, a.data, "
        "d.target, d.failures FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id "
        "WHERE d.next_at IS NOT NULL AND d.target IN ready AND d.alert_id IN firsts "
        "ORDER BY a.id, d.target",
        [iso(now), iso(set_back_after(now)), int(limit)],
    )
    found: dict[int, tuple[Alert, list[str], int]] = {}
    for row in rows:
        if row["id"] not in found:
            found[row["id"]] = (_alert(row), [], 0)
        alert, targets, most = found[row["id"]]
        targets.append(row["target"])
        found[row["id"]] = (alert, targets, max(most, stored_count(row["failures"])))
    return list(found.values())


def hold(store: Store, target: str, until: datetime, now: datetime, window: float) -> None:
    """Have every alert still tried at ``target`` wait until ``until`` at
    least: its oldest failed again, so the target is still down (each alert
    at its own wait's end probed it again every look). One set further
    ahead than any wait (by a clock since put back) waits until then too.
    None waits past its own window's end (``window`` seconds after its first
    failure): one put back by hand since has a window ending later."""
    with store.write() as db:
        db.execute(
            "UPDATE alert_deliveries SET next_at = min(?, strftime(?, failed_at, ?)) "
            "WHERE target = ? AND next_at IS NOT NULL AND (next_at < ? OR next_at > ?)",
            [
                iso(until),
                _ISO_FORMAT,
                f"+{window:.3f} seconds",
                target,
                iso(until),
                iso(set_back_after(now)),
            ],
        )


def expire(
    store: Store, target: str, error: str, now: datetime, window: float
) -> list[dict[str, Any]]:
    """Give up every alert still tried at ``target`` whose window (``window``
    seconds since its first failure) has ended: the target failed again at
    ``now``. Return each one given up (its id, kind and panel). One read
    when none has (the usual answer), and no write."""
    ended = iso(now - timedelta(seconds=window))
    rows = store.rows(
        "SELECT a.id, a.kind, a.panel FROM alert_deliveries d "
        "JOIN alerts a ON a.id = d.alert_id WHERE d.target = ? "
        "AND d.next_at IS NOT NULL AND d.failed_at <= ? ORDER BY a.id",
        [target, ended],
    )
    gone = []
    if rows:
        with store.write() as db:
            for row in rows:
                changed = db.execute(
                    "UPDATE alert_deliveries SET next_at = NULL, gave_up_at = ?, error = ? "
                    "WHERE alert_id = ? AND target = ? AND next_at IS NOT NULL "
                    "AND failed_at <= ?",
                    [iso(now), error[:ERROR_CHARS], row["id"], target, ended],
                ).rowcount
                if changed:  # not delivered or sent again by hand meanwhile
                    gone.append({"id": row["id"], "kind": row["kind"], "panel": row["panel"]})
    return gone


def wake(store: Store, targets: Iterable[str], now: datetime) -> bool:
    """Have every alert still tried at ``targets`` due at ``now`` (each just
    took a new alert); return True when any is kept. One read when none is
    (the usual answer), and no write unless one waits."""
    names = sorted(targets)
    marks = ", ".join("?" * len(names))
    (later,) = store.tuples(
        f"SELECT max(next_at > ?) FROM alert_deliveries WHERE target IN ({marks}) "
        "AND next_at IS NOT NULL",
        [iso(now), *names],
    )[0]
    if later:
        with store.write() as db:
            db.execute(
                f"UPDATE alert_deliveries SET next_at = ? WHERE target IN ({marks}) "
                "AND next_at IS NOT NULL AND next_at > ?",
                [iso(now), *names, iso(now)],
            )
    return later is not None


def waiting(store: Store) -> list[dict[str, Any]]:
    """Return every alert a target has not taken yet (waiting or given up),
    oldest first: the alert's id, at, panel, kind and message, and its
    target, failures, failed_at, next_at, gave_up_at and error."""
    return store.rows(
        "SELECT a.id, a.at, a.panel, a.kind, a.message, d.target, d.failures, d.failed_at, "
        "d.next_at, d.gave_up_at, d.error FROM alert_deliveries d "
        "JOIN alerts a ON a.id = d.alert_id ORDER BY a.id, d.target"
    )


def resend(store: Store, alert_id: int, now: datetime) -> int:
    """Have alert ``alert_id`` tried again at ``now``: at each target that has
    not taken it (waiting or given up), its window counted anew, or, when none
    is kept, at every target configured when it is tried (:data:`EVERY`);
    return the rows set, 0 when no such alert is stored."""
    with store.write() as db:
        if db.execute("SELECT 1 FROM alerts WHERE id = ?", [alert_id]).fetchone() is None:
            return 0
        targets = [
            row[0]
            for row in db.execute(
                "SELECT target FROM alert_deliveries WHERE alert_id = ?", [alert_id]
            ).fetchall()
        ] or [EVERY]
        count = 0
        for target in targets:
            db.execute(
                "INSERT INTO alert_deliveries "
                "(alert_id, target, failures, failed_at, next_at, error, gave_up_at) "
                "VALUES (?, ?, 0, ?, ?, 'sent again by hand', NULL) "
                "ON CONFLICT (alert_id, target) DO UPDATE SET failures = 0, "
                "failed_at = excluded.failed_at, next_at = excluded.next_at, gave_up_at = NULL",
                [alert_id, target, iso(now), iso(now)],
            )
            count += 1
        return count


def spread(
    store: Store, alert_id: int, targets: Sequence[str], gone: Sequence[str], now: datetime
) -> None:
    """Give alert ``alert_id``, being sent to every target (:data:`EVERY`),
    a row of its own at each of ``targets`` not tried yet, due at ``now``,
    and forget its :data:`EVERY` row and those of ``gone`` (targets no
    longer configured): a stop in the middle of it, and the next start
    sends it only to those, not again to the targets that took it."""
    with store.write() as db:
        for target in targets:
            db.execute(
                "INSERT INTO alert_deliveries "
                "(alert_id, target, failures, failed_at, next_at, error, gave_up_at) "
                "VALUES (?, ?, 0, ?, ?, 'sent again by hand', NULL) "
                "ON CONFLICT (alert_id, target) DO NOTHING",
                [alert_id, target, iso(now), iso(now)],
            )
        for target in (EVERY, *gone):
            db.execute(
                "DELETE FROM alert_deliveries WHERE alert_id = ? AND target = ?",
                [alert_id, target],
            )


def _alert(row: dict[str, Any]) -> Alert:
    try:
        data = json.loads(row["data"] or "{}")
    except ValueError:
        data = {}
    severity = row["severity"] if row["severity"] in SEVERITIES else ""  # else: by kind
    return Alert(
        kind=row["kind"],
        message=row["message"],
        panel=row["panel"],
        severity=severity,
        data=data if isinstance(data, dict) else {},
        at=read_iso(row["at"]),  # None: none, or unreadable (a file edited by hand)
        id=row["id"],
    )


def undelivered_counts(reader: Store) -> dict[str, int]:
    """Return how many alert deliveries are still tried (``waiting``) and
    given up (``given_up``). Raise StoreError if the database cannot be read."""
    counts = {"waiting": 0, "given_up": 0}
    for state, n in reader.tuples(
        "SELECT CASE WHEN gave_up_at IS NULL THEN 'waiting' ELSE 'given_up' END, count(*) "
        "FROM alert_deliveries GROUP BY 1"
    ):
        counts[state] = n
    return counts
