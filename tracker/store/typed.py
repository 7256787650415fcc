"""Numbers read back from a file a person may have edited: a number column
holding text or bytes (``UPDATE orders SET remains = 'lots'``, an old backup,
a disk fault) read as unknown, None, and what was there returned so the
command reading it can name the row once. Nothing is written: the file keeps
what it holds.
"""

from __future__ import annotations

from typing import Any

from tracker.store.connection import Connection

# The number columns of the rows the read commands show (``orders``,
# ``history``, ``refills``, ``automation``): a value of another type there reads as None.
ORDER_NUMBERS = (
    "service",
    "quantity",
    "remains",
    "start_count",
    "charge",
    "error_count",
    "runs",
    "interval",
    "parent_order_id",
)
TRANSITION_NUMBERS = ("remains", "charge")
REFILL_NUMBERS = ("error_count",)
ACTION_NUMBERS = ("service", "quantity", "estimated_cost", "new_order_id")

# A balance as stored, in SQL: the checks whose balance is one, and finite
# (0.1.0 stored a panel's "1e400" as infinity: `balance` showed "Infinity",
# its runway "spending inf USD/day", and one last ended in a traceback).
NUMBER_TYPES = "typeof(balance) IN ('integer', 'real') AND balance NOT IN (9e999, -9e999)"


def is_number(value: object) -> bool:
    """Whether a stored value reads as a number (None does: unknown)."""
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def unreadable(row: dict[str, Any], columns: tuple[str, ...]) -> list[tuple[str, object]]:
    """Given a row and its number columns, set each of them holding no number
    to None, in place; return (column, what it held) of those so read."""
    found = [(c, row[c]) for c in columns if c in row and not is_number(row[c])]
    for column, _ in found:
        row[column] = None
    return found


def unreadable_balances(store: Connection, panel: str, most: int) -> list[dict[str, Any]]:
    """Return the ``at`` and ``balance`` of a panel's checks whose balance is
    no number, the last stored first, at most ``most``: those
    :func:`tracker.store.alerts.latest_balance` and the runway pass over."""
    return store.rows(
        f"SELECT at, balance FROM balances WHERE panel = ? AND NOT ({NUMBER_TYPES}) "
        "ORDER BY rowid DESC LIMIT ?",
        [panel, most],
    )
