"""An ``add --idempotency-key``'s answer stored under the key it claimed
(:mod:`tracker.store.idempotency`): settled as placed or unknown, or the
key given back after a refusal (logged: ``idempotency_key_released``).

Only the claim the add made is changed. An answer come after the user
settled the key another way — the add suspended (Ctrl-Z, a stopped VM, a
laptop's lid) past the window in which it may still be running, then
``track --idempotency-key`` or ``add --not-placed`` — changes nothing: the
user's settlement stands, and the command says on stderr, in its one
line, what the panel answered and that the key was settled meanwhile
(logged: ``idempotency_claim_gone``), exit 1. An order the panel placed
for it stays tracked (``add`` tracks it in the transaction that settles
the key, or finds it settled): it may be a second order, paid for, which
the user must see in ``orders``.
"""

from __future__ import annotations

from collections.abc import Sequence
from shlex import quote
from typing import TYPE_CHECKING, Any

import click
import structlog

from tracker.cli.idempotent import unrecorded
from tracker.cli.main import EXIT_FAILED, EXIT_INTERRUPTED, fail
from tracker.cli.render import safe_text
from tracker.clock import utcnow
from tracker.errors import StoreError
from tracker.store import idempotency
from tracker.store.idempotency import PLACED, SENDING, Claim, Gone
from tracker.store.orders import Store
from tracker.store.tracking import track_placed

if TYPE_CHECKING:
    from tracker.store.tracking import Placed

log = structlog.get_logger("tracker.cli")


def settle_quietly(store: Store, mine: Claim | None, **outcome: Any) -> Gone | None:
    """Store how a claimed add ended (:func:`tracker.store.idempotency.settle`);
    return :class:`Gone` when the key was settled meanwhile (nothing
    changed). A failure to store is said, never the command's: its row stays
    Sending, which the next add under the key reads as unknown (the safe side)."""
    if mine is None:
        return None
    try:
        gone = idempotency.settle(store, mine, utcnow(), **outcome)
    except StoreError as exc:
        click.echo(f"smm-tracker: idempotency key not settled: {exc}", err=True)
        return None
    if gone is not None:
        placed = outcome.get("order_id")
        _log_gone(mine, gone, f"placed order {placed}" if placed else "outcome unknown")
    return gone


def release_quietly(store: Store, mine: Claim | None) -> tuple[Gone | None, bool]:
    """Give the key back after a refusal; return :class:`Gone` when it was
    settled meanwhile (nothing changed), and whether it was given back. A
    failure to leaves it Sending (unknown)."""
    if mine is None:
        return None, False
    try:
        gone = idempotency.release(store, mine)
    except StoreError as exc:
        click.echo(f"smm-tracker: idempotency key not released: {exc}", err=True)
        return None, False
    if gone is None:  # the user's own label: logged, as the panel's name is
        log.info("idempotency_key_released", panel=mine.panel, key=mine.key, claimed_at=mine.at)
    else:
        _log_gone(mine, gone, "refused: nothing placed")
    return gone, gone is None


def freed_words(mine: Claim) -> str:
    """Return the words saying that ``mine``'s key was given back after its
    add placed no order: the same key may be used again (on a terminal the
    ``idempotency_key_released`` line is not shown: these words say it)."""
    shown = safe_text(repr(mine.key))
    return f"idempotency key {shown} given back: the same key may be used again"


def _log_gone(mine: Claim, gone: Gone, answered: str) -> None:
    held = gone.held
    log.warning(
        "idempotency_claim_gone",
        panel=mine.panel,
        key=mine.key,
        claimed_at=mine.at,
        answered=answered,
        held=held.status if held is not None else None,  # None: no add holds it
        held_claimed_at=held.at if held is not None else None,
        held_order=held.order_id if held is not None else None,
    )


