"""The track command: follow existing orders, resume stopped ones, never
silently overwrite stored details."""

from __future__ import annotations

from typing import Any

import click

from tracker.cli.bounds import POSITIVE
from tracker.cli.idempotent import (
    add_longest,
    asked_details,
    check_key,
    settle_by_track,
    settle_tracked,
)
from tracker.cli.main import EXIT_USAGE, Context, fail, handle_errors, main, pass_ctx
from tracker.cli.order_args import nothing_piped, panel_option, parse_order_ids
from tracker.cli.panels import orders_are
from tracker.cli.render import safe_text
from tracker.cli.screen import fitted, stderr_screen
from tracker.cli.stops import end_if_stopped, held
from tracker.cli.store_open import open_store
from tracker.clock import utcnow
from tracker.errors import StoreError
from tracker.rules.counts import counted
from tracker.store.orders import Store
from tracker.store.readings import panels_holding
from tracker.store.refills import has_services, service_row
from tracker.store.tracking import TrackResult, track_orders

_SHOWN = 10  # resumed orders and differences named one by one


@main.command()
@click.argument("order_ids", nargs=-1, required=True, metavar="ORDER_ID... | -")
@click.option(
    "--service",
    type=POSITIVE,
    help="Service ID: its refill flag decides automatic refills; re-orders need it.",
)
@click.option("--link", help="Link the order was placed for.")
@click.option(
    "--quantity",
    type=POSITIVE,
    help="Quantity ordered (per run), which no panel's status says: DELIVERED needs it.",
)
@click.option("--runs", type=POSITIVE, help="Drip-feed: number of runs.")
@click.option("--interval", type=POSITIVE, help="Drip-feed: minutes between runs.")
@click.option(
    "--no-drip-feed",
    "no_drip",
    is_flag=True,
    help="Not a drip-feed order: stored --runs/--interval differ (cleared with --update).",
)
@click.option(
    "--update", is_flag=True, help="Overwrite stored details that differ from the given ones."
)
@click.option(
    "--idempotency-key",
    "key",
    help="The key of an `add` whose outcome is unknown: the order (one ID) was found "
    "on the panel; settle the key as placed with it (an add run again prints it).",
)
@panel_option
@pass_ctx
@handle_errors
def track(
    ctx: Context,
    order_ids: tuple[str, ...],
    service: int | None,
    link: str | None,
    quantity: int | None,
    runs: int | None,
    interval: int | None,
    no_drip: bool,
    update: bool,
    key: str | None,
    panel: str | None,
) -> None:
    """Follow existing orders (IDs, or - to read them from stdin). Works offline."""
    if link is not None and not link.strip():  # `--link "$UNSET"`: stored, it hid a real one
        fail("--link is empty: give the order's link, or leave the option out", EXIT_USAGE)
    if link is not None:  # a control character, as `add` refuses it: a re-order sends it
        from tracker.panel.order_fields import order_problems

        for problem in order_problems(link, None, {}, None):
            fail(f"{problem} (nothing tracked)", EXIT_USAGE)
    if (runs is None) != (interval is None):  # as `add` takes them
        fail("--runs and --interval go together (drip-feed)", EXIT_USAGE)
    if no_drip and runs is not None:
        fail("--no-drip-feed and --runs/--interval do not go together", EXIT_USAGE)
    check_key(key)
    ids = parse_order_ids(order_ids, none_piped=True, one=key is not None)
    if key is not None and not ids:  # `-` read none: with a key, its one order is missing
        fail("--idempotency-key takes one order ID, none on stdin; nothing tracked", EXIT_USAGE)
    config = ctx.config(keys=False)
    panel_config = config.panel(panel)
    name = panel_config.name
    if not ids:
        return nothing_piped("track")
    store = open_store(config)
    details = {"service": service, "link": link, "quantity": quantity}
    details.update(runs=runs, interval=interval)
    seen = None  # the add under the key, as checked: settled only if still that add
    if key is not None:  # what the add asked fills in what was not given
        longest = add_longest(panel_config.timeout, panel_config.retry_budget)
        seen = settle_by_track(store, name, key, ids, longest)
        asked = asked_details(seen.request)
        details = {k: v if v is not None else asked.get(k) for k, v in details.items()}
        if no_drip:  # the add's runs are what the user says the order has not
            details.update(runs=None, interval=None)
    # One step: a stop while it writes (thousands of IDs piped in) is kept until
    # the orders are tracked, the key settled and said so, then ends the command.
    with held() as hold:
        clear = ("runs", "interval") if no_drip else ()
        result = track_orders(
            store, name, ids, utcnow(), details=details, update=update, clear=clear
        )
        for line in describe(name, len(set(ids)), result):
            click.echo(line)
        if key is not None and seen is not None:  # after tracking: it names only orders tracked
            click.echo(settle_tracked(store, name, key, ids[0], seen.at))
    end_if_stopped(hold)
    if service is not None:
        _note_unknown_service(store, name, service)
    if runs is not None:
        _note_untaken_drip(store, name, ids)
    if result.added:
        _note_children(store, name, result.added)
    if result.added and details["quantity"] is None:
        _note_no_quantity(name if panel is not None else None, result.added)
    if panel is None and result.added:  # the one configured panel, taken for granted
        _note_left_out(store, name, result.added, [p.name for p in config.panels])


