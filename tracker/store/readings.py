"""Read-only queries for the STATUS= line, the metrics endpoint, doctor, the
read commands and the ``unknown_status`` check after each poll: what the
database holds, whatever the config names.

They run on a connection of their own (a second :class:`~tracker.store.Store`
opened without migrating): the daemon's writer connection is serialised by a
lock, and WAL lets a reader see the last commit while a poll writes, so a
scrape or a heartbeat never waits behind a write.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tracker.errors import StoreError
from tracker.panel.statuses import KNOWN_ORDER_STATUSES, TERMINAL
from tracker.rules.unknown_status import IDS_IN_DATA, IN_DATA, Spelling, UnknownWords
from tracker.store.listing import LOST_ORDERS
from tracker.store.orders import Store
from tracker.store.sql import chunks, panels_of, placeholders
from tracker.store.typed import NUMBER_TYPES

LOST_IDS_SHOWN = 3  # the lowest IDs of a panel's lost orders doctor names
_BALANCE_COLUMNS = {"panel", "at", "balance"}


def open_order_count(reader: Store) -> int | None:
    """Given a reader, return how many orders are still polled, or None if unreadable."""
    try:
        return sum(reader.open_counts().values())
    except StoreError:
        return None


def latest_balances(reader: Store) -> list[tuple[str, str, float]]:
    """Given a reader, return each panel's last balance as (panel, currency, amount).

    The ``balances`` table belongs to the balance job; an older database
    without it (or with other columns) simply has no balances to show.
    Raise StoreError if the database cannot be read.
    """
    found = reader.rows("SELECT name FROM pragma_table_info('balances')")
    columns = {row["name"] for row in found}
    if not columns >= _BALANCE_COLUMNS:
        return []
    currency = "COALESCE(currency, '')" if "currency" in columns else "''"
    # The row of each panel's max(rowid): the last one stored (not the one
    # stamped latest: a clock set back stamps newer earlier). The panels are
    # walked, each one's last row sought in the index balances_panel (m029):
    # GROUP BY panel read every balance ever checked at every scrape. A check
    # whose balance is no finite number (0.1.0 stored "1e400" as infinity: a
    # gauge of +Inf) is passed over, as `balance` passes over it.
    rows = reader.rows(
        f"""
        WITH RECURSIVE p(name) AS (
            SELECT min(panel) FROM balances
            UNION ALL
            SELECT (SELECT min(panel) FROM balances WHERE panel > p.name)
            FROM p WHERE p.name IS NOT NULL
        )
        SELECT b.panel, {currency} AS currency, b.balance
        FROM p JOIN balances AS b
            ON b.rowid = (
                SELECT rowid FROM balances WHERE panel = p.name AND {NUMBER_TYPES}
                ORDER BY rowid DESC LIMIT 1
            )
        WHERE p.name IS NOT NULL
        """
    )
    result = []
    for row in rows:
        try:
            amount = float(row["balance"])
        except (TypeError, ValueError):
            continue  # not a number: nothing a gauge can show
        result.append((str(row["panel"]), str(row["currency"]), amount))
    return result


def open_by_panel(reader: Store) -> dict[str, int]:
    """Given a store, return how many orders each panel has still polled.

    One grouped query over the open orders' index (``orders_open_status``),
    whatever the panels in the config: a panel taken out of it keeps its
    open orders here. Raise StoreError if the database cannot be read.
    """
    rows = reader.rows("SELECT panel, count(*) AS n FROM orders WHERE polling = 1 GROUP BY panel")
    return {str(row["panel"]): int(row["n"]) for row in rows}


def open_counts_of(reader: Store, panels: Iterable[str]) -> dict[str, int]:
    """Given a store and panel names, return how many orders each of them still
    has polled (panels with none left out): one count over the open orders'
    index per panel named, so the orders of other panels are never read.
    Raise StoreError if the database cannot be read."""
    counts = {}
    for panel in panels:
        [(n,)] = reader.tuples(
            "SELECT count(*) FROM orders WHERE panel = ? AND polling = 1", [panel]
        )
        if n:
            counts[panel] = int(n)
    return counts


# Each panel in `orders` by a jump down the primary key (panel, order_id): one
# index seek per panel, however many orders each one has.
_PANELS = panels_of("orders")


def panels_in_database(reader: Store) -> list[str]:
    """Given a store, return the name of every panel that has orders in it, sorted,
    configured or not. Raise StoreError if the database cannot be read."""
    return [str(row["name"]) for row in reader.rows(_PANELS)]


def panels_with_balances(reader: Store) -> list[str]:
    """Given a store, return the name of every panel it holds a balance of,
    sorted (a tracker with no order yet has balances): one seek a panel."""
    return [str(row["name"]) for row in reader.rows(panels_of("balances"))]


def orders_with_id(reader: Store, order_id: int) -> list[dict[str, Any]]:
    """Given an order ID, return its row on each panel that has it, by panel name,
    configured or not. Raise StoreError if the database cannot be read."""
    return reader.rows(
        f"SELECT o.* FROM ({_PANELS}) AS p JOIN orders AS o "
        "ON o.panel = p.name AND o.order_id = ? ORDER BY o.panel",
        [order_id],
    )


def panels_holding(reader: Store, order_ids: Iterable[int]) -> dict[int, list[str]]:
    """Given order IDs, return the panels holding each, by name, configured or
    not (an ID no panel holds is left out): one seek per panel and ID, as
    :func:`orders_with_id`. Raise StoreError if the database cannot be read."""
    held: dict[int, list[str]] = {}
    for chunk in chunks(sorted(set(order_ids))):
        rows = reader.rows(
            f"SELECT o.order_id, o.panel FROM ({_PANELS}) AS p JOIN orders AS o "
            f"ON o.panel = p.name AND o.order_id IN ({placeholders(chunk)}) ORDER BY o.panel",
            chunk,
        )
        for row in rows:
            held.setdefault(int(row["order_id"]), []).append(str(row["panel"]))
    return held


_ENDED = ", ".join("'" + status.replace("'", "''") + "'" for status in sorted(TERMINAL))


def ended_statuses(reader: Store, panel: str, order_ids: Iterable[int]) -> dict[int, str]:
    """Given a panel and order IDs, return those it holds as ended (Completed,
    Partial, Canceled, Refunded, as last polled) with that status: one query
    per 500 IDs, not one per ID (`cancel -` of 10,000 orders). Raise
    StoreError if the database cannot be read."""
    ended: dict[int, str] = {}
    for chunk in chunks(sorted(set(order_ids))):
        rows = reader.rows(
            f"SELECT order_id, status FROM orders WHERE panel = ? "
            f"AND order_id IN ({placeholders(chunk)}) AND status IN ({_ENDED})",
            [panel, *chunk],
        )
        ended.update((int(row["order_id"]), str(row["status"])) for row in rows)
    return ended


# --- open orders in status words the tracker does not know ----------------------

_KNOWN = ", ".join("'" + status.replace("'", "''") + "'" for status in sorted(KNOWN_ORDER_STATUSES))
_IN_UNKNOWN_WORDS = f"polling = 1 AND status IS NOT NULL AND status NOT IN ({_KNOWN})"
# Each distinct status of a panel's open orders, by a jump down the open orders'
# index (orders_open_status): one seek per status, however many orders carry
# it. Stopped one past the number of known statuses: one of those is unknown.
_OPEN_STATUSES = """
WITH RECURSIVE s(status) AS (
    SELECT min(status) FROM orders WHERE panel = ?1 AND polling = 1
    UNION ALL
    SELECT (SELECT min(status) FROM orders WHERE panel = ?1 AND polling = 1 AND status > s.status)
    FROM s WHERE s.status IS NOT NULL
)
SELECT status FROM s WHERE status IS NOT NULL LIMIT ?2
"""
# doctor's query (it reads the file on its own connection): every panel's open
# orders by unknown spelling, the most carried first.
UNKNOWN_WORDS_BY_PANEL = (
    f"SELECT panel, status, count(*) FROM orders WHERE {_IN_UNKNOWN_WORDS} "
    "GROUP BY panel, status ORDER BY panel, 3 DESC, status"
)

# doctor's query for the orders `orders --status lost` lists: each panel's
# lowest IDs, one row each, with how many the panel has in all, and how many
# of those an older version gave up on (m033: never counted unknown, so no
# unknown_since; 0.1.0 stopped at three "Incorrect order ID" in a row).
LOST_BY_PANEL = f"""
SELECT panel, lost, order_id, older FROM (
    SELECT panel, order_id, count(*) OVER (PARTITION BY panel) AS lost,
        sum(unknown_since IS NULL) OVER (PARTITION BY panel) AS older,
        row_number() OVER (PARTITION BY panel ORDER BY order_id) AS n
    FROM orders WHERE {LOST_ORDERS}
) WHERE n <= {LOST_IDS_SHOWN} ORDER BY panel, order_id
"""


# Orders whose refills the panel refused for good (refills.permanent) and took
# no request of since (one given a refill ID after it): held out of the
# automatic rounds, as rules/refills.py refused_for_good judges; each with its
# completion and its service's name and category (``known``: 0 when the
# service is not stored), for the rule to judge it inside its own window
# (rules/refusal_doctor.py), and its status and service's refill flag (the
# rule counts only those the rounds would read but for the refusal). One
# parameter: the start of the longest window any order may get (ISO, as
# completed_at is written), :data:`SERVICE_NAMES`'; not each order's own, as
# the refill round's reach_clause: the same count, 2 ms saved
# (docs/performance-history.md, "doctor's count of orders refused for good").
HELD_OUT_ORDERS = """
SELECT DISTINCT r.panel, r.order_id, o.completed_at, s.name, s.category, s.panel IS NOT NULL,
    o.status, s.refill
