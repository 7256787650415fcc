"""A refusal saying the order's earlier refill still runs, and what it means.

Pure. Panels refuse a new refill request while the order's previous refill
runs ("The refill task is not completed for this order"). When that previous
refill is one the tracker follows in status words it does not know
("Working"), the refusal is the panel's word that it is under way: it is read
as In progress, so it holds its order like any running refill, and stays so
while the panel repeats the same words, for at most :data:`HOLD_COOLDOWNS`
cooldowns (then the panel decides again); the refusal itself (stored Refused,
the panel's words kept) uses up nothing and alerts nothing. Without that
reading, the order was asked again every ``refill.cooldown`` the panel worked
on, each time refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from tracker.panel.refill_words import says_refill_running
from tracker.panel.statuses import IN_PROGRESS, PENDING, normalize_refill_status
from tracker.rules.refill_states import CLOSED, REFUSED, REQUESTING


def refused_running(fields: dict[str, Any]) -> bool:
    """Given the fields stored for a request's answer, return True when the
    panel refused it because the order's earlier refill still runs."""
    return fields.get("status") == REFUSED and says_refill_running(fields.get("error"))


# A refill read In progress from such a refusal is held at most this many
# ``refill.cooldown``s from when it was so read: the refusal may be about
# another refill (one asked on the panel's site) while this one ended in words
# the tracker does not know ("No drop found"). Then its words are read as
# before and the order asked again: if the panel still says a refill runs, it
# is held again. At most one refused request per hold, and a guarantee never
# kept waiting longer than a hold.
HOLD_COOLDOWNS = 2


def running_now(history: Iterable[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Given an order's ``refills`` rows and the panel's word that its earlier
    refill still runs, return the fields to set by row ID: the newest refill
    followed in status words the tracker does not know becomes In progress (its
    words stay in ``raw_status``); older ones are left as they are. A refill in
    a status the tracker knows, or none followed (a lost answer, a refill asked
    on the panel's site), is left as it is: the refusal stays as read today."""
    followed = [
        row
        for row in history
        if row.get("refill_id") is not None
        and row["status"] not in CLOSED | {REQUESTING, PENDING, IN_PROGRESS}
    ]
    newest = max(followed, key=lambda row: row["id"], default=None)
    return {} if newest is None else {newest["id"]: {"status": IN_PROGRESS}}


def held(row: dict[str, Any]) -> bool:
    """Return True when a ``refills`` row is In progress in words the tracker
    does not know: read so from a refusal (:func:`running_now`)."""
    raw = row.get("raw_status")
    return row.get("status") == IN_PROGRESS and bool(raw) and not normalize_refill_status(raw)[1]


def kept_running(
    row: dict[str, Any],
    fields: dict[str, Any],
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    hold: float | None = None,
) -> dict[str, Any]:
    """Given a followed ``refills`` row and the fields a report gave it
    (:func:`~tracker.rules.refills.followed`), return the fields to store: a
    refill read In progress from a refusal (:func:`held`) stays In progress
    while the panel repeats those words (in any case), until ``hold`` seconds
    after ``since`` (when it was read so; unknown: released); other words, a
    known status, or a hold run out are stored as ever."""
    if not held(row):
        return fields
    if hold is not None and (since is None or now is None or (now - since).total_seconds() >= hold):
        return fields
    raw, said = row["raw_status"], fields.get("raw_status")
    if "status" not in fields or not said or said.strip().casefold() != raw.strip().casefold():
        return fields
    return {**fields, "status": IN_PROGRESS}
