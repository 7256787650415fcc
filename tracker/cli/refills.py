"""The ``refills`` command: refill requests listed, newest first (``refill
ID``: :mod:`tracker.cli.refill`; services: :mod:`tracker.cli.services`)."""

from __future__ import annotations

from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import click

from tracker.cli.bounds import POSITIVE
from tracker.cli.child_of import REFILLS, tell_parent
from tracker.cli.database import database_option
from tracker.cli.filters import UnknownStatus, refill_filter, refill_filters
from tracker.cli.listing import json_array, table_chunks
from tracker.cli.main import (
    EXIT_USAGE,
    Context,
    fail,
    handle_errors,
    main,
    pass_ctx,
)
from tracker.cli.order_args import listing_panel, parse_order_id
from tracker.cli.orders import TABLE_LIMIT
from tracker.cli.output import echo_streamed
from tracker.cli.panels import held_or_untracked, read_panel
from tracker.cli.screen import (
    SECOND,
    Columns,
    Screen,
    fitted,
    moment,
    stderr_screen,
    stdout_screen,
)
from tracker.cli.unreadable import Unreadable, refill_request
from tracker.clock import utcnow
from tracker.config.model import Config
from tracker.panel.statuses import IN_PROGRESS, PENDING
from tracker.store.capabilities import learned_where, unsupported_here
from tracker.store.orders import Store
from tracker.store.readings import panels_holding
from tracker.store.refill_reads import iter_refills, refill_statuses
from tracker.store.typed import REFILL_NUMBERS


@main.command()
@click.option(
    "--status",
    "status_filter",
    metavar="S",
    help=f"Only this status, any case ({', '.join(refill_filters())}).",
)
@click.option("--order", "order", metavar="ID", help="Only this order's.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every match unless --limit).")
@click.option(
    "--limit", type=POSITIVE, help=f"At most this many rows (the table's default: {TABLE_LIMIT})."
)
@click.option("--all", "show_all", is_flag=True, help="Every matching request, in the table too.")
@listing_panel
@database_option
@pass_ctx
@handle_errors
def refills(
    ctx: Context,
    status_filter: str | None,
    order: str | None,
    as_json: bool,
    limit: int | None,
    show_all: bool,
    panel: str | None,
    database: Path | None,
) -> None:
    """List refill requests and their outcome, newest first (the table: the newest 100)."""
    if limit is not None and show_all:
        fail("--limit and --all do not go together", EXIT_USAGE)
    # Read as every order ID argument is ("+5" or "5.0" names no order).
    order_id = None if order is None else parse_order_id(order, "--order", stdin=False)
    config = ctx.config(keys=False, database=database)
    name, store = read_panel(config, panel)  # a panel left out of the config too
    if order_id is not None and not any(
        iter_refills(store, panel=name, order_id=order_id, limit=1)
    ):
        child = partial(tell_parent, order_id=order_id, panel=name, named=database, as_json=False)
        held_or_untracked(
            config,
            store,
            order_id,
            name,
            database,
            "no refill requests",
            partial(child, act=REFILLS),
        )
    status = None
    if status_filter is not None:
        try:
            status = refill_filter(status_filter, lambda: refill_statuses(store))
        except UnknownStatus as exc:
            fail(f"--status: {exc}", EXIT_USAGE)
    opened: set[str] = set()  # panels with an open refill listed

    def is_listed(row: dict[str, Any]) -> dict[str, Any]:
        if row["refill_id"] is not None and row["status"] in (PENDING, IN_PROGRESS):
            opened.add(row["panel"])
        return row

    if as_json:  # for scripts: every match unless --limit, streamed as `orders --json`
        found = iter_refills(store, panel=name, status=status, order_id=order_id, limit=limit)
        found = Unreadable().numbers(found, "refills", REFILL_NUMBERS, refill_request)
        echo_streamed(
            json_array({**r, "permanent": bool(r["permanent"])} for r in map(is_listed, found))
        )
        _notes(config, store, opened, name, order_id, stderr_screen())  # as the table's, on stderr
        return
    # As `orders`: the table stops at a screenful (one row more tells whether
    # any were left out); --all and --limit stream, a chunk at a time.
    capped = limit is None and not show_all
    fetch = TABLE_LIMIT + 1 if capped else limit
    read = partial(iter_refills, store, panel=name, status=status, order_id=order_id)
    found = read(limit=fetch)
    shown = list(islice(found, TABLE_LIMIT)) if capped else found
    listed = 0
    screen, spec = stdout_screen(), _REFILL_SCREEN

    def as_listed(row: dict[str, Any]) -> dict[str, Any]:
        return _as_listed(is_listed(row))

    for piece in table_chunks(
        map(as_listed, shown),
        _REFILL_COLUMNS,
        _REFILL_HEADERS,
        screen=screen,
        spec=spec,
        again=lambda: map(as_listed, read(limit=fetch)),  # a longer listing's layout
    ):
        click.echo(piece)
        listed += 1
    notes = stderr_screen()  # on stderr, wrapped on a terminal
    if not listed:
        none = "no refill requests" + (f" with status {status}" if status else "")
        click.echo(fitted(none, notes), err=True)
    elif capped and next(found, None) is not None:
        more = f"(the newest {TABLE_LIMIT} shown; --limit N or --all for more)"
        click.echo(fitted(more, notes), err=True)
    _notes(config, store, opened, name, order_id, notes)


