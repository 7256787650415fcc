"""``smm-tracker cancel``: ask the panel to cancel orders, and keep its answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tracker.cli.ask import ask, interactive
from tracker.cli.cancel_calls import NOT_CANCELED, NOT_SENT, cancel_orders
from tracker.cli.cancel_follows import accepted_before, late_moments, unrecorded
from tracker.cli.cancel_follows import follows as _follows
from tracker.cli.cancel_learned import learn_cancels
from tracker.cli.cancel_said import interrupted_line, left_undone, show
from tracker.cli.child_of import refuse_children
from tracker.cli.command import OnceCommand
from tracker.cli.main import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    Context,
    fail,
    handle_errors,
    main,
    pass_ctx,
)
from tracker.cli.order_args import nothing_piped, orders_panel, parse_order_ids
from tracker.cli.panels import note_held_elsewhere, orders_are, panel_holding, shown_ids
from tracker.cli.render import safe_text
from tracker.cli.shield import Waits, shield, tell_wait
from tracker.cli.stops import Stopped, ending, term_raises
from tracker.cli.store_open import open_store
from tracker.clock import utcnow
from tracker.errors import StoreError
from tracker.rules.counts import counted
from tracker.store.cancels import ACCEPTED, REFUSED, UNKNOWN, record_cancels, unpolled
from tracker.store.readings import ended_statuses, panels_holding

if TYPE_CHECKING:
    from tracker.config.model import Config
    from tracker.store.orders import Store


def _ask(ids: list[int], panel: str) -> bool:
    """Ask before sending; a SIGTERM at the question ends the command as its
    stop (nothing sent, 143): it killed the command by the signal's default
    action there (-15, no line), cancel's SIGTERM being taken only once it
    sends (:mod:`tracker.cli.shield`)."""
    put_back = term_raises()
    try:
        return ask(f"Cancel {counted(len(ids), 'order')} on {panel}: {shown_ids(ids)}?")
    except Stopped as exc:
        said, code = ending(exc)
        fail(f"{said}: nothing canceled", code)
    finally:
        put_back()


def _holding(config: Config, store: Store, ids: list[int]) -> str:
    """Several panels configured and no --panel: return the configured panel
    the database holds every order on, as `refill` finds one. An order number
    means an order only on its panel: a cancel sent to another could cancel a
    different order, so an ID no configured panel holds stops the command."""
    configured = [p.name for p in config.panels]
    name, unheld = panel_holding(store, ids, configured)
    if name is None or unheld:
        fail(
            f"not tracked on any configured panel: {shown_ids(unheld)}; nothing sent "
            "(pass --panel NAME to cancel orders the tracker does not track)",
            EXIT_FAILED,
        )
    note_held_elsewhere(panels_holding(store, ids), name, configured, "cancel")
    return name


def _not_elsewhere(config: Config, ids: list[int]) -> None:
    """One panel configured and no --panel: stop at an ID the database holds
    only on panels left out of the config (removed, or renamed): it means an
    order there, and a cancel sent to the configured panel could cancel a
    different order of the same number. An ID no panel holds goes out (an
    order the tracker does not track), as one the configured panel holds."""
    path = config.database.path
    if str(path) != ":memory:" and not path.exists():
        return
    only = config.panels[0].name
    held = panels_holding(open_store(config, read_only=True), ids)
    elsewhere = {oid: panels for oid, panels in held.items() if only not in panels}
    if elsewhere:
        named = sorted(elsewhere)
        panels = sorted({name for oid in named for name in elsewhere[oid]})
        verb = "which are" if panels[1:] else "which is"
        fail(
            f"{orders_are(named)} tracked on {safe_text(', '.join(panels))}, {verb} not in "
            "the config; nothing sent "
            f"(pass --panel {only} to send the cancel to {only} anyway)",
            EXIT_FAILED,
        )
    note_held_elsewhere(held, only, [only], "cancel")


def _ended(config: Config, store: Store | None, name: str, ids: list[int]) -> dict[int, str]:
    """Return the IDs stored on ``name`` as ended (Completed, Partial,
    Canceled, Refunded, as last polled), with that status: a panel refuses
    their cancel, and the call costs a confusing refusal. No database: none."""
    if store is None:
        path = config.database.path
        if str(path) != ":memory:" and not path.exists():
            return {}
        store = open_store(config, read_only=True)
    found = ended_statuses(store, name, ids)  # an IN list of 500 IDs a query
    return {oid: found[oid] for oid in ids if oid in found}  # in the order given


@main.command(cls=OnceCommand)
@click.argument("order_ids", nargs=-1, required=True, metavar="ORDER_ID... | -")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--force",
    is_flag=True,
    help="Send even orders stored as ended (Completed, Partial, Canceled, Refunded).",
)
@orders_panel
@pass_ctx
@handle_errors
def cancel(
    ctx: Context, order_ids: tuple[str, ...], yes: bool, force: bool, panel: str | None
) -> None:
    """Ask the panel to cancel orders (IDs, or - for stdin), 100 per call.

    With several panels configured and no --panel, the panel is the one the
    database holds the orders on. Each order's answer is printed and stored
    in the cancels table. An order stored as ended is not sent, unless
    --force. Asks first on a terminal unless --yes; without one (a script,
    a pipe) it asks nothing and sends. Exit 1 when any cancel was refused,
    not sent or its answer was lost.
    """
    ids = list(dict.fromkeys(parse_order_ids(order_ids, none_piped=True)))
    config = ctx.config(keys=True)
    if not ids:
        if panel is not None:
            config.panel(panel)  # a --panel named is still checked
        return nothing_piped("cancel")
    refuse_children(config, ids, panel)  # a drip-feed's run not tracked: nothing sent
    store = None
    if panel is None and len(config.panels) > 1:
        store = open_store(config, existing=True)  # no database: no order tracked anywhere
        panel = _holding(config, store, ids)
    elif panel is None:
        _not_elsewhere(config, ids)
    panel_config = config.panel(panel)
    name = panel_config.name
    ended = {} if force else _ended(config, store, name, ids)
    for oid, status in ended.items():  # one line per order, whatever comes of it
        click.echo(
            f"#{oid}  not sent: {safe_text(status)} (as last polled); --force sends it anyway"
        )
    if ended and len(ended) == len(ids):
        fail(f"{len(ids)} of {counted(len(ids), 'cancel')} not sent", EXIT_FAILED)
    ids = [oid for oid in ids if oid not in ended]
    if not yes and interactive() and not _ask(ids, name):
        fail("nothing canceled", EXIT_FAILED)
    if store is None:
        store = open_store(config)
    try:  # what the panel does is recorded: first prove it can be
        store.probe_write()  # read-only, immutable, locked by another writer...
    except StoreError as exc:
        fail(f"{exc}; nothing sent")
    from tracker.jobs.learned import told_once_answered
    from tracker.panel.client import PanelClient  # httpx costs start-up; only here

    waits = Waits()  # a first Ctrl-C ends a wait to send (a retry's, a rate limit's)
    client = PanelClient(panel_config, on_wait=tell_wait, **waits.hooks())
    key_answered = told_once_answered(store, client, utcnow())  # no balance: services witness
    results: list[tuple[int, str, str | None]] = []
    index = config.index(name)  # panels[N] in a fix said
    track = f"smm-tracker track {f'--panel {name} ' if config.panels[1:] else ''}"
    lacking: list[str] = []
    sending: list[int] = []
    codes: dict[int, int | None] = {}  # the HTTP code behind an order not sent, if any
    unanswered: set[int] = set()  # those whose call got no answer at all
    unjudged: dict[int, str] = {}  # those of a call refused as a whole, not judged yet
    cut: set[int] = set()  # those a stop left: not sent, not sent again, not judged

    def keep(answered: list[tuple[int, str, str | None]]) -> None:
        # Stored before shown: a closed pipe or a full disk under stdout
        # must not cost the record of what the panel did.
        kept = [r for r in answered if r[1] not in (NOT_SENT, NOT_CANCELED)]
        try:
            record_cancels(store, name, kept, utcnow())
        except (Exception, KeyboardInterrupt) as exc:  # the panel's answers said, not lost
            for oid, result, raw in answered:  # as below, an accepted one's note aside
                said = "not recorded" * (result == ACCEPTED)
                show(
                    *(oid, result, raw, index, codes.get(oid), oid in unanswered, oid in cut),
                    *(said, panel_config.url),
                )
            left = len(ids) - len(results) - len(answered)  # never sent
            stopped = isinstance(exc, KeyboardInterrupt)
            fail(unrecorded(kept, exc, left), EXIT_INTERRUPTED if stopped else EXIT_FAILED)
        sending.clear()  # recorded: none on the wire, none to record again
        results.extend(answered)
        try:  # those no check follows (untracked, not tracked) are said so
            why = unpolled(store, name, [oid for oid, result, _ in kept if result == ACCEPTED])
            late = late_moments(store, name, why, config.schedule.late_checks)
            earlier = accepted_before(store, name, [o for o, r, _ in kept if r == REFUSED])
        except StoreError:  # recorded: a note unread costs no line of what the panel did
            why, late, earlier = {}, {}, {}
        now = utcnow()
        for order_id, result, raw in answered:
            show(
                *(order_id, result, raw, index, codes.get(order_id)),
                unanswered=order_id in unanswered,
                cut=order_id in cut,
                follows=_follows(order_id, why.get(order_id), track, late.get(order_id), now)
                if result == ACCEPTED
                else earlier.get(order_id, ""),
                url=panel_config.url,
            )

    try:
        # A first Ctrl-C waits for the call on the wire and sends no more;
        # more once its answer is in hand wait until it is recorded.
        with shield("the cancels just sent", waits, answer_settles=True) as stop:
            asked = cancel_orders(
                *(client, ids, lacking, stop),
                sending=sending,
                codes=codes,
                unanswered=unanswered,
                refused=unjudged,
                cut=cut,
            )
            for answered in asked:
                # Recorded and shown as one step (whole): a second Ctrl-C
                # leaves once it is done; nothing is on the wire meanwhile.
                with waits.idle(), stop.whole():
                    keep(answered)
                stop.recorded()  # a second Ctrl-C may leave again, until the next answer
    except KeyboardInterrupt:  # a second Ctrl-C: the call on the wire may have been acted on
        why = "interrupted before the panel's answer came"
        # Refused, not judged yet: nothing canceled nor stored (as UNSURE), never Unknown.
        left: list[tuple[int, str, str | None]] = [(i, UNKNOWN, why) for i in sending]
        cut.update(unjudged)
        keep(
            left
            + [(i, NOT_CANCELED, f"{w} (not judged: interrupted)") for i, w in unjudged.items()]
        )
        fail(interrupted_line(results, len(ids), cut), EXIT_INTERRUPTED)
    finally:
        client.close()
    learn_cancels(store, client, results, lacking, key_answered)
    # After a Ctrl-C, an order not sent is the user's doing: the rest, or the
    # call on the wire refused (a 429) and not tried again for the stop; and
    # so is a call refused as one whose halves it kept from being sent.
    if stop.stopping and left_undone(results, len(ids), cut):
        fail(interrupted_line(results, len(ids), cut), EXIT_INTERRUPTED)
    refused = len(ended) + sum(1 for _, result, _ in results if result != ACCEPTED)
    never_sent = len(ended) + sum(1 for _, result, _ in results if result == NOT_SENT)
    if refused:  # none of them sent: none refused either, said as such
        said = "not sent" if never_sent == refused else "not accepted"
        total = len(ended) + len(results)
        fail(f"{refused} of {counted(total, 'cancel')} {said}", EXIT_FAILED)