def _note_children(store: Store, name: str, added: list[int]) -> None:
    """Say on stderr which IDs just tracked a tracked order of ``name`` named
    as its child order: tracked all the same (the user asked for that
    order), each polled apart from its order from now on."""
    from tracker.cli.child_of import child_says  # a drip-feed's children known: rare

    try:
        lines = child_says(store, added, name, None)
    except StoreError:  # tracked and said so: a note unread is no failure of the command
        return
    if lines:
        head = "note: a tracked order's child order, now tracked on its own too (untrack stops it):"
        click.echo("\n".join([head, *(f"  {safe_text(line)}" for line in lines)]), err=True)


def _note_no_quantity(panel: str | None, added: list[int]) -> None:
    """Say on stderr that the orders just tracked without ``--quantity`` will
    show DELIVERED unknown (no panel's status says the quantity ordered), and
    the command that fills it in (``--panel`` as it was given)."""
    one = len(added) == 1
    flag = f" --panel {panel}" if panel is not None else ""
    order = str(added[0]) if one else "ID"
    line = (
        f"note: tracked without --quantity: DELIVERED stays unknown for "
        f"{'this order' if one else 'these orders'} (no panel's status says the quantity "
        f"ordered); smm-tracker track{flag} {order} --quantity Q fills it in"
    )
    click.echo(fitted(safe_text(line), stderr_screen()), err=True)


def _note_unknown_service(store: Store, name: str, service: int) -> None:
    """Say on stderr when ``--service`` is no service ``name`` ever listed (a
    typo stored silently: refills then go by ``refill.unknown_service``, and
    the report counts the orders under a service that does not exist);
    nothing before the panel's services were first synced."""
    try:
        if not has_services(store, name) or service_row(store, name, service) is not None:
            return
    except StoreError:  # tracked and said so: a note unread is no failure of the command
        return
    line = (
        f"note: service {service} is not among {name}'s services as last synced "
        "(smm-tracker services lists them, --refresh updates them): check the ID "
        "(track ID --service N --update corrects it)"
    )
    click.echo(fitted(safe_text(line), stderr_screen()), err=True)


