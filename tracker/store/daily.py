"""daily_activity's SQL since migration m020: spend one figure per currency.

The m010 and m017 texts (store/views.py) added every charge of a day and
panel into one ``spend``, with no currency: a panel that moved from USD to
EUR read 12.30 USD + 4.00 EUR on the day it changed as 16.30. Here each (day,
panel) row keeps its columns and meaning, as the scorecard does since m019
(store/scorecard.py), and:

- ``spend_by_currency`` is a JSON array of ``{"currency", "spend"}`` objects,
  highest figure first: one per currency the day's orders were charged in (a
  charge of 0 or none adds to no figure: a currency whose charges total 0 has
  none, as the scorecard's, charges never being below 0 (panel/values.py);
  ``currency`` null when the panel did not say it: a figure of its own, never
  added to a named one); ``[]`` when nothing was charged;
- ``spend`` is as before when there is at most one such figure, and NULL when
  there are several: no single figure is right;
- ``currency`` is that one figure's currency (with no figure: that of the
  day's orders, as the scorecard's; NULL when the panel never said it or no
  order was first seen that day), NULL when there are several.

The orders' part is counted per day, panel and currency in the order of
orders_created_day, which m020 re-creates with ``currency`` in it, and
``polling`` (always 0 there) so that SQLite reads the index alone; still
partial: the writes of polled orders never touch it. The completions' and
refills' parts are m017's. 80k orders: ~0.06 s a read (m017's ~0.045 s).
m042 (below) folds a currency written in two cases ("USD", "usd") into one
figure, after that read.

These texts are part of an applied migration: never edit them; add a
migration that drops and re-creates the view with new text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

CREATED_DAY_INDEX_M020 = (
    "CREATE INDEX orders_created_day ON orders (substr(created_at, 1, 10), panel, currency, "
    "charge, created_at, polling) WHERE polling = 0"
)

DAILY_ACTIVITY_M020 = """
CREATE VIEW daily_activity AS
WITH placed (day, panel, currency, orders, spend) AS (
    SELECT substr(created_at, 1, 10), panel, currency, count(*), total(charge)
    FROM orders WHERE polling = 0 GROUP BY 1, 2, 3
    UNION ALL
    SELECT substr(created_at, 1, 10), panel, currency, count(*), total(charge)
    FROM orders WHERE polling <> 0 GROUP BY 1, 2, 3
),
spends AS (
    SELECT day, panel, currency, sum(orders) AS orders, total(spend) <> 0 AS charged,
           round(total(spend), 5) AS spend
    FROM placed
    GROUP BY day, panel, currency
),
days AS (
    SELECT day, panel, sum(orders) AS orders, total(spend) AS spend,
           count(*) FILTER (WHERE charged) AS currencies,
           CASE count(*) FILTER (WHERE charged)
                WHEN 0 THEN max(currency)
                WHEN 1 THEN max(currency) FILTER (WHERE charged) END AS currency,
           max(figures) AS figures
    FROM (
        SELECT *, CASE WHEN charged THEN json_group_array(
                           json_object('currency', currency, 'spend', spend)) OVER (
                       PARTITION BY day, panel, charged ORDER BY spend DESC, currency
                       ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) END AS figures
        FROM spends)
    GROUP BY day, panel
),
events (day, panel, placed, completed, spend, currencies, currency, figures, refills_asked) AS (
    SELECT day, panel, orders, 0, spend, currencies, currency, figures, 0 FROM days
    UNION ALL
    SELECT substr(completed_at, 1, 10), panel, 0, count(*), NULL, NULL, NULL, NULL, 0
    FROM orders INDEXED BY orders_completed_day
    WHERE status = 'Completed' AND completed_at IS NOT NULL GROUP BY 1, 2
    UNION ALL
    SELECT substr(requested_at, 1, 10), panel, 0, 0, NULL, NULL, NULL, NULL, count(*)
    FROM refills GROUP BY 1, 2
)
SELECT day, panel,
       sum(placed) AS orders,
       sum(completed) AS completed,
       CASE WHEN max(currencies) > 1 THEN NULL ELSE round(total(spend), 5) END AS spend,
       sum(refills_asked) AS refills_asked,
       max(currency) AS currency,
       COALESCE(max(figures), '[]') AS spend_by_currency
