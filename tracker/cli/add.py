"""The add command: place an order, then track it (an order placed is never
left untracked, a Ctrl-C included: :mod:`tracker.cli.shield`)."""

from __future__ import annotations

import contextlib
from shlex import quote
from typing import TYPE_CHECKING

import click

from tracker.cli.bounds import POSITIVE
from tracker.cli.idempotent import (
    add_longest,
    check_key,
    claim_or_end,
    release_quietly,
    settle_quietly,
    unrecorded,
)
from tracker.cli.main import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Context,
    fail,
    handle_errors,
    main,
    open_store,
    pass_ctx,
)
from tracker.cli.orders import panel_option
from tracker.cli.output import print_placed
from tracker.cli.render import safe_text
from tracker.cli.shield import Waits, shield, tell_wait
from tracker.clock import utcnow
from tracker.errors import (
    OutcomeUnknownError,
    PanelError,
    StopRequested,
    StoreError,
    TransientError,
)
from tracker.store.tracking import track_placed

if TYPE_CHECKING:
    from tracker.store.orders import Store

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
@click.option(
    "--idempotency-key",
    "key",
    help="A key of your own (a CSV row's ID): run again under it, add sends nothing "
    "and prints the order placed, or says its outcome is unknown.",
)
@click.option(
    "--not-placed",
    is_flag=True,
    help="With --idempotency-key: you checked the panel and the earlier add under the "
    "key, its outcome unknown, placed nothing: send this one under it.",
)
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
    key: str | None,
    not_placed: bool,
    **fields: object,
) -> None:
    """Place an order, start tracking it and print its ID.

    The request is never sent twice: if its answer is lost, the order may or
    may not exist, and you are told to check the panel before placing it again.
    """
    if (runs is None) != (interval is None):
        fail("--runs and --interval go together (drip-feed)", EXIT_USAGE)
    check_key(key)
    if not_placed and key is None:
        fail("--not-placed goes with --idempotency-key (nothing sent)", EXIT_USAGE)
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
    try:  # the order is paid once sent: first prove it can be recorded
        store.probe_write()  # read-only, immutable, locked by another writer...
    except StoreError as exc:
        fail(f"{exc}; nothing sent")
    # First: a client that cannot be made sends nothing. A first Ctrl-C ends
    # its waits (a retry's, a rate limit's): the order is then never sent.
    waits = Waits()
    client = PanelClient(panel_config, stop_event=waits.stop, sleep=waits.sleep, on_wait=tell_wait)
    try:
        if key is not None:  # committed before sending: a second add under it sends nothing
            asked = dict(service=service, link=link, quantity=quantity, runs=runs)
            request = {**asked, "interval": interval, **extra}
            longest = add_longest(panel_config.timeout, panel_config.retry_budget)
            claim_or_end(
                store, panel_config.name, key, request, not_placed=not_placed, longest=longest
            )
        from tracker.panel.models import NewOrder
        from tracker.panel.order_fields import counted_quantity

        # A first Ctrl-C waits for the answer: an order placed is tracked.
        with shield("the order just sent", waits) as stop:
            order_id = client.add(NewOrder(service, link, quantity, runs, interval, extra))
            stop.settled = True  # the order exists: a Ctrl-C now waits until it is tracked
            # Comments or usernames: their number is the quantity (DELIVERED, report).
            counted = counted_quantity(quantity, extra)
            new = _track(
                store, panel_config.name, key, order_id, service, link, counted, runs, interval
            )
            if new:  # settled and printed while a Ctrl-C still waits: never half told
                settle_quietly(store, panel_config.name, key, order_id=order_id)
                print_placed(order_id)  # after tracking: never left untracked
    except PanelError as exc:  # outcome unknown included: exit 1 like handle_errors
        if isinstance(exc, OutcomeUnknownError):  # the order may exist: the key stays
            settle_quietly(store, panel_config.name, key, error=exc.detail)
        else:  # refused: nothing placed, the key may be used again
            release_quietly(store, panel_config.name, key)
        if stop.stopping and isinstance(exc, (StopRequested, TransientError)):
            # Stopped in a wait to send, or no retry after a refusal: no order.
            said = "" if isinstance(exc, StopRequested) else f" (it answered: {exc.detail})"
            where = f"{panel_config.name}: add"
            fail(safe_text(f"interrupted: {where}: no order placed{said}"), EXIT_INTERRUPTED)
        index = [p.name for p in config.panels].index(panel_config.name)
        hint = web_page_hint(str(exc), index)
        fail(safe_text(f"{exc}; {hint}" if hint else str(exc)))  # the panel's words: escaped
    except KeyboardInterrupt:  # a second Ctrl-C: the order may exist, untracked
        detail = "interrupted before its answer came"
        unknown = OutcomeUnknownError.because(detail, panel=panel_config.name, action="add")
        settle_quietly(store, panel_config.name, key, error=unknown.detail)
        fail(f"interrupted: {unknown}", EXIT_INTERRUPTED)
    finally:
        client.close()
    if not new:  # no proof of a new order; the tracked one is left as it was
        import structlog

        settle_quietly(store, panel_config.name, key, error=f"answered order {order_id}, tracked")

        log = structlog.get_logger("tracker.cli")
        log.warning("add_answer_already_tracked", panel=panel_config.name, order=order_id)
        raise OutcomeUnknownError.already_tracked(order_id, panel=panel_config.name)
    if stop.stopping:  # said once true, after the ID; a closed stderr is no failure
        with contextlib.suppress(OSError):
            click.echo(
                "smm-tracker: the order was placed before the stop, and is tracked", err=True
            )


def _track(
    store: Store,
    panel: str,
    key: str | None,
    order_id: int,
    service: int,
    link: str | None,
    quantity: int | None,
    runs: int | None,
    interval: int | None,
) -> bool:
    """Track an order just placed; return False when it was tracked already.
    Not recorded: its key (if any) is settled Unknown naming the order, so
    the add run again says which order to track under it."""
    details = dict(service=service, link=link, quantity=quantity, runs=runs, interval=interval)
    try:
        return track_placed(store, panel, order_id, utcnow(), details=details)
    except StoreError as exc:
        settle_quietly(store, panel, key, error=unrecorded(order_id, exc))
        again = f"run: smm-tracker track --panel {panel} {order_id}"  # several may be set
        if key is not None:
            keyed = f"--idempotency-key {quote(key)} {order_id}"
            again = safe_text(f"run: smm-tracker track --panel {quote(panel)} {keyed}")
        fail(f"order {order_id} was placed but not recorded ({exc}); {again}")


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
