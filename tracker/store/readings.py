"""Read-only queries for the STATUS= line, the metrics endpoint, doctor and the
read commands: what the database holds, whatever the config names.

They run on a connection of their own (a second :class:`~tracker.store.Store`
opened without migrating): the daemon's writer connection is serialised by a
lock, and WAL lets a reader see the last commit while a poll writes, so a
scrape or a heartbeat never waits behind a write.
"""

from __future__ import annotations

from typing import Any

from tracker.errors import StoreError
from tracker.store.orders import Store

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
    # SQLite takes bare columns from the row holding max(rowid): the last one
    # stored (not the one stamped latest: a clock set back stamps newer earlier).
    rows = reader.rows(
        f"SELECT panel, {currency} AS currency, balance, max(rowid) FROM balances GROUP BY panel"
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


# Each panel in `orders` by a jump down the primary key (panel, order_id): one
# index seek per panel, however many orders each one has.
_PANELS = """
WITH RECURSIVE p(name) AS (
    SELECT min(panel) FROM orders
    UNION ALL
    SELECT (SELECT min(panel) FROM orders WHERE panel > p.name) FROM p WHERE p.name IS NOT NULL
)
SELECT name FROM p WHERE name IS NOT NULL
"""


def panels_in_database(reader: Store) -> list[str]:
    """Given a store, return the name of every panel that has orders in it, sorted,
    configured or not. Raise StoreError if the database cannot be read."""
    return [str(row["name"]) for row in reader.rows(_PANELS)]


def orders_with_id(reader: Store, order_id: int) -> list[dict[str, Any]]:
    """Given an order ID, return its row on each panel that has it, by panel name,
    configured or not. Raise StoreError if the database cannot be read."""
    return reader.rows(
        f"SELECT o.* FROM ({_PANELS}) AS p JOIN orders AS o "
        "ON o.panel = p.name AND o.order_id = ? ORDER BY o.panel",
        [order_id],
    )
