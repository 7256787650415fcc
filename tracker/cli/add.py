"""The add command: place an order, then track it (an order placed is never
left untracked, a Ctrl-C included: :mod:`tracker.cli.shield`)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import click

from tracker.cli.add_checks import catalogue_hint, refuse_before_sending
from tracker.cli.bounds import POSITIVE
from tracker.cli.claims import (
    agreed,
    freed_words,
    meanwhile,
    names,
    placed_meanwhile,
    release_quietly,
    settle_quietly,
    track_answered,
)
from tracker.cli.command import OnceCommand
from tracker.cli.idempotent import add_longest, check_key, claim_or_end
from tracker.cli.main import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Context,
    fail,
    handle_errors,
    main,
    pass_ctx,
)
from tracker.cli.order_args import panel_option
from tracker.cli.output import print_placed
from tracker.cli.panel_words import panel_words
from tracker.cli.render import safe_text
from tracker.cli.shield import Waits, shield, tell_wait
from tracker.cli.store_open import open_store
from tracker.config.accounts import same_panel
from tracker.errors import (
    AuthError,
    OutcomeUnknownError,
    PanelError,
    StopRequested,
    StoreError,
    TransientError,
    UnservedError,
)
from tracker.rules.not_answering import key_place, refused_key_hint

if TYPE_CHECKING:
    from tracker.store.idempotency import Claim, Gone

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
    ("posts", "Subscriptions: how many new posts to deliver to, at most."),
    ("old_posts", "Subscriptions: how many posts made before it to deliver to."),
    ("delay", "Subscriptions: minutes to wait after each new post."),
    ("expiry", "Subscriptions: the day it ends, as d/m/Y (31/12/2026)."),
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


@main.command(cls=OnceCommand)
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
    "--force",
    is_flag=True,
    help="Send what the synced catalogue says the service does not take or refuses "
    "(--runs/--interval, a type's field, one missing, a quantity outside its range): "
    "a stale or wrong catalogue.",
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
    force: bool,
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
    from tracker.panel.fixes import refused_hint, unserved_hint, web_page_hint

    config = ctx.config(keys=True)
    panel_config = config.panel(panel)
    store = open_store(config)
    drip = runs is not None
    refuse_before_sending(store, panel_config.name, service, link, quantity, drip, extra, force)
    try:  # the order is paid once sent: first prove it can be recorded
        store.probe_write()  # read-only, immutable, locked by another writer...
    except StoreError as exc:
        fail(f"{exc}; nothing sent")
    # First: a client that cannot be made sends nothing. A first Ctrl-C ends
    # its waits (a retry's, a rate limit's): the order is then never sent.
    waits = Waits()
    client = PanelClient(panel_config, on_wait=tell_wait, **waits.hooks())
    mine = None  # the key's claim, which this add's answer settles
    gone, given_back = None, False  # the claim given back for a stop, and its outcome
    freed = False  # the key given back: the same key may be used again (said)
    sent = False  # the order handed to the client: from then on it may exist
    try:
        from tracker.panel.models import NewOrder
        from tracker.panel.order_fields import counted_quantity

        # A first Ctrl-C waits for the answer, more once it is in: an order
        # placed is tracked (or named, with the command tracking it).
        with shield("the order just sent", waits, answer_settles=True) as stop:
            if key is not None:  # committed before sending: a second add under it sends nothing
                asked = dict(service=service, link=link, quantity=quantity, runs=runs)
                request = {**asked, "interval": interval, **extra}
                longest = add_longest(panel_config.timeout, panel_config.retry_budget)
                # A first Ctrl-C now: the key given back, nothing sent; a
                # second one too, once the claim is in hand (whole), and any
                # more during the give-back, part of the step (undone).
                try:
                    with waits.idle(), stop.whole(undone=True):
                        mine = claim_or_end(
                            store,
                            panel_config.name,
                            key,
                            request,
                            not_placed=not_placed,
                            longest=longest,
                        )
                finally:
                    if stop.stopping:  # still held: a Ctrl-C cannot leave it Sending
                        (gone, freed), given_back = release_quietly(store, mine), True
                if stop.stopping:
                    raise StopRequested("stopping", panel=panel_config.name, action="add")
                stop.go_on()
            sent = True
            answered = client.add(NewOrder(service, link, quantity, runs, interval, extra))
            order_id = int(answered)
            stop.settled = True  # the order exists: a Ctrl-C now waits until it is tracked
            # Comments or usernames: their number is the quantity (DELIVERED, report).
            counted = counted_quantity(quantity, extra)
            details = dict(
                service=service, link=link, quantity=counted, runs=runs, interval=interval
            )
            others = same_panel(config.panels, panel_config)  # other accounts on it
            # Checked, tracked and its key settled in one transaction: never
            # tracked twice, nor tracked with its key unsettled (a kill -9).
            placed = track_answered(store, panel_config.name, mine, others, order_id, details)
            new, elsewhere = placed.new, placed.elsewhere
            if new:  # settled and printed while a Ctrl-C still waits: never half told
                gone = placed.gone
                if gone is not None and mine is not None:  # exit 1 unless it names this order
                    placed_meanwhile(mine, gone, order_id)
                print_placed(order_id)  # after tracking: never left untracked
                if answered.also_said is not None:  # "Not enough funds" beside its ID
                    _also_said(panel_config.name, order_id, answered.also_said)
    except PanelError as exc:  # outcome unknown included: exit 1 like handle_errors
        if isinstance(exc, OutcomeUnknownError):  # the order may exist: the key stays
            gone = settle_quietly(store, mine, error=exc.detail)
        elif not given_back:  # refused: nothing placed, the key may be used again
            gone, freed = release_quietly(store, mine)
        if stop.stopping and isinstance(exc, (StopRequested, TransientError)):
            # Stopped in a wait to send, or no retry after a refusal: no order.
            said = "" if isinstance(exc, StopRequested) else f" (it answered: {exc.detail})"
            where = f"{panel_config.name}: add"
            told = f"interrupted: {where}: no order placed{said}"
            fail(safe_text(_and(told, mine, gone, freed)), EXIT_INTERRUPTED)
        index = config.index(panel_config.name)
        # A web server's page or 404 before the panel's script: the URL to fix.
        hint = (unserved_hint if isinstance(exc, UnservedError) else web_page_hint)(
            str(exc),
            exc.status,
            index,
            lists=[name for name in ("comments", "usernames") if name in extra],
            url=panel_config.url,
        )
        told = str(exc)
        if not isinstance(exc, OutcomeUnknownError) and "; no order placed" not in told:
            told = f"{told}; no order placed"  # as the key given back says: none to look for
        unanswered = isinstance(exc, OutcomeUnknownError) and exc.unanswered  # not HTTP...
        if hint is None and (isinstance(exc, TransientError) or unanswered):  # no answer: its fix
            hint = refused_hint(str(exc), exc.status, index)
        if hint is None and isinstance(exc, AuthError):  # which key: where the config sets it
            place = key_place(index, panel_config.key_field, panel_config.key_source)
            hint = refused_key_hint(place)
        if hint is None and not isinstance(exc, (OutcomeUnknownError, TransientError)):
            hint = catalogue_hint(store, panel_config.name, service, exc.detail)  # as synced
        told = f"{told}; {hint}" if hint else told
        fail(safe_text(_and(told, mine, gone, freed)))  # the panel's words: escaped
    except KeyboardInterrupt:  # a second Ctrl-C: the order may exist, untracked
        if not sent:  # its key being claimed: no order
            if not given_back:
                gone, freed = release_quietly(store, mine)
            told = f"interrupted: {panel_config.name}: add: no order placed"
            fail(_and(told, mine, gone, freed), EXIT_INTERRUPTED)
        detail = "interrupted before its answer came"
        unknown = OutcomeUnknownError.because(detail, panel=panel_config.name, action="add")
        gone = settle_quietly(store, mine, error=unknown.detail)
        fail(_and(f"interrupted: {unknown}", mine, gone), EXIT_INTERRUPTED)
    finally:
        client.close()
    if not new:  # no proof of a new order; the tracked one is left as it was
        import structlog

        gone = settle_quietly(store, mine, error=f"answered order {order_id}, tracked")
        if gone is not None and mine is not None and names(gone, order_id):
            agreed(mine, order_id)  # the user tracked it under the key: the same order
            print_placed(order_id)
            return
        log = structlog.get_logger("tracker.cli")
        on = {"tracked_on": elsewhere} if elsewhere else {}
        log.warning("add_answer_already_tracked", panel=panel_config.name, order=order_id, **on)
        unknown = OutcomeUnknownError.already_tracked(
            order_id, panel=panel_config.name, on=elsewhere
        )
        fail(safe_text(_and(str(unknown), mine, gone)))
    if stop.stopping:  # said once true, after the ID; a closed stderr is no failure
        with contextlib.suppress(OSError):
            click.echo(
                "smm-tracker: the order was placed before the stop, and is tracked", err=True
            )


def _also_said(panel: str, order_id: int, words: str) -> None:
    """Say on stderr that order ``order_id``, tracked, came with the panel's
    ``words`` read as a refusal: placed by its answer, not plainly (a closed
    stderr is no failure: the ID is out)."""
    said = f"#{order_id} placed by the panel's answer, but it also said: {panel_words(words)}"
    with contextlib.suppress(OSError):
        click.echo(f"smm-tracker: {panel}: {said}; check it on the panel", err=True)


def _and(told: str, mine: Claim | None, gone: Gone | None, freed: bool = False) -> str:
    """Return ``told``, and that the key was settled meanwhile if ``gone``, or
    given back (the same key may be used again) if ``freed``."""
    if mine is not None and gone is not None:
        return f"{told}; {meanwhile(mine, gone)}"
    return f"{told}; {freed_words(mine)}" if mine is not None and freed else told