def _notes(
    config: Config,
    store: Store,
    opened: set[str],
    panel: str | None,
    order_id: int | None,
    screen: Screen | None,
) -> None:
    """Say on stderr, after the listing (a table or ``--json``): each panel
    listed with an open refill that has no refill_status, then (``--order``)
    when the order's next automatic refill request will be."""
    for line in _unfollowed(config, store, opened, screen):
        click.echo(line, err=True)
    if order_id is not None:  # one order's requests: when the next will be, as `history` says
        for line in _next_lines(config, store, panel, order_id, screen):
            click.echo(line, err=True)


def _next_lines(
    config: Config, store: Store, panel: str | None, order_id: int, screen: Screen | None
) -> list[str]:
    """The order's next automatic refill request (or why none), on each panel
    holding it (``panel``: that one), fitted."""
    from tracker.cli.next_refill import next_refill_line  # this listing alone needs it

    held = [p for p in panels_holding(store, [order_id]).get(order_id, []) if panel in (None, p)]
    lines = []
    for holder in held:
        line = next_refill_line(store, config, holder, order_id, utcnow(), screen)
        where = f" on {holder}" if len(held) > 1 else ""
        if line is not None:
            lines.append(fitted(f"order {order_id}{where}: {line}", screen))
    return lines


def _unfollowed(config: Config, store: Store, opened: set[str], screen: Screen | None) -> list[str]:
    """A note for each panel listed with an open refill that was learned to
    have no refill_status: its Pending is the answer to the request, never
    asked again (:func:`tracker.rules.refill_states.is_open`), fitted."""
    urls = {p.name: p.url for p in config.panels}  # learned at another URL: holds no more
    return [
        fitted(
            f"note: {row['panel']}{learned_where(row, urls)} has no refill_status (learned"
            f" {moment(row['learned_at'], screen)}): its open refills are never followed, their"
            " STATUS the one they were requested with; each holds its order's next automatic"
            " request back only inside refill.cooldown since it was requested",
            screen,
        )
        for row in unsupported_here(store, urls)
        if row["action"] == "refill_status" and row["panel"] in opened
    ]


_REFILL_COLUMNS = [
    *("panel", "order_id", "refill_id", "status", "requested_at", "updated_at", "source"),
    "error",
]
_REFILL_HEADERS = ["PANEL", "ORDER", "REFILL", "STATUS", "REQUESTED", "UPDATED", "SOURCE", "ERROR"]
# On a terminal, seconds: a refill's answer may come seconds after its request;
# a long STATUS (a panel's own refill words) wrapped within its column, then
# the times' dates over their clocks; when that is not enough, a long panel
# name or refill ID broken after its '-', then the status's words too (CJK,
# a character at a time).
_REFILL_SCREEN = Columns(
    times={"requested_at": SECOND, "updated_at": SECOND},
    wrap="error",
    fold=("status", "requested_at", "updated_at"),
    names=("panel", "refill_id"),
)


def _as_listed(row: dict[str, Any]) -> dict[str, Any]:
    if row["permanent"]:
        row["error"] = f"{row['error']} (for good)"
    return row