FROM refills r
JOIN orders o ON o.panel = r.panel AND o.order_id = r.order_id
LEFT JOIN services s ON s.panel = o.panel AND s.service = o.service
WHERE r.permanent = 1 AND o.completed_at >= ? AND NOT EXISTS (
    SELECT 1 FROM refills n WHERE n.panel = r.panel AND n.order_id = r.order_id
    AND n.refill_id IS NOT NULL AND n.requested_at > r.requested_at)
ORDER BY r.panel, r.order_id
"""
# Every stored service's name and category: the guarantees they say, the
# longest of which is how far back HELD_OUT_ORDERS must reach.
SERVICE_NAMES = "SELECT DISTINCT name, category FROM services"


# Orders given up as lost, per panel: from the m024 index alone.
LOST_COUNTS = f"SELECT panel, count(*) FROM orders WHERE {LOST_ORDERS} GROUP BY panel"


def lost_counts(reader: Store) -> dict[str, int]:
    """Return how many orders each panel has given up as lost (only panels with
    any). Raise StoreError if the database cannot be read."""
    return {panel: n for panel, n in reader.tuples(LOST_COUNTS)}


def carries_unknown_words(reader: Store, panel: str) -> bool:
    """Given a store and a panel, return True when an open order of the panel
    has a status the tracker does not know (a few index seeks, run after every
    poll). Raise StoreError if the database cannot be read."""
    found = reader.tuples(_OPEN_STATUSES, [panel, len(KNOWN_ORDER_STATUSES) + 1])
    return any(status not in KNOWN_ORDER_STATUSES for (status,) in found)


def unknown_spellings(reader: Store, panel: str, most: int) -> list[str]:
    """Given a store, a panel and a bound, return at most ``most`` of the
    spellings (as the panel wrote them) of its open orders' status words the
    tracker does not know. Raise StoreError if the database cannot be read."""
    where = f"panel = ? AND raw_status IS NOT NULL AND {_IN_UNKNOWN_WORDS}"
    found = reader.tuples(
        f"SELECT DISTINCT raw_status FROM orders WHERE {where} LIMIT ?", [panel, most]
    )
    return [str(raw) for (raw,) in found]


def unknown_words(reader: Store, panel: str) -> UnknownWords:
    """Given a store and a panel, return its open orders in status words the
    tracker does not know: how many, the spellings carried by the most orders
    and the lowest IDs of each. Raise StoreError if the database cannot be read."""
    where = f"panel = ? AND {_IN_UNKNOWN_WORDS}"
    [(orders, spellings)] = reader.tuples(
        f"SELECT count(*), count(DISTINCT status) FROM orders WHERE {where}", [panel]
    )
    counted = reader.tuples(
        f"SELECT status, count(*) FROM orders WHERE {where} "
        "GROUP BY status ORDER BY 2 DESC, status LIMIT ?",
        [panel, IN_DATA],
    )
    shown = []
    for status, count in counted:
        ids = reader.tuples(
            "SELECT order_id FROM orders WHERE panel = ? AND polling = 1 AND status = ? "
            "ORDER BY order_id LIMIT ?",
            [panel, status, IDS_IN_DATA],
        )
        shown.append(Spelling(str(status), int(count), tuple(int(i) for (i,) in ids)))
    return UnknownWords(int(orders), int(spellings), tuple(shown))


# Panels whose polls are failing now (as `orders` notes them), with the words
# of the newest alert of that episode when one was raised (status_failing is
# raised after alerts.unreachable_after; the log's status_failed lines before).
FAILING_BY_PANEL = """
SELECT s.panel, s.kind, s.since,
       (SELECT a.message FROM alerts a WHERE a.panel = s.panel AND a.kind = s.kind
        AND a.at >= s.since ORDER BY a.id DESC LIMIT 1) AS said,
       (SELECT a.at FROM alerts a WHERE a.panel = s.panel AND a.kind = s.kind
        AND a.at >= s.since ORDER BY a.id DESC LIMIT 1) AS said_at
FROM alert_state s
WHERE ((s.kind = 'status_failing' AND s.since IS NOT NULL)
       OR (s.kind IN ('panel_unreachable', 'auth_failed') AND s.active = 1))
ORDER BY s.panel, s.kind
"""


# Each panel's currency: the one its latest balance that named one named
# (doctor: one figure of money set for panels in different currencies).
CURRENCY_BY_PANEL = """
SELECT p.panel,
       (SELECT b.currency FROM balances b WHERE b.panel = p.panel AND b.currency IS NOT NULL
        AND trim(b.currency) <> '' ORDER BY b.at DESC, b.rowid DESC LIMIT 1)
FROM (SELECT DISTINCT panel FROM balances) p
"""
