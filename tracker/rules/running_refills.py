"""A refusal saying the order's earlier refill still runs, and what it means.

Pure. Panels refuse a new refill request while the order's previous refill
runs ("The refill task is not completed for this order"). When that previous
refill is one the tracker follows in status words it does not know
("Working"), the refusal is the panel's word that it is under way: it is read
as In progress, so it holds its order like any running refill, and stays so
while the panel repeats the same words; the refusal itself (stored Refused,
the panel's words kept) uses up nothing and alerts nothing. Without that
reading, the order was asked again every ``refill.cooldown`` the panel worked
on, each time refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tracker.panel.refusals import says_refill_running
from tracker.panel.statuses import IN_PROGRESS, PENDING, normalize_refill_status
from tracker.rules.refills import CLOSED, REFUSED, REQUESTING


def refused_running(fields: dict[str, Any]) -> bool:
    """Given the fields stored for a request's answer, return True when the
    panel refused it because the order's earlier refill still runs."""
    return fields.get("status") == REFUSED and says_refill_running(fields.get("error"))


def running_now(history: Iterable[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Given an order's ``refills`` rows and the panel's word that its earlier
    refill still runs, return the fields to set by row ID: each refill followed
    in status words the tracker does not know becomes In progress (its words
    stay in ``raw_status``). A refill in a status the tracker knows, or none
    followed (a lost answer, a refill asked on the panel's site), is left as
    it is: the refusal stays as it is read today."""
    return {
        row["id"]: {"status": IN_PROGRESS}
        for row in history
        if row.get("refill_id") is not None
        and row["status"] not in CLOSED | {REQUESTING, PENDING, IN_PROGRESS}
    }


def kept_running(row: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """Given a followed ``refills`` row and the fields a report gave it
    (:func:`~tracker.rules.refills.followed`), return the fields to store: a
    refill read In progress from a refusal (its ``raw_status`` words the
    tracker does not know) stays In progress while the panel repeats those
    words (in any case); other words, or a known status, are stored as ever."""
    raw = row.get("raw_status")
    if row.get("status") != IN_PROGRESS or not raw or normalize_refill_status(raw)[1]:
        return fields
    said = fields.get("raw_status")
    if "status" not in fields or not said or said.strip().casefold() != raw.strip().casefold():
        return fields
    return {**fields, "status": IN_PROGRESS}