FROM events
GROUP BY day, panel
ORDER BY day, panel
"""


def recreate_daily_activity(db: Database) -> None:
    """Migration m020: daily_activity with spend per currency (same rows, the
    same columns and two more: currency, spend_by_currency), its orders'
    index re-created with the currency in it."""
    db.execute("DROP VIEW daily_activity")
    db.execute("DROP INDEX orders_created_day")
    db.execute(CREATED_DAY_INDEX_M020)
    db.execute(DAILY_ACTIVITY_M020)


# m042: as the scorecard's (store/scorecard.py, m042), a currency whose label
# was written in another case or with blanks ("usd", " USD") is one figure:
# the few (day, panel, label) rows counted in the order of orders_created_day
# (kept: ``placed`` is m020's) are folded by upper(trim(currency)) after,
# labelled as the panel wrote it in capitals when it ever did, else as the
# largest part is. ``charged``: the folded figure's.
_M020_SPENDS = """spends AS (
    SELECT day, panel, currency, sum(orders) AS orders, total(spend) <> 0 AS charged,
           round(total(spend), 5) AS spend
    FROM placed
    GROUP BY day, panel, currency
),"""
_M042_SPENDS = """labelled AS (
    SELECT day, panel, currency, upper(trim(currency)) AS folded, sum(orders) AS orders,
           total(spend) AS spend
    FROM placed
    GROUP BY day, panel, currency
),
spends AS (  -- m042: one figure per currency, its labels in any case folded
    SELECT day, panel, label AS currency, sum(orders) AS orders, total(spend) <> 0 AS charged,
           round(total(spend), 5) AS spend
    FROM (SELECT *, first_value(currency) OVER (
                        PARTITION BY day, panel, folded
                        ORDER BY currency IS folded DESC, spend DESC, currency) AS label
          FROM labelled)
    GROUP BY day, panel, folded
),"""
assert _M020_SPENDS in DAILY_ACTIVITY_M020
DAILY_ACTIVITY_M042 = DAILY_ACTIVITY_M020.replace(_M020_SPENDS, _M042_SPENDS)


def recreate_daily_activity_m042(db: Database) -> None:
    """Migration m042: daily_activity's spend_by_currency with the labels of one
    currency in any case folded into one figure (same rows, same columns)."""
    db.execute("DROP VIEW daily_activity")
    db.execute(DAILY_ACTIVITY_M042)


# m045: ``orders`` counts the orders `smm-tracker report` counts (the
# scorecard's m041 rule): not one the panel never answered for (status NULL)
# that is no longer tracked (untracked before its first poll, or lost: the
# panel called its ID unknown until the tracker gave it up). The dashboard's
# Daily activity drew it as "first seen" where `report` counted it nowhere.
# Such an order has no charge: spend is as before. The polled orders' part
# keeps one only while it is polled (is_open's ``polling = 1``); the others
# are counted from orders_created_day as before (covering: the index, not
# the table, is read), less those few, found by an index on status (status
# IS NULL). A (day, panel, label) left with no order gives no row, nor a day
# left with nothing: as `report` lists no service of such orders alone.
_M042_PLACED = """    SELECT substr(created_at, 1, 10), panel, currency, count(*), total(charge)
    FROM orders WHERE polling <> 0 GROUP BY 1, 2, 3
),"""
_M045_PLACED = """    SELECT substr(created_at, 1, 10), panel, currency, count(*), total(charge)
    FROM orders WHERE polling <> 0 AND (status IS NOT NULL OR polling = 1) GROUP BY 1, 2, 3
    UNION ALL  -- m045: less the stopped orders the panel never answered for
    SELECT substr(created_at, 1, 10), panel, currency, -count(*), -total(charge)
    FROM orders WHERE status IS NULL AND polling = 0 GROUP BY 1, 2, 3
),"""
_M042_LABELLED = """    FROM placed
    GROUP BY day, panel, currency
),
spends AS (  -- m042"""
_M045_LABELLED = """    FROM placed
    GROUP BY day, panel, currency
    HAVING sum(orders) > 0  -- m045: none left of the label
),
spends AS (  -- m042"""
assert _M042_PLACED in DAILY_ACTIVITY_M042 and _M042_LABELLED in DAILY_ACTIVITY_M042
DAILY_ACTIVITY_M045 = DAILY_ACTIVITY_M042.replace(_M042_PLACED, _M045_PLACED).replace(
    _M042_LABELLED, _M045_LABELLED
)


def recreate_daily_activity_m045(db: Database) -> None:
    """Migration m045: daily_activity's orders without those the panel never
    answered for and no longer tracked, as `report` (same columns)."""
    db.execute("DROP VIEW daily_activity")
    db.execute(DAILY_ACTIVITY_M045)


# m048: a charge stored as infinity (0.1.0 kept a panel's "1e400" as a REAL
# inf) is no charge, as `orders` and `report` read it: left out of spend and
# spend_by_currency (it made the day's spend "Infinity"); the order counts.
# The expression reads the index's charge: orders_created_day still covers.
_FINITE = "CASE WHEN charge IN (9e999, -9e999) THEN NULL ELSE charge END"
assert DAILY_ACTIVITY_M045.count("total(charge)") == 3
DAILY_ACTIVITY_M048 = DAILY_ACTIVITY_M045.replace("total(charge)", f"total({_FINITE})")


def recreate_daily_activity_m048(db: Database) -> None:
    """Migration m048: daily_activity's spend without a charge stored as
    infinity (same rows, same columns)."""
    db.execute("DROP VIEW daily_activity")
    db.execute(DAILY_ACTIVITY_M048)


# m050: as the scorecard's (store/scorecard.py, m050), odd stored values never
# break the view: a currency stored as bytes (a hand edit) read as unknown
# (every read ended "JSON cannot hold BLOB values"); a charge stored as text
# or bytes is no charge, as order_overview's since m049 (bytes "1e400" added
# up to an Infinity spend); a figure beyond what a REAL holds NULL (its
# JSON an "Inf" no JSON reader takes). orders_created_day still covers.
_M050_FINITE = "CASE WHEN typeof(charge) IN ('integer', 'real') AND charge NOT IN (9e999, -9e999) "
_M048_LABELLED = "    SELECT day, panel, currency, upper(trim(currency)) AS folded, sum(orders)"
_TEXT = "CASE WHEN typeof(currency) <> 'blob' THEN currency END"
_M048_FIGURE = "json_object('currency', currency, 'spend', spend)"
_M048_SPEND = "ELSE round(total(spend), 5) END AS spend,"
_NULL_BEYOND = "CASE WHEN {x} NOT IN (9e999, -9e999) THEN {x} END"
assert DAILY_ACTIVITY_M048.count(_FINITE) == 3 and DAILY_ACTIVITY_M048.count(_M048_LABELLED) == 1
assert DAILY_ACTIVITY_M048.count(_M048_FIGURE) == 1 and DAILY_ACTIVITY_M048.count(_M048_SPEND) == 1
DAILY_ACTIVITY_M050 = (
    DAILY_ACTIVITY_M048.replace(_FINITE, _M050_FINITE + "THEN charge END")
    .replace(
        _M048_LABELLED,
        f"    SELECT day, panel, {_TEXT} AS currency, upper(trim({_TEXT})) AS folded,\n"
        "           sum(orders)",
    )
    .replace(
        _M048_FIGURE,
        f"json_object('currency', currency, 'spend', {_NULL_BEYOND.format(x='spend')})",
    )
    .replace(
        _M048_SPEND,
        f"ELSE {_NULL_BEYOND.format(x='round(total(spend), 5)')} END AS spend,",
    )
)


def recreate_daily_activity_m050(db: Database) -> None:
    """Migration m050: daily_activity with a currency stored as bytes read as
    unknown, a charge stored as text or bytes none, a spend beyond a REAL
    NULL (same rows, same columns)."""
    db.execute("DROP VIEW daily_activity")
    db.execute(DAILY_ACTIVITY_M050)
