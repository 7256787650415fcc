"""What the read commands say after ``prune``: a note on stderr when their
window reaches before the cutoff of a prune of what they read (its counts
are then incomplete), a ``pruned`` field in their JSON; and what an order ID
the file does not hold may be. Never on stdout, which scripts parse.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from tracker.cli.render import safe_text
from tracker.cli.screen import Screen, fitted, moment, stdout_screen
from tracker.clock import iso
from tracker.rules.prune_notes import (
    emptied_note,
    gone_note,
    reaches_before,
    window_field,
    window_note,
)
from tracker.store.connection import Connection
from tracker.store.prune_runs import newest_cut, newest_orders_cut


def reached(store: Connection, panel: str | None, start: datetime | None) -> dict[str, Any] | None:
    """Given ``--panel`` (None: every panel) and where a read's window starts
    (None: at the first record), return the prune whose cutoff it reaches
    before, the latest; None when no prune deleted anything it reads."""
    prune = newest_cut(store, panel)
    return prune if reaches_before(None if start is None else iso(start), prune) else None


def reached_orders(store: Connection, panel: str | None, start: datetime) -> dict[str, Any] | None:
    """:func:`reached` among the prunes that deleted orders: what ``orders
    --since`` reads (a prune of alerts alone left every order)."""
    prune = newest_orders_cut(store, panel)
    return prune if reaches_before(iso(start), prune) else None


def note(
    prune: dict[str, Any] | None, panel: str | None = None, screen: Screen | None = None
) -> None:
    """Say on stderr that the window (of ``panel``'s history, when given)
    reaches before ``prune``'s cutoff, wrapped to the width of ``screen``
    (stderr's terminal; None: one line); nothing for None."""
    if prune is not None:
        click.echo(fitted(safe_text(window_note(_on_screen(prune), panel)), screen), err=True)


def field(prune: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON ``pruned`` field: the prune the window reaches before, or null."""
    return window_field(prune)


def gone(store: Connection, panel: str | None) -> str:
    """What to add to "order N is not tracked" when a prune of ``panel`` (None:
    of any) deleted orders: it may be one of them. Empty when none did."""
    prune = newest_orders_cut(store, panel)
    return "" if prune is None else safe_text(gone_note(_on_screen(prune)))


def emptied(store: Connection, panel: str | None) -> str | None:
    """What ``orders`` (of ``panel``; None: every panel) says when it lists
    none after a prune deleted orders: that prune, as its record holds it.
    None when no prune deleted any."""
    prune = newest_orders_cut(store, panel)
    return None if prune is None else safe_text(emptied_note(_on_screen(prune)))


def _on_screen(prune: dict[str, Any]) -> dict[str, Any]:
    """The prune with its cutoff as a terminal shows a time ("2025-12-04
    16:08 UTC"); as stored when stdout is no terminal (scripts read it)."""
    return {**prune, "cutoff": moment(prune["cutoff"], stdout_screen())}
