"""What a ``panel_capabilities`` row says that is not "this action is missing".

Most rows name an action a panel lacks (``refill``, ``refill_status``,
``cancel``: see :mod:`tracker.store.capabilities`). The row of
:data:`REFILL_ORDERS` says instead that the panel's answer to a multi-order
``refill`` call (``orders=``) named none of the orders asked, or refused the
call ("Incorrect request") while single ones were answered, so it is asked
one order at a time (``order=``) from then on, by every process.

A ``balance`` row learned unsupported is a panel script without that action:
its balance job asks no more, save once :data:`BALANCE_RECHECK` after the row
was written (:func:`balance_due_again`), so a script since updated gets its
balance back within a day. The row of :data:`STATUS_ORDERS` says the panel
reads no ``orders=`` in a status call (it answers ``order=`` alone): every
process asks it one order at a time, until the same day has passed and
``orders=`` is tried again (:func:`due_again`). Any row learned at another
URL than the panel's now holds no more: asked again at once
(:mod:`tracker.store.capabilities`). A refusal of ``balance``
whose witness got no answer teaches nothing (:func:`silent_witness`), and
``refill`` or ``balance`` is learned missing only at its second refusal in
a missing action's words with no success between (:func:`missing_now`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tracker.clock import read_iso
from tracker.errors import PanelAnswerError
from tracker.panel.values import short

REFILL_ORDERS = "refill_orders"
STATUS_ORDERS = "status_orders"
BALANCE = "balance"
BALANCE_RECHECK = timedelta(days=1)
RECHECK = BALANCE_RECHECK  # what is learned again after a while: balance, status_orders
# What a panel without ``balance`` goes without, in every place that tells it.
NO_BALANCE = "no balance is fetched, so no low-balance alert and no runway"
_EVIDENCE = 200  # characters of what came back kept in ``evidence``


def evidence(words: str) -> str:
    """Given what came back, return it cut short for the ``evidence`` column."""
    return short(words, _EVIDENCE)


# Words refusing a multi-order call because the panel reads no such field:
# learned for good. "Incorrect order ID" or "Order not found" to a whole call
# may be one ID the panel does not know: single calls that once, not for good.
_NO_FIELD = ("incorrect request", "is required")


def reads_no_orders(words: str) -> bool:
    """Given a panel's refusal of a whole multi-order refill call, return True
    when it says the panel reads no such field (learned in :data:`REFILL_ORDERS`)."""
    said = words.casefold()
    return any(word in said for word in _NO_FIELD)


def one_at_a_time(learned_at: str, evidence: str | None) -> str:
    """Given a :data:`REFILL_ORDERS` row's time and evidence, return what it
    means, in words for the ``services`` note and ``doctor`` (after the panel)."""
    why = f": a multi-order refill request {evidence}" if evidence else ""
    return (
        f"takes refill requests one order at a time (learned {learned_at}{why}); "
        f"no multi-order refill calls are sent to it"
    )


def missing_now(known: bool, refused_before: str | None) -> bool:
    """Given whether an action is learned missing at the panel's URL now
    (``known``: asked again, refused again) and when it was last refused in
    a missing action's words with no success since (``refused_before``),
    return True when this refusal in those words teaches that it is missing:
    the second in a row, as a script without it refuses it every time; one
    alone may be a flaky panel's (it is that call's failure)."""
    return known or refused_before is not None


def refused_once(action: str, words: str) -> str:
    """Given the first refusal of ``action`` in the words the panel gives an
    action that does not exist, return what that call's failure says."""
    return (
        f"{action}: {words} (the words it answers an action that does not exist: "
        f"learned missing if the next {action} call is refused so too)"
    )


def due_again(learned_at: str, now: datetime) -> bool:
    """Given when a panel was last found without ``balance`` (or reading no
    ``orders=``), return True when it is asked again now: a day after, or at
    once when that moment is unreadable or ahead of ``now`` (a clock since
    set back)."""
    at = read_iso(learned_at)
    return at is None or not at <= now < at + RECHECK


balance_due_again = due_again  # the balance job's name for it


def silent_witness(words: str, witness: str, why: str) -> str:
    """Given balance's whole-answer refusal (``words``) and the witness call
    asked what it means that got no answer (``why``: a timeout, a dropped
    connection), return what failed: the panel's silence, no refused key nor
    missing action (a timeout is evidence of neither)."""
    return (
        f"the panel answered {words!r}, then did not answer the {witness} call that "
        f"tells a refused key from a missing action ({why}): no sign of either"
    )


def no_balance(learned_at: str, evidence: str | None) -> str:
    """Given a ``balance`` row learned unsupported, return what it means, in
    words for ``balance``, ``services`` and ``doctor`` (after the panel)."""
    said = f": it answers {evidence!r}, as it does an unknown action" if evidence else ""
    return (
        f"has no balance action (last asked {learned_at}{said}); {NO_BALANCE}; "
        f"asked again a day later, or at once at a new url"
    )


def status_one_at_a_time(learned_at: str, evidence: str | None) -> str:
    """Given a :data:`STATUS_ORDERS` row's time and evidence, return what it
    means, in words for the ``services`` note and ``doctor`` (after the panel)."""
    why = f": it refused orders= with {evidence!r}, answering order=" if evidence else ""
    return (
        f"reads statuses one order at a time (learned {learned_at}{why}); "
        f"orders= is tried again a day later, or at once at a new url"
    )


def services_note(panel: str, action: str, learned_at: str, evidence: str | None) -> str:
    """Given a ``panel_capabilities`` row learned unsupported, return the note
    ``smm-tracker services`` prints for it."""
    if action == REFILL_ORDERS:
        return f"{panel} {one_at_a_time(learned_at, evidence)}"
    if action == STATUS_ORDERS:
        return f"{panel} {status_one_at_a_time(learned_at, evidence)}"
    if action == BALANCE:
        return f"{panel} {no_balance(learned_at, evidence)}"
    again = "cancel" if action == "cancel" else "refill"  # the command that asks again
    return (
        f"{panel} does not support {action} (learned {learned_at}: "
        f"it answers {evidence!r}); `smm-tracker {again} ID` tries again"
    )


# Whole-answer errors of a panel reading no multi-ID field (it wants ``order``, ``refill``).
_NO_MULTI = (
    *("incorrect request", "order id is required", "order not found", "incorrect order id"),
    *("refill id is required", "incorrect refill id", "refill not found"),
)


def multi_unsupported(error: PanelAnswerError) -> bool:
    """Return True when a whole-answer error means "this panel takes one ID per call"."""
    text = error.detail.lower()
    return any(phrase in text for phrase in _NO_MULTI)
