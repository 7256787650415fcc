"""``smm-tracker untrack``: stop polling orders, keeping their history."""

from __future__ import annotations

from functools import cache, partial

import click

from tracker.cli.child_of import UNTRACK, child_says
from tracker.cli.main import (
    EXIT_FAILED,
    Context,
    fail,
    handle_errors,
    main,
    pass_ctx,
)
from tracker.cli.order_args import nothing_piped, orders_panel, parse_order_ids
from tracker.cli.panels import panel_holding, shown_ids, stored_panel
from tracker.cli.stops import end_if_stopped
from tracker.cli.stops import held as kept_whole
from tracker.cli.store_open import open_store
from tracker.clock import utcnow
from tracker.rules.counts import counted
from tracker.store.stopping import untrack as stop_orders


@main.command()
@click.argument("order_ids", nargs=-1, required=True, metavar="ORDER_ID... | -")
@click.option("--reason", metavar="TEXT", help="Why (stored with the order, shown by orders).")
@orders_panel
@pass_ctx
@handle_errors
def untrack(
    ctx: Context, order_ids: tuple[str, ...], reason: str | None, panel: str | None
) -> None:
    """Stop polling orders (IDs, or - for stdin). History is kept; `track ID` resumes.

    Without --panel, the orders are stopped on the panel in the database that
    holds them, as `history` finds one. Exit 1 when an ID is not tracked on
    the panel (the others are still stopped).
    """
    ids = parse_order_ids(order_ids, none_piped=True)
    config = ctx.config(keys=False)
    opened = cache(partial(open_store, config, existing=True))
    if not ids:
        if panel is not None:
            stored_panel(config, panel, opened)  # a --panel named is still checked
        return nothing_piped("untrack")
    held = None
    if panel is None:  # any panel in the database: one left out of the config too
        held, _ = panel_holding(opened(), ids)
        if held is None and len(config.panels) > 1:  # a child: its order's command
            children = child_says(opened(), ids, None, UNTRACK)
            fail(f"not tracked on any panel: {shown_ids(ids)}", EXIT_FAILED, children)
    name = held or stored_panel(config, panel, opened)  # one left out of the config included
    store = opened()
    with kept_whole() as hold:  # a stop while it writes: kept until it is done and said
        done = stop_orders(
            store, name, ids, utcnow(), reason=reason.strip() or None if reason else None
        )
        if done.stopped:
            stopped = counted(len(done.stopped), "order")
            click.echo(f"untracked {stopped} on {name}: {shown_ids(done.stopped)}")
        if done.already:
            click.echo(f"already untracked: {shown_ids(done.already)}")
        for order_id, status in done.finished.items():
            click.echo(f"#{order_id} already finished ({status}): nothing to stop")
    end_if_stopped(hold)
    if done.unknown:
        children = child_says(store, done.unknown, name, UNTRACK, panel is not None)
        fail(f"not tracked on {name}: {shown_ids(done.unknown)}", EXIT_FAILED, children)