def meanwhile(mine: Claim, gone: Gone) -> str:
    """Return the words saying that ``mine`` was settled by another and left so."""
    shown = safe_text(repr(mine.key))
    return f"idempotency key {shown} was settled meanwhile ({_held(mine, gone)}), left as it is"


def _held(mine: Claim, gone: Gone) -> str:
    held = gone.held
    if held is None:
        return "given back, no add holds it"
    if held.status == PLACED:
        return f"placed as order {held.order_id}"
    if held.at != mine.at:
        state = "sending now" if held.status == SENDING else "its outcome unknown"
        return f"claimed again at {held.at} by another add, {state}"
    return "its outcome unknown"


def names(gone: Gone | None, order_id: int) -> bool:
    """Return True when the key ``gone`` from its add names ``order_id`` now:
    the user tracked the very order the panel answered."""
    held = gone.held if gone is not None else None
    return held is not None and held.status == PLACED and held.order_id == order_id


def placed_meanwhile(mine: Claim, gone: Gone, order_id: int) -> None:
    """The panel placed ``order_id``, tracked, for an add whose key was settled
    meanwhile (logged: ``idempotency_claim_gone``): return when the key
    names that order (a note said); else end the command, exit 1, naming
    the order, which may be a second one."""
    _log_gone(mine, gone, f"placed order {order_id}")
    if names(gone, order_id):
        agreed(mine, order_id)
        return
    cancel = f"smm-tracker cancel --panel {quote(mine.panel)} {order_id}"
    fail(
        f"the panel placed order {order_id} for the add under idempotency key "
        f"{safe_text(repr(mine.key))} begun at {mine.at}, but the key was settled "
        f"meanwhile ({_held(mine, gone)}) and is left as it is; order {order_id} is "
        f"tracked: check the panel, it may be a second order (`{safe_text(cancel)}` "
        "while it is Pending)",
        EXIT_FAILED,
    )


def agreed(mine: Claim, order_id: int) -> None:
    """Say that the key an add's answer found settled names the order it placed."""
    click.echo(
        f"note: idempotency key {safe_text(repr(mine.key))} was settled meanwhile as order "
        f"{order_id}, the order the panel placed",
        err=True,
    )


def track_answered(
    store: Store,
    panel: str,
    mine: Claim | None,
    others: Sequence[str],
    order_id: int,
    details: dict[str, Any],
) -> Placed:
    """Track an order just placed, unless ``others`` (the other entries for
    its url) or ``panel`` track its ID already, and settle its key (if any),
    in one transaction (:func:`tracker.store.tracking.track_placed`).
    Not recorded, whatever ended the transaction (the store's error, a
    stop the shield did not hold, any other): the command ends in one line
    naming the order and the command that tracks it (exit 130 for a stop,
    else 1), its key settled Unknown naming the order, so the add run again
    under it says which order to track."""
    try:
        return track_placed(
            store, panel, order_id, utcnow(), details=details, others=others, claim=mine
        )
    except (Exception, KeyboardInterrupt) as exc:
        stopped = isinstance(exc, KeyboardInterrupt)
        cause = "interrupted" if stopped else exc if isinstance(exc, StoreError) else _named(exc)
        gone = settle_quietly(store, mine, error=unrecorded(order_id, cause))
        again = f"run: smm-tracker track --panel {quote(panel)} {order_id}"  # several may be set
        if mine is not None and gone is None:
            keyed = f"--idempotency-key {quote(mine.key)} {order_id}"
            again = f"run: smm-tracker track --panel {quote(panel)} {keyed}"
        elif mine is not None and gone is not None:  # the key is another's now: track it alone
            again = f"{meanwhile(mine, gone)}; {again}"
        told = f"order {order_id} was placed but not recorded"
        told = f"interrupted: {told}" if stopped else f"{told} ({cause})"
        fail(safe_text(f"{told}; {again}"), EXIT_INTERRUPTED if stopped else EXIT_FAILED)


def _named(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"  # not the store's: which error it was too
