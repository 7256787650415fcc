"""``smm-tracker history``: one order's status changes, then its charge, child orders
and runs, refills, next automatic refill and what the automation did with it (those
lines: :mod:`tracker.cli.history_notes`); the order read as ``orders`` shows it."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import click

from tracker.cli.database import database_option
from tracker.cli.listing import stop_note, with_untracked
from tracker.cli.main import Context, handle_errors, main, pass_ctx
from tracker.cli.order_args import order_panel, parse_order_id
from tracker.cli.output import OneWrite
from tracker.cli.panels import stored_order
from tracker.cli.render import CELL_WIDTH, piped_text, safe_text, table, to_json, with_reason
from tracker.cli.screen import SECOND, Columns, fitted, moment, stderr_screen, stdout_screen
from tracker.cli.unreadable import Unreadable
from tracker.config.model import Config
from tracker.store.watch_listing import with_watch

# Changes seconds apart: their order shows; a panel's long status words
# wrapped within FROM and TO.
# One currency in every row: said once, "CHARGE RUB", as `orders` says it.
HISTORY_SCREEN = Columns(
    times={"at": SECOND}, units={"currency": "charge"}, fold=("from_status", "to_status")
)


@main.command()
@click.argument("order_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@order_panel
@database_option
@pass_ctx
@handle_errors
def history(
    ctx: Context, order_id: str, as_json: bool, panel: str | None, database: Path | None
) -> None:
    """Show every status change of one order, then its charge, child orders and runs
    (drip-feed, subscription), refill and cancel requests, next automatic refill and what
    the automation did with it."""
    from tracker.cli.child_of import tell_parent  # `history` alone needs it

    oid = parse_order_id(order_id)
    config = ctx.config(keys=False, logs=False, database=database)
    # On any panel in the database; an ID not held but a tracked order's child: which one's.
    child = partial(tell_parent, order_id=oid, panel=panel, named=database, as_json=as_json)
    store, row = stored_order(config, panel, oid, database, child)
    # The order as `orders --json` shows it: eta, stall, untracked and lost too.
    told = Unreadable()  # a number column edited to text: null, its row named once
    row = next(told.orders(with_untracked(with_watch(store, [row]))))
    name = row["panel"]
    rows = store.history(name, oid)
    told.transitions(row, rows)
    if as_json:
        from tracker.cli.history_notes import cancels_json, next_refill_json, with_currency_shown
        from tracker.store.children import MAX_PARENTS, children_of, parents_of, with_children

        with_currency_shown(store, row, rows)  # what the text names: the panel's from its balance
        row = next(with_children(store, [row]))  # its count, as `orders --json` gives it
        upcoming = next_refill_json(store, row, config)
        children = children_of(store, name, oid)  # a drip-feed or subscription order's
        shown_json = {"order": row, "transitions": rows, "next_refill": upcoming}
        parents = parents_of(store, oid, name)[:MAX_PARENTS]  # a tracked order's child: whose
        shown_json["cancels"] = cancels_json(store, row)  # `cancel`'s and the automation's
        click.echo(to_json({**shown_json, "child_orders": children, "child_of": parents}))
        return
    screen, said = stdout_screen(), OneWrite()  # one write: `history ID | head -1` ends 0
    # Piped, a panel's backslash written \\, as the table's cells write it.
    text = safe_text if screen else piped_text
    shown = with_reason(row["status"], row["raw_status"])
    status = text(shown, CELL_WIDTH) if shown else "no status yet"
    error = f"  (error: {text(row['error'], 200)})" if row["error"] else ""
    said(fitted(f"{name} #{oid}: {status}{error}", screen))
    if (note := stop_note(row, screen)) is not None:
        said(fitted(note, screen))
    if (left := _left_out(config, row)) is not None:  # on stderr, as `orders` says it
        said.note(fitted(left, stderr_screen()))
    eta = moment(row["eta"], screen) if row["eta"] else None
    if row["stalled_at"]:
        since = moment(row["stalled_at"], screen)
        said(fitted(f"stalled since {since}" + (f" (expected by {eta})" * bool(eta)), screen))
    elif eta:
        said(fitted(f"expected by {eta}", screen))
    from tracker.cli.history_notes import history_notes, table_rows  # `history` alone needs it

    notes = history_notes(
        store, row, rows, screen, config, database
    )  # read before the rows are shown
    if rows:
        table_rows(store, row, rows)  # each charge's currency in CUR, as `orders` names it
        said(
            table(
                rows,
                ["at", "from_status", "to_status", "remains", "charge", "currency"],
                ["AT", "FROM", "TO", "REMAINS", "CHARGE", "CUR"],
                screen=screen,
                spec=HISTORY_SCREEN,
            )
        )
    elif row["status"] is not None:
        said.note(fitted("no status change recorded", stderr_screen()))
    for line in notes:
        said(line)
    said.out()


def _left_out(config: Config, row: dict[str, Any]) -> str | None:
    """An open order of a panel the config leaves out (removed, renamed): what
    `orders` notes of it, that nothing polls it. None without a config
    (``--database`` alone: no panel configured, none left out)."""
    if config.path is None or not row["polling"] or row["panel"] in {p.name for p in config.panels}:
        return None
    name, oid = safe_text(row["panel"]), row["order_id"]
    return (
        f"({name} is not in the config: order {oid} is not polled; its status is the last it "
        f"gave; add the panel back, or untrack it: smm-tracker untrack --panel {name} {oid})"
    )
