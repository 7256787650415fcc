"""The ``order_overview`` view: the text migration m010 creates it with, and
each later migration's re-creation of it (m014, m016, m018, m022, m025,
m049), every text the one before with one part replaced. Plain SQL, usable from
``sqlite3`` too; the conventions every view shares are in
:mod:`tracker.store.views`.

These texts are part of applied migrations: never edit them. To change the
view, add a migration that drops and re-creates it with new text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # report reads SCORECARD_QUERY (views.py) without loading sqlite-utils
    from sqlite_utils import Database

ORDER_OVERVIEW = """
CREATE VIEW order_overview AS
SELECT
    o.panel,
    o.order_id,
    o.service,
    s.name AS service_name,
    o.link,
    o.quantity,
    o.status,
    o.remains,
    CASE WHEN o.quantity <> 0 AND o.remains IS NOT NULL
         THEN o.quantity - o.remains END AS delivered,
    o.charge,
    o.currency,
    o.source,
    o.created_at AS first_seen,
    o.completed_at,
    CAST(round((julianday('now') - julianday(o.created_at)) * 86400) AS INTEGER)
        AS age_seconds,
    CAST(round((julianday(o.completed_at) - julianday(o.created_at)) * 86400) AS INTEGER)
        AS completion_seconds,
    (SELECT count(*) FROM refills AS r
      WHERE r.panel = o.panel AND r.order_id = o.order_id) AS refills,
    (SELECT count(*) FROM refills AS r
      WHERE r.panel = o.panel AND r.order_id = o.order_id
        AND r.refill_id IS NOT NULL) AS refills_accepted,
    (SELECT count(*) FROM refills AS r
      WHERE r.panel = o.panel AND r.order_id = o.order_id
        AND r.status = 'Completed') AS refills_completed,
    EXISTS (SELECT 1 FROM refills AS r
      WHERE r.panel = o.panel AND r.order_id = o.order_id AND r.refill_id IS NOT NULL
        AND r.status NOT IN ('Rejected', 'Canceled')) AS needed_refill,
    COALESCE(o.last_change_at, o.created_at) AS last_change_at,
    CAST(round((julianday('now') - julianday(COALESCE(o.last_change_at, o.created_at)))
               * 86400) AS INTEGER) AS unchanged_seconds,
    o.last_checked_at,
    o.polling,
    o.polling = 1 AND (o.status IS NULL
        OR o.status NOT IN ('Completed', 'Partial', 'Canceled', 'Refunded')) AS is_open,
    o.error
FROM orders AS o
LEFT JOIN services AS s ON s.panel = o.panel AND s.service = o.service
"""


# m014: `delivered` as the orders listing now counts it (tracker.rules.delivery):
# only once the status says delivery happened, of the whole order (a drip-feed
# order's quantity is per run: runs x quantity). Pending and Processing orders,
# whose remains some panel scripts report as "0", show none.
_M010_DELIVERED = """CASE WHEN o.quantity <> 0 AND o.remains IS NOT NULL
         THEN o.quantity - o.remains END AS delivered,"""
_M014_DELIVERED = """CASE WHEN o.status IN ('In progress', 'Completed', 'Partial', 'Canceled',
                           'Refunded')
          AND o.quantity <> 0 AND o.remains IS NOT NULL
         THEN o.quantity * (CASE WHEN o.runs > 1 THEN o.runs ELSE 1 END) - o.remains
         END AS delivered,"""
assert _M010_DELIVERED in ORDER_OVERVIEW
ORDER_OVERVIEW_M014 = ORDER_OVERVIEW.replace(_M010_DELIVERED, _M014_DELIVERED)


def recreate_order_overview(db: Database) -> None:
    """Migration m014: order_overview with the listing's delivered rule (stuck_orders,
    which reads it, picks the new text up by name)."""
    db.execute("DROP VIEW order_overview")
    db.execute(ORDER_OVERVIEW_M014)


# m016: refills_completed reads refills by (panel, order_id): with `r.status`
# indexable, SQLite picked refills_status (panel, status, id) and scanned every
# Completed refill of the panel for each order (76k orders, 8k such refills:
# minutes for the scorecard). `+r.status` leaves it to refills_order.
_M014_COMPLETED = "AND r.status = 'Completed') AS refills_completed"
assert _M014_COMPLETED in ORDER_OVERVIEW_M014
ORDER_OVERVIEW_M016 = ORDER_OVERVIEW_M014.replace(
    _M014_COMPLETED, "AND +r.status = 'Completed') AS refills_completed"
)


def recreate_order_overview_indexed(db: Database) -> None:
    """Migration m016: order_overview reading each order's refills by its index."""
    db.execute("DROP VIEW order_overview")
    db.execute(ORDER_OVERVIEW_M016)


# m018: `delivered` is NULL when remains is above the whole order (the quantity
# held is not the panel's: a drip-feed order tracked without its runs), as the
# listing shows none (tracker.rules.delivery): it read -4285 of 5000.
_WHOLE = "o.quantity * (CASE WHEN o.runs > 1 THEN o.runs ELSE 1 END)"
_M014_CONDITION = "AND o.quantity <> 0 AND o.remains IS NOT NULL\n"
assert _M014_CONDITION in ORDER_OVERVIEW_M016
ORDER_OVERVIEW_M018 = ORDER_OVERVIEW_M016.replace(
    _M014_CONDITION,
    f"AND o.quantity <> 0 AND o.remains IS NOT NULL AND o.remains <= {_WHOLE}\n",
)


