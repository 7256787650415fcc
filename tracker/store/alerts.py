"""SQL for balances, alerts and alert episodes (tables of m003_balances_and_alerts).

Functions take a :class:`tracker.store.orders.Store` and use its ``write()`` and
``rows()``; they raise StoreError like the Store does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tracker.clock import iso, read_iso
from tracker.store.sql import CHUNK, chunks
from tracker.store.typed import NUMBER_TYPES

if TYPE_CHECKING:
    from tracker.rules.episodes import Alert, Episode
    from tracker.store.connection import Connection
    from tracker.store.orders import Store


# --- balances ------------------------------------------------------------------


def record_balance(
    store: Store, panel: str, at: datetime, balance: Decimal, currency: str | None
) -> None:
    """Store one balance answer."""
    with store.write() as db:
        db.execute(
            "INSERT INTO balances (panel, at, balance, currency) VALUES (?, ?, ?, ?)",
            [panel, iso(at), float(balance), currency],
        )


def balance_history(store: Store, panel: str, since: datetime) -> list[dict[str, Any]]:
    """Return a panel's balances stamped at or after ``since``, in the order
    they were stored: the order checked, also across a clock set back (which
    stamps newer balances earlier than the ones before the step). From the
    (panel, at) index's range: "+rowid" keeps SQLite from reading the
    panel's every check in rowid order instead, as it chose once the file
    held statistics (ANALYZE). A check whose balance is no number (a file
    edited by hand) is left out, as :func:`latest_balance` leaves it."""
    return store.rows(
        "SELECT at, balance, currency FROM balances WHERE panel = ? AND at >= ? "
        f"AND {NUMBER_TYPES} ORDER BY +rowid",
        [panel, iso(since)],
    )


def balance_before(store: Store, panel: str, before: datetime) -> bool:
    """Whether a panel has a balance (a number) stamped before ``before``:
    history older than the runway's day exists."""
    return bool(
        store.rows(
            f"SELECT 1 FROM balances WHERE panel = ? AND at < ? AND {NUMBER_TYPES} LIMIT 1",
            [panel, iso(before)],
        )
    )


def latest_balance(store: Store, panel: str) -> dict[str, Any] | None:
    """Return a panel's most recent balance row, or None if none was ever fetched.

    The last one stored, not the one stamped latest: a clock set back stamps
    newer balances earlier than the ones before the step. A check whose
    balance is no number (text: a file edited by hand) is passed over:
    :func:`tracker.store.typed.unreadable_balances` names it."""
    found = store.rows(
        f"SELECT at, balance, currency FROM balances WHERE panel = ? AND {NUMBER_TYPES} "
        "ORDER BY rowid DESC LIMIT 1",
        [panel],
    )
    return found[0] if found else None


_NAMED = "currency IS NOT NULL AND trim(currency) <> ''"


def balance_currencies(
    store: Connection, panel: str, since: datetime
) -> list[tuple[str, datetime | None]]:
    """Return the currencies a panel's balances named (a blank or none names
    none), each with when it was stored (None: unreadable, a file edited by
    hand), oldest first: the last one stamped before ``since``, then every
    one stamped at or after it, in the order stored. The last is the
    panel's currency as far as the tracker knows it."""
    stamp = iso(since)
    before = store.rows(
        f"SELECT currency, at FROM balances WHERE panel = ? AND at < ? AND {_NAMED} "
        "ORDER BY at DESC LIMIT 1",
        [panel, stamp],
    )
    after = store.rows(
        f"SELECT currency, at FROM balances WHERE panel = ? AND at >= ? AND {_NAMED} "
        "ORDER BY +rowid",
        [panel, stamp],
    )
    return [(r["currency"], read_iso(r["at"])) for r in (*before, *after)]


def currency_at(store: Connection, panel: str, at: str) -> str | None:
    """Return the currency the panel's balance last named at or before the
    stamp ``at`` (None: none named by then), as :func:`balance_currencies`
    tells a re-order's spend apart."""
    rows = store.rows(CURRENCY_AT, [panel, at])
    return rows[0]["currency"] if rows else None


# currency_at's query (panel, at): also automation_actions.currency's, in the
# transaction that records an action (m045).
CURRENCY_AT = (
    f"SELECT currency FROM balances WHERE panel = ? AND at <= ? AND {_NAMED} "
    "ORDER BY at DESC LIMIT 1"
)


def currency_then(store: Store, panel: str, at: str | None) -> str | None:
    """Return the panel's currency at the stamp ``at`` as the commands name
    it: :func:`currency_at`, else (none named by then, or no ``at``) its
    latest balance's; None when no balance named one."""
    then = currency_at(store, panel, at) if at else None
    return then or (latest_balance(store, panel) or {}).get("currency")


# --- alerts --------------------------------------------------------------------


def _episode_params(state: tuple[str, str, Episode]) -> list[Any]:
    panel, kind, episode = state
    return [
        panel,
        kind,
        int(episode.active),
        iso(episode.since) if episode.since else None,
        iso(episode.last_sent_at) if episode.last_sent_at else None,
    ]


_SAVE_EPISODE = """
    INSERT INTO alert_state (panel, kind, active, since, last_sent_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (panel, kind) DO UPDATE SET
        active = excluded.active, since = excluded.since, last_sent_at = excluded.last_sent_at
"""


