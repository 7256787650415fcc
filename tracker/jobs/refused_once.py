"""An action learned missing at its second refusal, never at one.

A panel script without ``refill`` or ``balance`` refuses it every time in
the words it gives an action that does not exist; a flaky panel may answer
one call in those generic words ("Incorrect request") and the next one
normally. So the first such refusal is that call's failure, kept in the
store (:func:`tracker.store.capabilities.note_refusal`) so that the daemon
and ``run --once`` runs count alike; the second, with no success of the
action between, learns it missing; a success forgets the first. So are
``refill_status`` and ``cancel``, and the one-order-at-a-time rows
(``refill_orders``, ``status_orders``: a multi-order call refused while
single calls answer). Refusals count at the panel's URL they were given at,
and with the key: a key changed forgets them with what was learned
(:func:`tracker.jobs.learned.forget_learned`, once the new key is answered).
"""

from __future__ import annotations

from datetime import datetime

from tracker.rules.capabilities import missing_now
from tracker.store.capabilities import forget_refusal, note_refusal, refused_before
from tracker.store.connection import Connection


def second_refusal(
    store: Connection,
    panel: str,
    action: str,
    now: datetime,
    *,
    known: bool,
    url: str,
) -> bool:
    """Given a refusal of ``action`` in a missing action's words (witnessed:
    the key works), return True when it learns the action missing (the
    second in a row, or ``known`` missing already: the caller stores it);
    False when it is the first, kept for the next call to tell. Refusals
    count at ``url``, the panel's URL now: one at its old URL counts not.
    Nothing is logged here: each caller's own line says the refusal (one
    line says it; a debug ``action_refused_once`` beside it said it twice)."""
    if missing_now(known, refused_before(store, panel, action, url)):
        forget_refusal(store, panel, action)
        return True
    note_refusal(store, panel, action, now, url)
    return False


def succeeded(store: Connection, panel: str, action: str, url: str) -> None:
    """``action`` succeeded at ``url``: a first refusal waiting for a second
    is forgotten (written only when one waits)."""
    if refused_before(store, panel, action, url) is not None:
        forget_refusal(store, panel, action)
