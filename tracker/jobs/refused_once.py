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
A panel with nothing learned has no rows to tell its key changed: each
first refusal keeps the mark of the key it was refused with
(:mod:`tracker.store.key_marks`, never the key), and one of another key's
counts not. The mark (some 50 ms) is made or checked only at a refusal in
a missing action's words, once a process; never at a success. A first
refusal kept before marks were (no mark) counts, as it did, as a row
learned before m040 holds: of which key it was none can say, and the
previous version counted it.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from tracker.panel.settings import Secret
from tracker.rules.capabilities import missing_now
from tracker.store.capabilities import first_refusal, forget_refusal, note_refusal, refused_before
from tracker.store.connection import Connection
from tracker.store.key_marks import key_mark, marks_key

log = structlog.get_logger("tracker.capabilities")


def second_refusal(
    store: Connection,
    panel: str,
    action: str,
    now: datetime,
    *,
    known: bool,
    url: str,
    key: Secret,
) -> bool:
    """Given a refusal of ``action`` in a missing action's words (witnessed:
    the key works), return True when it learns the action missing (the
    second in a row, or ``known`` missing already: the caller stores it);
    False when it is the first, kept for the next call to tell. Refusals
    count at ``url``, the panel's URL now, and with ``key``, the panel's
    key now: one at its old URL, or of another key, counts not. Nothing is
    logged here of the refusal: each caller's own line says it (one line
    says it; a debug ``action_refused_once`` beside it said it twice)."""
    if missing_now(known, None if known else _refused_with(store, panel, action, url, key)):
        forget_refusal(store, panel, action)
        return True
    note_refusal(store, panel, action, now, url, mark=key_mark(key))
    return False


def _refused_with(store: Connection, panel: str, action: str, url: str, key: Secret) -> str | None:
    """Return when ``action`` was first refused at ``url`` with ``key`` (an
    ISO time), or None: none waits, or one of another key's, told
    (``first_refusals_forgotten``) and replaced by the caller's."""
    found = first_refusal(store, panel, action, url)
    if found is None:
        return None
    since, mark = found
    if mark is None or marks_key(mark, key) is not False:  # none, or unread: counts as it did
        return since
    log.info("first_refusals_forgotten", panel=panel, count=1, reason="key changed", action=action)
    return None


def succeeded(store: Connection, panel: str, action: str, url: str) -> None:
    """``action`` succeeded at ``url``: a first refusal waiting for a second
    is forgotten, with whichever key (written only when one waits; no key
    mark made nor checked)."""
    if refused_before(store, panel, action, url) is not None:
        forget_refusal(store, panel, action)
