"""The SQL of the views migration m010 creates: plain SQL, usable from ``sqlite3`` too.

These texts are part of an applied migration: never edit them. To change a
view, add a migration that drops and re-creates it with new text.
order_overview's text and its re-creations (m014 to m025) are in
:mod:`tracker.store.order_overview`.

Conventions shared by every view:
- times are the stored UTC ISO-8601 text; durations are whole seconds
  (``*_seconds``), measured against SQLite's ``'now'`` (UTC) when they run to
  the present;
- ``delivered`` follows the orders listing (``smm-tracker orders``): quantity
  less remains, when both are known and the quantity is not 0; NULL otherwise
  (``remains`` below 0 means over-delivery, so delivered can exceed quantity);
- "open" means still polled (``polling = 1``) and not in a final status
  (Completed, Partial, Canceled, Refunded);
- only columns every schema since m007 has are read, so later migrations that
  add columns to ``orders`` leave the views working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.store.order_overview import (  # noqa: F401  (re-exported: migrations_added.py's)
    ORDER_OVERVIEW,
    recreate_order_overview,
    recreate_order_overview_bounded,
    recreate_order_overview_indexed,
    recreate_order_overview_plausible,
    recreate_order_overview_refilled,
)

if TYPE_CHECKING:  # report reads SCORECARD_QUERY without loading sqlite-utils
    from sqlite_utils import Database

# The scorecard over the orders of order_overview that match {window}: the
# view passes the last 30 days, `smm-tracker report` any window and panel.
# Percentiles interpolate linearly between ranks (Python's
# statistics.quantiles(method="inclusive")); integer arithmetic keeps them
# exact: the p-th value sits at rank (n - 1) * p. m019 re-created the view
# with spend one figure per currency: store/scorecard.py (report reads that).
SCORECARD_QUERY = """
WITH recent AS (
    SELECT * FROM order_overview WHERE {window}
),
ranked AS (
    SELECT panel, service, completion_seconds AS v,
           row_number() OVER (PARTITION BY panel, service ORDER BY completion_seconds) - 1
               AS i,
           count(*) OVER (PARTITION BY panel, service) AS n
    FROM recent
    WHERE status = 'Completed' AND completion_seconds IS NOT NULL
),
percentiles AS (
    SELECT panel, service,
           sum(CASE i - (n - 1) / 2
                   WHEN 0 THEN v * (2 - (n - 1) % 2)
                   WHEN 1 THEN v * ((n - 1) % 2) END) / 2.0 AS median,
           sum(CASE i - (n - 1) * 9 / 10
                   WHEN 0 THEN v * (10 - (n - 1) * 9 % 10)
                   WHEN 1 THEN v * ((n - 1) * 9 % 10) END) / 10.0 AS p90
    FROM ranked
    GROUP BY panel, service
)
SELECT
    r.panel,
    r.service,
    max(r.service_name) AS service_name,
    count(*) AS orders,
    count(*) FILTER (WHERE r.is_open) AS open,
    count(*) FILTER (WHERE r.status = 'Completed') AS completed,
    count(*) FILTER (WHERE r.status = 'Partial') AS partial,
    count(*) FILTER (WHERE r.status = 'Canceled') AS canceled,
    count(*) FILTER (WHERE r.status = 'Refunded') AS refunded,
    round(1.0 * count(*) FILTER (WHERE r.status = 'Completed') / count(*), 4)
        AS share_completed,
    round(1.0 * count(*) FILTER (WHERE r.status = 'Partial') / count(*), 4) AS share_partial,
    round(1.0 * count(*) FILTER (WHERE r.status = 'Canceled') / count(*), 4) AS share_canceled,
    round(1.0 * count(*) FILTER (WHERE r.status = 'Refunded') / count(*), 4) AS share_refunded,
    max(p.median) AS median_completion_seconds,
    max(p.p90) AS p90_completion_seconds,
    sum(r.refills) AS refills_asked,
    sum(r.refills_accepted) AS refills_accepted,
    sum(r.refills_completed) AS refills_completed,
    round(1.0 * count(*) FILTER (WHERE r.status = 'Completed' AND r.needed_refill)
          / nullif(count(*) FILTER (WHERE r.status = 'Completed'), 0), 4) AS share_refilled,
    round(total(r.charge), 5) AS spend,
    max(r.currency) AS currency
