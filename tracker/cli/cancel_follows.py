"""What follows a cancel the panel accepted, as ``cancel`` says it: the
order's next status check; for an order stored as ended that waits for a
late check (``schedule.late_checks``), when that check asks its status
again; or, for an order the tracker does not poll (not tracked, untracked,
lost, ended with no late check to come), that none comes and the ``track``
command that brings one: its Canceled status and refund are otherwise never
seen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from tracker.cli.render import safe_text
from tracker.clock import iso
from tracker.errors import failure_words
from tracker.rules.counts import counted
from tracker.rules.late_checks import next_late_check
from tracker.store.cancels import (
    ACCEPTED,
    LOST,
    NOT_TRACKED,
    REFUSED,
    UNKNOWN,
    UNTRACKED,
    cancels_of,
    late_checks_of,
)
from tracker.store.orders import Store


def late_moments(
    store: Store, panel: str, why: Mapping[int, str], delays: Sequence[float]
) -> dict[int, datetime]:
    """Given :func:`unpolled`'s answer, return the orders stored as ended
    whose next late check is still to come, each with when it is due."""
    ended = [oid for oid, said in why.items() if said not in (NOT_TRACKED, UNTRACKED, LOST)]
    if not ended or not delays:
        return {}
    found: dict[int, datetime] = {}
    for order_id, (ended_at, checks) in late_checks_of(store, panel, ended).items():
        if (moment := next_late_check(ended_at, checks, delays)) is not None:
            found[order_id] = moment
    return found


def follows(
    order_id: int,
    why: str | None,
    track: str,
    late: datetime | None = None,
    now: datetime | None = None,
) -> str:
    """What follows an accepted cancel: the next check, or why none comes
    (``why``, from :func:`unpolled`) and the ``track`` command that brings one;
    ``late``: the next late check of an order stored as ended (from
    :func:`late_moments`), due at the next poll when not after ``now``."""
    if why is None:
        return "status follows on its next check"
    if why in (NOT_TRACKED, UNTRACKED, LOST):
        how = "follows it" if why == NOT_TRACKED else "resumes it"
        said = "stopped as lost" if why == LOST else why
        return f"{said}, so no status follows: {track}{order_id} {how}"
    if late is not None:
        when = "due at the next poll" if now is not None and late <= now else f"at {iso(late)}"
        return (
            f"stored as {safe_text(why)}, so its status follows at its late check"
            f"{',' if when.startswith('due') else ''} {when} (schedule.late_checks)"
        )
    return f"stored as {safe_text(why)}, so no status follows"


def accepted_before(store: Store, panel: str, refused: Sequence[int]) -> dict[int, str]:
    """Given the orders whose cancel the panel just refused, return what to say
    after the refusal of each whose cancel it had accepted before: a panel
    refuses to cancel an order twice ("This order cannot be canceled"), which
    reads as if the first cancel had failed."""
    said: dict[int, str] = {}
    for order_id in refused:  # a refusal each: a few orders, a query each
        accepted = [r for r in cancels_of(store, panel, order_id) if r["result"] == ACCEPTED]
        if accepted:
            said[order_id] = (
                f" (a cancel of it was accepted earlier, at {accepted[-1]['requested_at']})"
            )
    return said


def unrecorded(kept: Sequence[tuple[int, str, str | None]], exc: BaseException, left: int) -> str:
    """Given what the panel answered to a cancel call (its results stored
    ones: accepted, refused, unknown) and what ended the transaction storing
    them, return the line naming them and what to do; ``left``: the orders
    never sent, after it."""
    ids = {kind: [o for o, result, _ in kept if result == kind] for kind in (ACCEPTED, UNKNOWN)}
    parts = []
    if accepted := ids[ACCEPTED]:
        it = "them" if accepted[1:] else "it"
        told = f"the panel accepted the cancel of {_orders(accepted)}: do not cancel {it} again"
        parts.append(told)
    if unknown := ids[UNKNOWN]:
        parts.append(f"the cancel of {_orders(unknown)} may have been done: check the panel")
    if refused := [o for o, result, _ in kept if result == REFUSED]:
        parts.append(f"it refused {_orders(refused)}: nothing canceled")
    if left:
        parts.append(f"{counted(left, 'order')} not sent")
    told = "the cancels answered were not recorded"
    if isinstance(exc, KeyboardInterrupt):
        told = f"interrupted: {told}"
    else:  # not the store's: which error it was too
        told += f" ({failure_words(exc)})"
    return f"{told}: {'; '.join(parts)}"


def _orders(ids: Sequence[int]) -> str:
    more = f" and {len(ids) - 10} more" if len(ids) > 10 else ""
    return f"order{'s' if ids[1:] else ''} {', '.join(map(str, ids[:10]))}{more}"
