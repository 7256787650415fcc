"""Order commands: add, orders, history (track is in :mod:`tracker.cli.track`)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING, Any

import click

from tracker.cli.bounds import ORDER_ID_MAX, POSITIVE
from tracker.cli.filters import ORDER_FILTERS, UnknownStatus, order_filter
from tracker.cli.listing import json_array, stop_note, table_chunks, with_untracked
from tracker.cli.main import EXIT_USAGE, Context, fail, handle_errors, main, open_store, pass_ctx
from tracker.cli.output import print_placed
from tracker.cli.panels import read_panel, stored_order
from tracker.cli.render import CELL_WIDTH, safe_text, table, to_json
from tracker.clock import utcnow
from tracker.errors import OutcomeUnknownError, PanelError, StoreError
from tracker.panel.values import to_id
from tracker.rules.delivery import delivered, total_quantity
from tracker.store.listing import order_statuses
from tracker.store.tracking import track_placed
from tracker.store.watch import order_listing

if TYPE_CHECKING:
    from tracker.store.orders import Store

panel_option = click.option(
    "--panel", metavar="NAME", help="Panel name (optional when one panel is configured)."
)


def parse_order_ids(values: tuple[str, ...]) -> list[int]:
    """Given CLI arguments (``-`` reads stdin), return order IDs or exit naming the bad ones."""
    tokens: list[str] = []
    for value in values:
        text = sys.stdin.read() if value == "-" else value
        tokens.extend(t for t in re.split(r"[\s,]+", text) if t)
    # The panel's answer to `add` is read the same way: what `add` tracks, this accepts.
    bad = [t for t in tokens if to_id(t) is None]
    if bad:
        shown = ", ".join(repr(t) for t in bad[:5]) + (" ..." if len(bad) > 5 else "")
        fail(f"not an order ID (a whole number from 1 to {ORDER_ID_MAX}): {shown}", EXIT_USAGE)
    if not tokens:
        fail("no order IDs given", EXIT_USAGE)
    return [int(t) for t in tokens]


TYPE_FIELDS = [
    ("comments", "Custom comments, one per line (repeat the option for several)."),
    ("usernames", "Usernames, one per line (repeatable)."),
    ("hashtag", None),
    ("hashtags", None),
    ("username", None),
    ("media", None),
    ("answer_number", "Poll answer number."),
    ("keywords", None),
    ("groups", None),
    ("min", "Subscriptions: minimum quantity."),
    ("max", "Subscriptions: maximum quantity."),
    ("posts", None),
    ("old_posts", None),
    ("delay", None),
    ("expiry", "d/m/Y."),
]


def _type_options(fn):
    for name, help_text in reversed(TYPE_FIELDS):
        multiple = name in ("comments", "usernames")
        fn = click.option(
            f"--{name.replace('_', '-')}",
            name,
            multiple=multiple,
            help=help_text or f"Service-type field '{name}'.",
        )(fn)
    return fn


@main.command()
@click.option("--service", required=True, type=POSITIVE, help="Service ID.")
@click.option("--link", help="Link to deliver to (package services: the only field).")
@click.option("--quantity", type=POSITIVE, help="Quantity (a positive number).")
@click.option("--runs", type=POSITIVE, help="Drip-feed: number of runs.")
@click.option("--interval", type=POSITIVE, help="Drip-feed: minutes between runs.")
@_type_options
@panel_option
@pass_ctx
@handle_errors
def add(
    ctx: Context,
    service: int,
    link: str | None,
    quantity: int | None,
    runs: int | None,
    interval: int | None,
    panel: str | None,
    **fields: object,
) -> None:
    """Place an order, start tracking it and print its ID.

    The request is never sent twice: if its answer is lost, the order may or
    may not exist, and you are told to check the panel before placing it again.
    """
    if (runs is None) != (interval is None):
        fail("--runs and --interval go together (drip-feed)", EXIT_USAGE)
    extra: dict[str, str] = {}
    for name, value in fields.items():
        if isinstance(value, tuple):
            if value:
                extra[name] = "\n".join(value)
        elif value is not None:
            extra[name] = str(value)
    # Imported here: httpx and tenacity cost the read commands (orders,
    # history) ~30 ms of start-up they never use.
    from tracker.panel.client import PanelClient
    from tracker.panel.failures import web_page_hint

    config = ctx.config(keys=True)
    panel_config = config.panel(panel)
    store = open_store(config)
    refuse_certain_refusals(store, panel_config.name, service, link, quantity, extra)
    client = PanelClient(panel_config)
    try:
        from tracker.panel.models import NewOrder

        order_id = client.add(NewOrder(service, link, quantity, runs, interval, extra))
    except PanelError as exc:  # outcome unknown included: exit 1 like handle_errors
        index = [p.name for p in config.panels].index(panel_config.name)
        hint = web_page_hint(str(exc), index)
        fail(safe_text(f"{exc}; {hint}" if hint else str(exc)))  # the panel's words: escaped
    finally:
        client.close()
    details = dict(service=service, link=link, quantity=quantity, runs=runs, interval=interval)
    try:
        new = track_placed(store, panel_config.name, order_id, utcnow(), details=details)
    except StoreError as exc:
        again = f"run: smm-tracker track {order_id}"
        fail(f"order {order_id} was placed but not recorded ({exc}); {again}")
    if not new:  # no proof of a new order; the tracked one is left as it was
        import structlog

        log = structlog.get_logger("tracker.cli")
        log.warning("add_answer_already_tracked", panel=panel_config.name, order=order_id)
        raise OutcomeUnknownError.already_tracked(order_id, panel=panel_config.name)
    print_placed(order_id)  # after tracking: an order placed is never left untracked


def refuse_certain_refusals(
    store: Store,
    panel: str,
    service: int,
    link: str | None,
    quantity: int | None,
    extra: dict[str, str],
) -> None:
    """Exit 2 before sending when the flags, or the service's type as last
    synced, make the panel's refusal certain (a missing --link, --comments...)."""
    from tracker.panel.order_fields import ServiceFacts, order_problems
    from tracker.store.refills import service_row

    row = service_row(store, panel, service)
    facts = ServiceFacts(service, row["type"], row["min"], row["max"]) if row else None
    problems = order_problems(link, quantity, extra, facts)
    if problems:
        fail("; ".join(problems) + " (nothing sent)", EXIT_USAGE)


