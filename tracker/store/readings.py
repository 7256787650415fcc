"""Read-only queries for the STATUS= line and the metrics endpoint.

They run on a connection of their own (a second :class:`~tracker.store.Store`
opened without migrating): the daemon's writer connection is serialised by a
lock, and WAL lets a reader see the last commit while a poll writes, so a
scrape or a heartbeat never waits behind a write.
"""

from __future__ import annotations

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
    # SQLite takes bare columns from the row holding max(at): the latest one.
    rows = reader.rows(
        f"SELECT panel, {currency} AS currency, balance, max(at) FROM balances GROUP BY panel"
    )
    result = []
    for row in rows:
        try:
            amount = float(row["balance"])
        except (TypeError, ValueError):
            continue  # not a number: nothing a gauge can show
        result.append((str(row["panel"]), str(row["currency"]), amount))
    return result
