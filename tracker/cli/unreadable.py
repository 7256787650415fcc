"""Values a hand-edited or damaged database holds where a number goes
(``orders.remains = 'lots'``, an alert's ``data`` no JSON object): read as
unknown by the command, each row's column named once on stderr, never a
traceback; the file keeps what it holds."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import click

from tracker.cli.render import safe_text
from tracker.store.connection import Connection
from tracker.store.typed import (
    ORDER_NUMBERS,
    TRANSITION_NUMBERS,
    unreadable,
    unreadable_balances,
)

SHOWN = 40  # characters of a value named (a garbled one may be megabytes)
Listing = Callable[[int | None], Iterable[dict[str, Any]]]
NOT_A_NUMBER = "not a number: read as unknown"
NAMED = 10  # values named one by one per command; past them one line says more


class Unreadable:
    """What one command has named: each (row, column) once, at most
    :data:`NAMED` of them, then one line for the rest."""

    def __init__(self) -> None:
        self.named: set[tuple[str, str]] = set()

    def say(self, row: str, column: str, value: object, why: str = NOT_A_NUMBER) -> None:
        """Name ``row``'s ``column`` holding ``value``, once, on stderr."""
        if (row, column) in self.named:
            return
        self.named.add((row, column))
        if len(self.named) > NAMED:
            if len(self.named) == NAMED + 1:
                click.echo("smm-tracker: more stored values read so, not named", err=True)
            return
        held = safe_text(repr(value), SHOWN)
        if isinstance(value, float) and math.isinf(value):  # said in words, never "inf"
            held = "infinity" if value > 0 else "minus infinity"
        click.echo(f"smm-tracker: {row}: {column} holds {held}, {why}", err=True)

    def orders(self, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Given order rows (streamed), yield them with their numbers readable."""
        return self.numbers(rows, "orders", ORDER_NUMBERS, _order)

    def numbers(
        self,
        rows: Iterable[dict[str, Any]],
        table: str,
        columns: tuple[str, ...],
        named: Callable[[dict[str, Any]], str],
    ) -> Iterator[dict[str, Any]]:
        """Given rows of ``table`` (streamed), yield them with their number
        ``columns`` readable, each row so read named by ``named``."""
        for row in rows:
            for column, value in unreadable(row, columns):
                self.say(named(row), f"{table}.{column}", value)
            yield row

    def listing(self, listed: Listing) -> Listing:
        """Given ``orders``' listing (rows by ``--limit``), return it read so."""
        return lambda limit: self.orders(listed(limit))

    def transitions(self, order: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        """Given an order and its transitions, make their numbers readable, in place."""
        for row in rows:
            for column, value in unreadable(row, TRANSITION_NUMBERS):
                at = safe_text(row.get("at"), SHOWN)
                named = f"order {order['panel']} #{order['order_id']}'s change at {at}"
                self.say(named, f"transitions.{column}", value)

    def balances(self, store: Connection, panels: Iterable[str]) -> set[str]:
        """Name each panel's balance checks whose balance is no number: left
        out. Return the panels that have such checks."""
        found = set()
        for panel in panels:
            for row in unreadable_balances(store, panel, NAMED + 1):
                found.add(panel)
                at = safe_text(row["at"], SHOWN)
                named = f"panel {panel}'s balance check at {at}"
                value = row["balance"]
                why = "no finite number" if isinstance(value, float) else "not a number"
                self.say(named, "balances.balance", value, f"{why}: left out")
        return found

    def alert_data(self, rows: list[dict[str, Any]]) -> None:
        """Given alerts with ``data`` decoded, make one that is no JSON object
        (text edited by hand, a list) ``{}``, as the daemon sends it, in place."""
        for row in rows:
            if not isinstance(row["data"], dict):
                self.say(
                    f"alert {row['id']}", "alerts.data", row["data"], "no JSON object: read as {}"
                )
                row["data"] = {}


def _order(row: dict[str, Any]) -> str:
    return f"order {row['panel']} #{row['order_id']}"


def refill_request(row: dict[str, Any]) -> str:
    """How a refill request is named: its ``id``, as ``refills --json`` shows it."""
    return f"refill request {row['id']}"


def action(row: dict[str, Any]) -> str:
    """How an automation action is named: its ``id``, as ``automation --json`` shows it."""
    return f"automation action {row['id']}"