# The table is for reading: past a screenful, --limit N or --all say how much.
TABLE_LIMIT = 100


@main.command()
@click.option(
    "--status",
    "status_filter",
    metavar="S",
    help=f"Only this status, any case ({', '.join(ORDER_FILTERS)} for none yet, "
    "or a panel's own word seen in the database); untracked: stopped by untrack.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every match unless --limit).")
@click.option(
    "--limit",
    type=POSITIVE,
    help=f"At most this many rows (the table's default: {TABLE_LIMIT}).",
)
@click.option("--all", "show_all", is_flag=True, help="Every matching order, in the table too.")
@click.option("--stalled", is_flag=True, help="Only stalled orders, longest stalled first.")
@panel_option
@pass_ctx
@handle_errors
def orders(
    ctx: Context,
    status_filter: str | None,
    as_json: bool,
    limit: int | None,
    show_all: bool,
    stalled: bool,
    panel: str | None,
) -> None:
    """List tracked orders, newest first (the table: the newest 100 unless --limit/--all)."""
    if limit is not None and show_all:
        fail("--limit and --all do not go together", EXIT_USAGE)
    config = ctx.config(keys=False, logs=False)
    name, store = read_panel(config, panel)  # configured, or with orders in the database
    status = None
    if status_filter is not None:
        try:
            status = order_filter(status_filter, lambda: order_statuses(store))
        except UnknownStatus as exc:
            fail(f"--status: {exc}", EXIT_USAGE)
    listed = partial(order_listing, store, panel=name, status=status, stalled=stalled)
    if as_json:
        # Streamed: scripts get every match without the whole list in memory.
        for piece in json_array(with_untracked(listed(limit))):
            click.echo(piece, nl=False)
        click.echo()
        return
    capped = limit is None and not show_all
    # When capped, one row more than is shown tells whether any were left out.
    rows = with_untracked(listed(TABLE_LIMIT + 1 if capped else limit), in_status=True)
    printed = False
    for piece in table_chunks(
        _with_delivered(islice(rows, TABLE_LIMIT) if capped else rows), ORDER_COLUMNS, ORDER_HEADERS
    ):
        click.echo(piece)
        printed = True
    if not printed:
        # A note for people, on stderr: stdout holds the rows alone (`| wc -l`).
        click.echo(
            f"no {'stalled ' * stalled}orders" + (f" with status {status}" if status else ""),
            err=True,
        )
    elif capped and next(rows, None) is not None:
        click.echo(f"(the newest {TABLE_LIMIT} shown; --limit N or --all for more)", err=True)


ORDER_COLUMNS = [
    "panel",
    "order_id",
    "status",
    "delivered",
    "remains",
    "charge",
    "currency",
    "last_checked_at",
    "eta",
    "error",
]
ORDER_HEADERS = [
    "PANEL",
    "ORDER",
    "STATUS",
    "DELIVERED",
    "REMAINS",
    "CHARGE",
    "CUR",
    "CHECKED",
    "ETA",
    "ERROR",
]


def _with_delivered(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        # Only once delivery started, of the whole order (drip-feed: runs x quantity).
        done = delivered(row["status"], row["quantity"], row.get("runs"), row["remains"])
        if done is not None:
            row["delivered"] = f"{done}/{total_quantity(row['quantity'], row.get('runs'))}"
        if row.get("stalled_at"):
            row["eta"] = f"{row['eta'] or '-'} (stalled)"
        yield row


@main.command()
@click.argument("order_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@panel_option
@pass_ctx
@handle_errors
def history(ctx: Context, order_id: str, as_json: bool, panel: str | None) -> None:
    """Show every status change of one order."""
    oid = parse_order_ids((order_id,))[0]
    config = ctx.config(keys=False, logs=False)
    store, row = stored_order(config, panel, oid)  # on any panel in the database
    name = row["panel"]
    rows = store.history(name, oid)
    if as_json:
        click.echo(to_json({"order": row, "transitions": rows}))
        return
    status = safe_text(row["status"], CELL_WIDTH) if row["status"] else "no status yet"
    error = f"  (error: {safe_text(row['error'], 200)})" if row["error"] else ""
    click.echo(f"{name} #{oid}: {status}{error}")
    if (note := stop_note(row)) is not None:
        click.echo(note)
    if rows:
        click.echo(
            table(
                rows,
                ["at", "from_status", "to_status", "remains", "charge"],
                ["AT", "FROM", "TO", "REMAINS", "CHARGE"],
            )
        )
    elif row["status"] is not None:
        click.echo("no status change recorded", err=True)