def _note_untaken_drip(store: Store, name: str, ids: list[int]) -> None:
    """Say on stderr which orders just given ``--runs`` hold drip-feed runs
    whose service ``name``'s synced catalogue says takes no drip-feed (its
    flag listed off): the order exists, so they are stored all the same (a
    catalogue may be stale or wrong), but runs an order never had multiply
    what it counts as ordered (delivered, a re-order's remainder)."""
    from tracker.store.catalogue import drip_untaken

    try:
        found = drip_untaken(store, name, ids)
    except StoreError:  # tracked and said so: a note unread is no failure of the command
        return
    by_service: dict[int, list[dict[str, Any]]] = {}
    for row in found:
        by_service.setdefault(int(row["service"]), []).append(row)
    for service, rows in sorted(by_service.items()):
        line = (
            f"note: {orders_are([int(row['order_id']) for row in rows])} stored with "
            f"drip-feed runs, but service {service} takes no drip-feed as {name}'s catalogue "
            f"was last synced ({rows[0]['updated_at']}): the quantity is counted once per "
            "run (delivered, a re-order's remainder); an order placed without drip-feed: "
            "smm-tracker track ID --update --no-drip-feed clears them (smm-tracker services "
            "--refresh updates the catalogue)"
        )
        click.echo(fitted(safe_text(line), stderr_screen()), err=True)


def _note_left_out(store: Store, name: str, added: list[int], configured: list[str]) -> None:
    """Say on stderr which IDs just tracked on ``name`` (no ``--panel``) are also
    orders on a panel no longer in the config (removed, or renamed): `refill`
    and `cancel` refuse such an ID; tracking goes on, another panel's order
    may share the number, but the user may have meant that panel's."""
    try:
        holding = panels_holding(store, added)
    except StoreError:  # tracked and said so: a note unread is no failure of the command
        return
    held = {
        oid: [p for p in panels if p != name and p not in configured]
        for oid, panels in holding.items()
    }
    ids = sorted(oid for oid, panels in held.items() if panels)
    if not ids:
        return
    names = sorted({p for oid in ids for p in held[oid]})
    which = "which are" if names[1:] else "which is"
    other = "they may be other orders" if ids[1:] else "it may be another order"
    line = (
        f"note: {orders_are(ids)} also tracked on {', '.join(names)}, {which} not in the "
        f"config (there {other} of the same number): tracked on {name} too"
    )
    click.echo(fitted(safe_text(line), stderr_screen()), err=True)


def describe(panel: str, asked: int, result: TrackResult) -> list[str]:
    """Given what track did, return the lines that tell the user."""
    added = len(result.added)
    known = asked - added
    lines = [
        f"tracking {counted(added, 'new order')} on {panel}"
        + (f", {known} already tracked" if known else "")
    ]
    if result.resumed:
        resumed = counted(len(result.resumed), "stopped order")
        lines.append(f"resumed {resumed}: polled again from the next run")
        for order_id, by, reason, error in result.resumed[:_SHOWN]:
            lines.append(f"  #{order_id}: had stopped ({_why(by, reason, error)})")
    for order_id, field, given in result.filled[:_SHOWN]:
        lines.append(
            f"order {order_id}: {field} {safe_text(str(given))} filled in (none was stored)"
        )
    if len(result.filled) > _SHOWN:
        lines.append(f"... and {counted(len(result.filled) - _SHOWN, 'more detail')} filled in")
    for order_id, field, *values in result.differs[:_SHOWN]:
        # A link: any text; None: a detail given as none (--no-drip-feed).
        stored, given = ("none" if v is None else safe_text(str(v)) for v in values)
        if result.updated:
            lines.append(f"order {order_id}: {field} {stored} -> {given} (updated)")
        else:
            lines.append(
                f"order {order_id}: stored {field} is {stored}, given {given}: kept "
                f"{stored} (pass --update to overwrite)"
            )
    if len(result.differs) > _SHOWN:
        lines.append(f"... and {counted(len(result.differs) - _SHOWN, 'more difference')}")
    return lines


def _why(by: str | None, reason: str | None, error: str | None) -> str:
    """Given who stopped an order, the stop's reason and the panel's last error
    (kept apart for one the user untracked), return why it had stopped."""
    if by != "user":  # lost: its reason is the panel's words
        return "the panel called it unknown" + (f": {safe_text(reason)}" if reason else "")
    why = (
        f"untracked by you: {safe_text(reason)}" if reason else "untracked by you, no reason given"
    )
    return why + (f"; the panel's last error: {safe_text(error)}" if error else "")
