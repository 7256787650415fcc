"""The scorecard's SQL since migration m019: spend one figure per currency.

The m010 text (store/views.py) added every charge of a service into one
``spend`` labelled ``max(currency)``: a panel that moved from USD to EUR read
12.30 USD + 4.00 EUR as "16.30 USD". Here each (panel, service) row keeps
its columns and meaning, and:

- ``spend_by_currency`` is a JSON array of ``{"currency", "spend"}`` objects,
  highest figure first: one per currency the service's orders were charged
  in (a charge of 0 or none adds to no figure; ``currency`` null when the
  panel did not say it: a figure of its own, never added to a named one);
  ``[]`` when nothing was charged;
- ``spend`` and ``currency`` are as before when there is at most one such
  figure, and NULL when there are several: no single figure is right;
- rows come highest spend first, a several-currency service by its largest
  figure (services of different panels were always compared by the number).

m028, m041 and m042 re-create it from the text before (below): m041 leaves
out the orders the panel never answered for and no longer tracked, m042
folds a currency written in two cases ("USD", "usd") into one figure.

These texts are part of an applied migration: never edit them; add a
migration that drops and re-creates the view with new text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # report reads SCORECARD_QUERY_M019 without loading sqlite-utils
    from sqlite_utils import Database

# As store/views.py's SCORECARD_QUERY, over the orders of order_overview that
# match {window}: the view passes the last 30 days, `smm-tracker report` any
# window and panel. Only spends, by_currency and the last three columns are new.
SCORECARD_QUERY_M019 = """
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
),
spends AS (
    SELECT panel, service, currency, round(total(charge), 5) AS spend
    FROM recent
    WHERE charge <> 0
    GROUP BY panel, service, currency
),
by_currency AS (
    SELECT panel, service, count(*) AS currencies, max(currency) AS currency,
           max(spend) AS top, max(figures) AS figures
    FROM (
        SELECT *, json_group_array(json_object('currency', currency, 'spend', spend)) OVER (
                      PARTITION BY panel, service ORDER BY spend DESC, currency
                      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS figures
        FROM spends)
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
    CASE WHEN max(b.currencies) > 1 THEN NULL ELSE round(total(r.charge), 5) END AS spend,
    CASE WHEN max(b.currencies) IS NULL THEN max(r.currency)
         WHEN max(b.currencies) = 1 THEN max(b.currency) END AS currency,
    COALESCE(max(b.figures), '[]') AS spend_by_currency
FROM recent AS r
LEFT JOIN percentiles AS p ON p.panel = r.panel AND p.service IS r.service
LEFT JOIN by_currency AS b ON b.panel = r.panel AND b.service IS r.service
GROUP BY r.panel, r.service
ORDER BY COALESCE(spend, max(b.top)) DESC, r.panel, r.service
"""

SERVICE_SCORECARD_M019 = "CREATE VIEW service_scorecard AS" + SCORECARD_QUERY_M019.format(
    window="first_seen >= strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-30 days')"
)


def recreate_service_scorecard(db: Database) -> None:
    """Migration m019: service_scorecard with spend per currency (same rows, same
    columns and one more: spend_by_currency)."""
    db.execute("DROP VIEW service_scorecard")
    db.execute(SERVICE_SCORECARD_M019)


# m028: a completion stamped before the order was first seen (the wall clock
# set back between the two, a database from a machine whose clock ran ahead)
# is no time to deliver: left out of the median and p90, as the stall watch
# leaves it out of its own medians. It read as -3599 s, shown "0s".
SCORECARD_QUERY_M028 = SCORECARD_QUERY_M019.replace(
    "WHERE status = 'Completed' AND completion_seconds IS NOT NULL",
    "WHERE status = 'Completed' AND completion_seconds >= 0",
)

SERVICE_SCORECARD_M028 = "CREATE VIEW service_scorecard AS" + SCORECARD_QUERY_M028.format(
    window="first_seen >= strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-30 days')"
)


def recreate_service_scorecard_m028(db: Database) -> None:
    """Migration m028: service_scorecard's percentiles without completions
    stamped before first seen (same rows, same columns)."""
    db.execute("DROP VIEW service_scorecard")
    db.execute(SERVICE_SCORECARD_M028)


# m041: an order the panel never answered for (status NULL) and no longer
# tracked (untracked before its first poll, or lost: the panel called its ID
# unknown until the tracker gave it up) is no outcome of the service: it
# counted in orders, in no outcome and not open, so every share read low (1
# Partial of 2 orders: 50%). Left out of every figure; one never answered for
# but still tracked is open, and counts. (Such an order has no charge.)
_WINDOW = "SELECT * FROM order_overview WHERE {window}\n"
assert _WINDOW in SCORECARD_QUERY_M028
SCORECARD_QUERY_M041 = SCORECARD_QUERY_M028.replace(
    _WINDOW,
    "SELECT * FROM order_overview WHERE ({window})\n"
    "        AND (status IS NOT NULL OR is_open)  -- m041: seen by the panel, or open\n",
)

SERVICE_SCORECARD_M041 = "CREATE VIEW service_scorecard AS" + SCORECARD_QUERY_M041.format(
    window="first_seen >= strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-30 days')"
)


def recreate_service_scorecard_m041(db: Database) -> None:
    """Migration m041: service_scorecard without the orders never answered for and
    no longer tracked (same columns; a service with only such orders has no row)."""
    db.execute("DROP VIEW service_scorecard")
    db.execute(SERVICE_SCORECARD_M041)


# m042: spend_by_currency has one figure per currency, whatever case or
# blanks its label was written in: a panel script writing "usd" for a while
# read "10.00 USD" and "2.30 usd", two currencies (a service's spend NULL).
# The charges are added up per label as stored first (as before), then the
# few figures folded by upper(trim(currency)): the label the panel wrote in
# capitals when it ever did, else the label of the largest part, as `report`
# names it (tracker.rules.money.one_per_currency). Rounded once, the sum.
_M041_SPENDS = """spends AS (
    SELECT panel, service, currency, round(total(charge), 5) AS spend
    FROM recent
    WHERE charge <> 0
    GROUP BY panel, service, currency
),"""
_M042_SPENDS = """labelled AS (
    SELECT panel, service, currency, upper(trim(currency)) AS folded, total(charge) AS spend
    FROM recent
    WHERE charge <> 0
    GROUP BY panel, service, currency
),
spends AS (  -- m042: one figure per currency, its labels in any case folded
    SELECT panel, service, label AS currency, round(total(spend), 5) AS spend
    FROM (SELECT *, first_value(currency) OVER (
                        PARTITION BY panel, service, folded
                        ORDER BY currency IS folded DESC, spend DESC, currency) AS label
          FROM labelled)
    GROUP BY panel, service, folded
),"""
assert _M041_SPENDS in SCORECARD_QUERY_M041
SCORECARD_QUERY_M042 = SCORECARD_QUERY_M041.replace(_M041_SPENDS, _M042_SPENDS)

SERVICE_SCORECARD_M042 = "CREATE VIEW service_scorecard AS" + SCORECARD_QUERY_M042.format(
    window="first_seen >= strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-30 days')"
)


def recreate_service_scorecard_m042(db: Database) -> None:
    """Migration m042: service_scorecard's spend_by_currency with the labels of
    one currency in any case folded into one figure (same rows, same columns)."""
    db.execute("DROP VIEW service_scorecard")
    db.execute(SERVICE_SCORECARD_M042)


# m048: a charge stored as infinity (0.1.0 kept a panel's "1e400" as a REAL
# inf; SQLite stores NaN as NULL) is no charge: `orders` and `report` show
# it '-' and leave it out of spend, the view added it ("Infinity" spend on
# the dashboard). Left out of spend and spend_by_currency; the order counts.
FINITE_CHARGE = "CASE WHEN {c} IN (9e999, -9e999) THEN NULL ELSE {c} END"
_M042_CHARGED = "    FROM recent\n    WHERE charge <> 0\n"
_M042_SPEND = "ELSE round(total(r.charge), 5) END AS spend,"
assert _M042_CHARGED in SCORECARD_QUERY_M042 and _M042_SPEND in SCORECARD_QUERY_M042
SCORECARD_QUERY_M048 = SCORECARD_QUERY_M042.replace(
    _M042_CHARGED,
    "    FROM recent\n    WHERE charge <> 0 AND charge NOT IN (9e999, -9e999)  -- m048: finite\n",
).replace(_M042_SPEND, f"ELSE round(total({FINITE_CHARGE.format(c='r.charge')}), 5) END AS spend,")

SERVICE_SCORECARD_M048 = "CREATE VIEW service_scorecard AS" + SCORECARD_QUERY_M048.format(
    window="first_seen >= strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-30 days')"
)


def recreate_service_scorecard_m048(db: Database) -> None:
    """Migration m048: service_scorecard's spend without a charge stored as
    infinity (same rows, same columns)."""
    db.execute("DROP VIEW service_scorecard")
    db.execute(SERVICE_SCORECARD_M048)


# m050: odd stored values never break the view. A currency stored as bytes
# (a hand edit) read as unknown, as `report` reads it: no JSON holds bytes,
# and every read of the view (the dashboard's scorecard page, a user's
# query) ended "JSON cannot hold BLOB values". A figure whose sum is beyond
# what a REAL holds (two charges of 1e308) is NULL, as m049's charge: the
# view read Infinity (a CSV export wrote "inf") and its JSON an "Inf" that
# no JSON reader takes. Same rows, same columns.
TEXT_CURRENCY = "CASE WHEN typeof({c}) <> 'blob' THEN {c} END"
_M048_RECENT = "SELECT * FROM order_overview WHERE ("
_M050_RECENT = (
    "SELECT * FROM (SELECT panel, service, service_name, status, is_open, first_seen,\n"
    "                      completion_seconds, refills, refills_accepted, refills_completed,\n"
    "                      needed_refill, charge,\n"
    f"                      {TEXT_CURRENCY.format(c='currency')} AS currency  -- m050\n"
    "                  FROM order_overview) WHERE ("
)
_M048_FIGURE = "round(total(spend), 5) AS spend\n"
_M048_SPEND = f"ELSE round(total({FINITE_CHARGE.format(c='r.charge')}), 5) END AS spend,"
assert SCORECARD_QUERY_M048.count(_M048_RECENT) == 1
assert SCORECARD_QUERY_M048.count(_M048_FIGURE) == 1 and _M048_SPEND in SCORECARD_QUERY_M048
SCORECARD_QUERY_M050 = (
    SCORECARD_QUERY_M048.replace(_M048_RECENT, _M050_RECENT)
    .replace(_M048_FIGURE, FINITE_CHARGE.format(c="round(total(spend), 5)") + " AS spend\n")
    .replace(
        _M048_SPEND,
        "ELSE "
        + FINITE_CHARGE.format(c=f"round(total({FINITE_CHARGE.format(c='r.charge')}), 5)")
        + " END AS spend,",
    )
)

SERVICE_SCORECARD_M050 = "CREATE VIEW service_scorecard AS" + SCORECARD_QUERY_M050.format(
    window="first_seen >= strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-30 days')"
)


def recreate_service_scorecard_m050(db: Database) -> None:
    """Migration m050: service_scorecard with a currency stored as bytes read
    as unknown and a spend beyond a REAL NULL (same rows, same columns)."""
    db.execute("DROP VIEW service_scorecard")
    db.execute(SERVICE_SCORECARD_M050)