FROM recent AS r
LEFT JOIN percentiles AS p ON p.panel = r.panel AND p.service IS r.service
GROUP BY r.panel, r.service
ORDER BY spend DESC, r.panel, r.service
"""

SERVICE_SCORECARD = "CREATE VIEW service_scorecard AS" + SCORECARD_QUERY.format(
    window="first_seen >= strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-30 days')"
)

DAILY_ACTIVITY = """
CREATE VIEW daily_activity AS
WITH events (day, panel, placed, completed, spend, refills_asked) AS (
    SELECT substr(created_at, 1, 10), panel, 1, 0, charge, 0 FROM orders
    UNION ALL
    SELECT substr(completed_at, 1, 10), panel, 0, 1, NULL, 0 FROM orders
    WHERE status = 'Completed' AND completed_at IS NOT NULL
    UNION ALL
    SELECT substr(requested_at, 1, 10), panel, 0, 0, NULL, 1 FROM refills
)
SELECT day, panel,
       sum(placed) AS orders,
       sum(completed) AS completed,
       round(total(spend), 5) AS spend,
       sum(refills_asked) AS refills_asked
FROM events
GROUP BY day, panel
ORDER BY day, panel
"""

STUCK_ORDERS = """
CREATE VIEW stuck_orders AS
SELECT panel, order_id, service, service_name, status, quantity, remains, delivered,
       first_seen, last_change_at, unchanged_seconds,
       round(unchanged_seconds / 3600.0, 1) AS unchanged_hours,
       last_checked_at, error
FROM order_overview
WHERE is_open AND unchanged_seconds > 24 * 3600
ORDER BY last_change_at, panel, order_id
"""

M010_VIEWS = (ORDER_OVERVIEW, SERVICE_SCORECARD, DAILY_ACTIVITY, STUCK_ORDERS)


def create_views(db: Database) -> None:
    """Migration m010: create the four views (inside the migration's transaction)."""
    for sql in M010_VIEWS:
        db.execute(sql)


# m017: daily_activity grouped every order, completion and refill into one
# sort: ~0.2 s a read at 80k orders, and Datasette reads a view three times a
# page. Each part is now counted per day and panel first, in the order of an
# index: partial ones, so that the writes of polled (open) orders, which set
# charge and completed_at on every answer, never touch them (covering indexes
# on all orders doubled those writes). The open orders' part is small: a
# scan picks them out (`polling <> 0`, so no row is lost whatever it holds).
# Same columns, same rows. m020 re-created the view with spend one figure per
# currency, and orders_created_day with the currency in it: store/daily.py.
DAILY_ACTIVITY_INDEXES = (
    "CREATE INDEX orders_created_day ON orders (substr(created_at, 1, 10), panel, charge, "
    "created_at) WHERE polling = 0",
    "CREATE INDEX orders_completed_day ON orders (substr(completed_at, 1, 10), panel, "
    "completed_at) WHERE status = 'Completed' AND completed_at IS NOT NULL",
)
DAILY_ACTIVITY_M017 = """
CREATE VIEW daily_activity AS
WITH events (day, panel, placed, completed, spend, refills_asked) AS (
    SELECT substr(created_at, 1, 10), panel, count(*), 0, total(charge), 0
    FROM orders WHERE polling = 0 GROUP BY 1, 2
    UNION ALL
    SELECT substr(created_at, 1, 10), panel, count(*), 0, total(charge), 0
    FROM orders WHERE polling <> 0 GROUP BY 1, 2
    UNION ALL
    SELECT substr(completed_at, 1, 10), panel, 0, count(*), NULL, 0
    FROM orders INDEXED BY orders_completed_day
    WHERE status = 'Completed' AND completed_at IS NOT NULL GROUP BY 1, 2
    UNION ALL
    SELECT substr(requested_at, 1, 10), panel, 0, 0, NULL, count(*) FROM refills GROUP BY 1, 2
)
SELECT day, panel,
       sum(placed) AS orders,
       sum(completed) AS completed,
       round(total(spend), 5) AS spend,
       sum(refills_asked) AS refills_asked
FROM events
GROUP BY day, panel
ORDER BY day, panel
"""


def recreate_daily_activity_indexed(db: Database) -> None:
    """Migration m017: daily_activity counting each part from an index of its own."""
    for sql in DAILY_ACTIVITY_INDEXES:
        db.execute(sql)
    db.execute("DROP VIEW daily_activity")
    db.execute(DAILY_ACTIVITY_M017)