def recreate_order_overview_bounded(db: Database) -> None:
    """Migration m018: order_overview's delivered unknown when remains is above the order."""
    db.execute("DROP VIEW order_overview")
    db.execute(ORDER_OVERVIEW_M018)


# m022: `delivered` is NULL too when remains is below minus the whole order
# (tracker.rules.delivery.plausible_remains): a panel's "-99999999999" of 1000
# read 100000000999 delivered. Over-delivery (-2: 2 extra) still counts.
_M018_CONDITION = f"AND o.remains <= {_WHOLE}\n"
assert _M018_CONDITION in ORDER_OVERVIEW_M018
ORDER_OVERVIEW_M022 = ORDER_OVERVIEW_M018.replace(
    _M018_CONDITION, f"AND o.remains <= {_WHOLE}\n          AND o.remains >= -{_WHOLE}\n"
)


def recreate_order_overview_plausible(db: Database) -> None:
    """Migration m022: order_overview's delivered unknown when remains is no delivery figure."""
    db.execute("DROP VIEW order_overview")
    db.execute(ORDER_OVERVIEW_M022)


# m025: needed_refill counted any refill accepted and not Rejected or Canceled.
# With refill.detect = "panel" every guaranteed order's daily request is
# accepted (Pending), then Rejected hours later when nothing dropped: the
# scorecard's REFILLED read near 100% meanwhile, and Unknown or Failed refills
# counted too. A refill the panel is delivering or delivered (In progress,
# Completed) is what shows the count had dropped. `+r.status`: as m016.
_M022_NEEDED = "AND r.status NOT IN ('Rejected', 'Canceled')) AS needed_refill"
assert _M022_NEEDED in ORDER_OVERVIEW_M022
ORDER_OVERVIEW_M025 = ORDER_OVERVIEW_M022.replace(
    _M022_NEEDED, "AND +r.status IN ('In progress', 'Completed')) AS needed_refill"
)


def recreate_order_overview_refilled(db: Database) -> None:
    """Migration m025: needed_refill only for a refill the panel delivers or delivered."""
    db.execute("DROP VIEW order_overview")
    db.execute(ORDER_OVERVIEW_M025)


# m049: `charge` NULL where the stored one is no finite number: infinity
# (0.1.0 kept a panel's "1e400" as a REAL inf), or text or bytes a hand edit
# left (a NaN SQLite already stores as NULL). The view and the dashboard's
# order pages showed "Infinity" where `orders` shows no charge. Read through
# a join of the order's own row, so that the column stays a column of
# orders, its declared type REAL (an expression's is none): one lookup by
# the primary key an order.
_M025_CHARGE = "    o.charge,\n"
_M025_FROM = "LEFT JOIN services AS s ON s.panel = o.panel AND s.service = o.service\n"
assert _M025_CHARGE in ORDER_OVERVIEW_M025 and ORDER_OVERVIEW_M025.endswith(_M025_FROM)
ORDER_OVERVIEW_M049 = ORDER_OVERVIEW_M025.replace(_M025_CHARGE, "    c.charge,\n").replace(
    _M025_FROM,
    _M025_FROM
    + "LEFT JOIN orders AS c ON c.panel = o.panel AND c.order_id = o.order_id\n"
    + "    AND typeof(c.charge) IN ('integer', 'real') AND c.charge NOT IN (9e999, -9e999)\n",
)


def recreate_order_overview_m049(db: Database) -> None:
    """Migration m049: order_overview's charge NULL where the stored one is
    no finite number (same rows, same columns)."""
    db.execute("DROP VIEW order_overview")
    db.execute(ORDER_OVERVIEW_M049)


# m051: completion_seconds is NULL for an order first seen already Completed
# (a backlog given to `track`): its first transition is from no status to
# Completed, and its completed_at is the first poll, seconds after it was
# tracked: no time to complete. It counted in report's and the dashboard's
# MEDIAN and P90 ("10s" for a service that takes hours); the stall watch's
# medians leave it out by the same rule (store/watch.py). Read from the
# partial index m051 creates, one probe a completed order, no row read: only
# such a first transition writes to it; the statuses in it too, or SQLite
# reads each row to check what it is there for (as m023).
FIRST_SEEN_COMPLETED = "t.from_status IS NULL AND t.to_status = 'Completed'"
FIRST_SEEN_COMPLETED_INDEX = (
    "CREATE INDEX transitions_first_completed "
    "ON transitions (panel, order_id, from_status, to_status) "
    "WHERE from_status IS NULL AND to_status = 'Completed'"
)
_M049_COMPLETION = (
    "    CAST(round((julianday(o.completed_at) - julianday(o.created_at)) * 86400) AS INTEGER)\n"
    "        AS completion_seconds,\n"
)
assert _M049_COMPLETION in ORDER_OVERVIEW_M049
ORDER_OVERVIEW_M051 = ORDER_OVERVIEW_M049.replace(
    _M049_COMPLETION,
    "    CASE WHEN o.completed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM transitions AS t\n"
    "        WHERE t.panel = o.panel AND t.order_id = o.order_id\n"
    f"          AND {FIRST_SEEN_COMPLETED})\n"
    "    THEN CAST(round((julianday(o.completed_at) - julianday(o.created_at)) * 86400)\n"
    "              AS INTEGER) END AS completion_seconds,\n",
)


def recreate_order_overview_m051(db: Database) -> None:
    """Migration m051: order_overview's completion_seconds NULL for an order
    first seen already Completed (same rows, same columns)."""
    db.execute(FIRST_SEEN_COMPLETED_INDEX)
    db.execute("DROP VIEW order_overview")
    db.execute(ORDER_OVERVIEW_M051)