def record_alert(store: Store, alert: Alert, episode: tuple[str, str, Episode] | None) -> int:
    """Store an alert (and its episode's new state, in the same transaction);
    return the alert's ID."""
    assert alert.at is not None
    with store.write() as db:
        cursor = db.execute(
            "INSERT INTO alerts (at, panel, kind, severity, message, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                iso(alert.at),
                alert.panel,
                alert.kind,
                alert.severity,
                alert.message,
                json.dumps(alert.data, ensure_ascii=False, sort_keys=True),
            ],
        )
        if episode is not None:
            db.execute(_SAVE_EPISODE, _episode_params(episode))
        return int(cursor.lastrowid or 0)


def save_episode(store: Store, episode: tuple[str, str, Episode]) -> None:
    """Store an episode's state on its own (a quiet change, no alert)."""
    with store.write() as db:
        db.execute(_SAVE_EPISODE, _episode_params(episode))


def save_quirks(store: Store, quirks: Sequence[tuple[str, str, Episode, str]]) -> None:
    """Store panels' quirks (:mod:`tracker.rules.quirks`), each ``(panel,
    kind, episode, line)``, in one transaction, and forget the same quirk
    kept at each panel's other URLs: one row per panel and quirk."""
    with store.write() as db:
        for panel, kind, episode, line in quirks:
            prefix = f"{line}@"
            db.execute(_SAVE_EPISODE, _episode_params((panel, kind, episode)))
            db.execute(
                "DELETE FROM alert_state WHERE panel = ? AND kind != ? AND substr(kind, 1, ?) = ?",
                [panel, kind, len(prefix), prefix],
            )


EpisodeRow = tuple[bool, datetime | None, datetime | None]


def _episode_row(row: dict[str, Any]) -> EpisodeRow:
    since, sent = row["since"], row["last_sent_at"]
    return (
        bool(row["active"]),
        read_iso(since),  # None: unreadable too, a file edited by hand
        read_iso(sent),
    )


def load_episode(store: Store, panel: str, kind: str) -> EpisodeRow | None:
    """Return (active, since, last_sent_at) of an episode, or None if never stored."""
    found = store.rows(
        "SELECT active, since, last_sent_at FROM alert_state WHERE panel = ? AND kind = ?",
        [panel, kind],
    )
    return _episode_row(found[0]) if found else None


def load_episodes(
    store: Store, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], EpisodeRow]:
    """Return (active, since, last_sent_at) of each ``(panel, kind)`` of
    ``keys`` stored (those never stored left out): a read per 250 keys."""
    found: dict[tuple[str, str], EpisodeRow] = {}
    for part in chunks(sorted(set(keys)), CHUNK // 2):
        pairs = ", ".join("(?, ?)" for _ in part)
        rows = store.rows(
            "SELECT panel, kind, active, since, last_sent_at FROM alert_state "
            f"WHERE (panel, kind) IN (VALUES {pairs})",
            [value for key in part for value in key],
        )
        found.update(((row["panel"], row["kind"]), _episode_row(row)) for row in rows)
    return found


def open_episodes(store: Store) -> list[dict[str, Any]]:
    """Return every open episode: panel, kind, since, last_sent_at."""
    return store.rows(
        "SELECT panel, kind, since, last_sent_at FROM alert_state WHERE active = 1 "
        "ORDER BY panel, kind"
    )


def alerts_since(
    store: Store, since: datetime | None, *, panel: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Return the most recent ``limit`` alerts at or after ``since`` (all when
    None), oldest first, with ``data`` decoded."""
    where, params = [], []
    if since is not None:
        where.append("at >= ?")
        params.append(iso(since))
    if panel is not None:
        where.append("panel = ?")
        params.append(panel)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = store.rows(
        f"SELECT * FROM (SELECT * FROM alerts {clause} ORDER BY id DESC LIMIT ?) ORDER BY id",
        [*params, int(limit)],
    )
    for row in rows:
        try:
            row["data"] = json.loads(row["data"] or "{}")
        except ValueError:
            pass  # shown as stored: the row was written by hand or another tool
    return rows


def last_alert_data(
    store: Store, panel: str, kinds: Sequence[str], since: datetime
) -> dict[str, Any] | None:
    """Return the ``data`` of a panel's last alert of ``kinds`` raised at or
    after ``since`` (None: none stored, or data no JSON object)."""
    marks = ", ".join("?" for _ in kinds)
    rows = store.rows(
        f"SELECT data FROM alerts WHERE panel = ? AND kind IN ({marks}) AND at >= ? "
        "ORDER BY id DESC LIMIT 1",
        [panel, *kinds, iso(since)],
    )
    try:
        data = json.loads(rows[0]["data"] or "{}") if rows else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


# --- alert targets' outages ------------------------------------------------------

# Kept in alert_state too, under no panel's name (a panel's name is never
# empty): :mod:`tracker.alerts.outages_kept`.
NO_PANEL = ""


def target_outages(store: Store) -> dict[str, EpisodeRow]:
    """Return {kind: (active, since, last_sent_at)} of every alert target's
    outage kept (the rows of no panel)."""
    rows = store.rows(
        "SELECT kind, active, since, last_sent_at FROM alert_state WHERE panel = ?", [NO_PANEL]
    )
    return {row["kind"]: _episode_row(row) for row in rows}


def forget_target_outages(store: Store, kinds: Sequence[str]) -> None:
    """Delete the alert targets' outages kept under ``kinds``."""
    with store.write() as db:
        for kind in kinds:
            db.execute("DELETE FROM alert_state WHERE panel = ? AND kind = ?", [NO_PANEL, kind])
