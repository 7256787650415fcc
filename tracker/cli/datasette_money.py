"""A Datasette plugin registered by ``smm-tracker dashboard``: money written as the CLI writes it.

The dashboard's queries (tracker/data/datasette.yml) add charges up with
``exact_total(x)`` and write an amount with ``money(x)``, two SQL functions
this hook gives every connection Datasette opens (its pages, the canned
queries and the dashboards' cards alike):

- ``exact_total(x)``: the exact sum of the amounts, each as written (a REAL's
  shortest form, the panel's: ``0.477`` three times is ``1.431``, not the
  float sum's ``1.4309999999999998``), as text; NULLs are left out, as
  SQLite's ``total`` leaves them, and so is what is no finite number (an
  infinity 0.1.0 stored for a panel's "1e400", text or bytes written by
  hand): such a value made the sum ``Infinity`` or ``NaN``.
- ``money(x)``: the amount as :func:`tracker.rules.money.money` writes it for
  ``orders`` and ``report``: to the cent at least, every decimal it has
  (``21.00``, ``1.431``, ``0.000002``); NULL for what is no finite number,
  as ``orders`` shows no charge there (it read ``Infinity``, ``NaN``). The
  SQL wrote it with ``printf('%.5f')``: a total below 0.000005 read
  ``0.00``, and a sixth decimal the CLI shows was rounded away.

Imported only once Datasette is known to be installed (the ``dashboard`` extra).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Context, Decimal, InvalidOperation, localcontext
from functools import lru_cache
from typing import Any

from datasette import hookimpl

from tracker.rules.money import money, money_grouped

# The sums' arithmetic: no trap (a huge figure rounds, no error), 40 digits:
# exact for sums of charges as panels write them.
_SUMS = Context(prec=40, traps=[])


@lru_cache(maxsize=4096, typed=True)  # a panel's prices are few; 80k orders added up once each
def _decimal(value: Any) -> Decimal:
    """Given a value as SQLite holds it, return it as a Decimal: a REAL by its
    shortest form, text by its digits; what is no number, NaN."""
    if isinstance(value, bool | int):
        return Decimal(int(value))
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(value.strip()) if isinstance(value, str) else Decimal("NaN")
    except InvalidOperation:
        return Decimal("NaN")


def money_text(value: Any) -> str | None:
    """SQL ``money(x)``: ``x`` as the CLI writes an amount; NULL stays NULL,
    and what is no finite number (infinity, text or bytes no number) is NULL."""
    return _written(value, money)


def money_grouped_text(value: Any) -> str | None:
    """SQL ``money_grouped(x)``: ``x`` as the dashboard's cards and scorecard
    write an amount (:func:`tracker.rules.money.money_grouped`: "5,359,207.00",
    "0.000002"); NULL, and what is no finite number, NULL, as ``money(x)``."""
    return _written(value, money_grouped)


def _written(value: Any, write: Callable[[Decimal], str]) -> str | None:
    """``value`` as ``write`` writes an amount; None for NULL and for what is
    no finite number."""
    if value is None:
        return None
    amount = _decimal(value)
    if not amount.is_finite():
        return None
    with localcontext() as context:  # a huge figure an older row holds: no error
        context.traps[InvalidOperation] = False
        return write(amount)


class ExactTotal:
    """SQL ``exact_total(x)``: the exact sum of the values that are finite
    numbers, as text ("0" over none, as ``total`` gives 0.0); NULL, infinity
    and text or bytes no number are left out."""

    def __init__(self) -> None:
        self.sum = Decimal(0)

    def step(self, value: Any) -> None:
        if value is not None and (amount := _decimal(value)).is_finite():
            self.sum = _SUMS.add(self.sum, amount)

    def finalize(self) -> str:
        return format(self.sum, "f")


def add_functions(conn: sqlite3.Connection) -> None:
    """Give ``conn`` the SQL functions ``money``, ``money_grouped`` and ``exact_total``."""
    conn.create_function("money", 1, money_text, deterministic=True)
    conn.create_function("money_grouped", 1, money_grouped_text, deterministic=True)
    conn.create_aggregate("exact_total", 1, ExactTotal)  # type: ignore[arg-type]


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    add_functions(conn)


# The amounts of each table and view, by name: the columns the CLI writes with money().
MONEY_COLUMNS = {
    "orders": frozenset({"charge"}),
    "transitions": frozenset({"charge"}),
    "balances": frozenset({"balance"}),
    "services": frozenset({"rate"}),  # a price, as `services` writes its RATE
    "automation_actions": frozenset({"estimated_cost"}),
    "order_overview": frozenset({"charge"}),
    "service_scorecard": frozenset({"spend"}),
    "daily_activity": frozenset({"spend"}),
}


# A cost the row names the currency of (automation_actions.currency, m045):
# written with it, "0.60 USD", as `automation` names each cost among panels
# of two currencies; the page of a USD and a RUB panel's re-orders read 0.60
# and 0.60, its currency the last of 16 columns. NULL: bare, none guessed.
CURRENCY_BESIDE = {("automation_actions", "estimated_cost"): "currency"}


# Text Python and Decimal read as a number that is none: a blank money cell.
_NOT_FINITE = frozenset({"inf", "infinity", "nan", "snan"})
# A blank cell as Datasette writes NULL's (&nbsp;): its table page takes an
# empty string from a plugin for no answer, and wrote the value ("inf").
BLANK = "\xa0"


@hookimpl
def render_cell(value: Any, column: str, table: str | None, row: Any) -> str | None:
    """A table or view page's amount as the CLI writes it; an infinite one
    (0.1.0 stored a panel's "1e400" so; text "inf" or "NaN" written by hand)
    a blank cell, as the CLI shows no figure (it read ``Infinity``); any
    other cell (other text an older row holds, a canned query's cells: table
    None) as Datasette writes it. Plain text: Datasette escapes it."""
    if table is None or column not in MONEY_COLUMNS.get(table, ()):
        return None
    if isinstance(value, str) and value.strip().lower().lstrip("+-") in _NOT_FINITE:
        return BLANK
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    shown = money_text(value)
    if shown is None:  # infinity
        return BLANK
    beside = CURRENCY_BESIDE.get((table, column))
    # A sqlite3.Row: `in` would look at its values, keys() are the column names.
    if beside is not None and beside in row.keys():  # noqa: SIM118
        currency = row[beside]
        if isinstance(currency, str) and currency.strip():
            return f"{shown} {currency}"
    return shown
