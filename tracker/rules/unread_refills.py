"""Refill news the tracker could not read: the ``refill_unknown`` and
``refill_unknown_status`` alerts.

Pure. A request ends ``Unknown`` when its answer was lost, took the request
without a usable refill ID, left the order out, or named no order at all
(see :mod:`tracker.jobs.refill_requests`); the run that sent it died before
the answer was stored, too. Such a request may have been placed: it counts
toward ``refill.max_requests`` and the cooldown like an accepted one, so a
panel answering every request that way uses up every order's guarantee. One
alert per panel and batch of changes says so, quoting what came back.

A refill followed and then closed ``Unknown`` (the panel reported it not
found :data:`~tracker.rules.refills.NOT_FOUND_CONFIRMATIONS` rounds in a
row) is no longer followed and counts toward ``refill.max_requests``: the
same ``refill_unknown`` alert says so, quoting the panel's last words. It was
a give-up no alert told of. So is a refill whose ID the panel also gave to
another order (:func:`shared_refill`): its answers about that ID cannot be
told apart, so they are read for neither order.

A refill the panel reports in status words the tracker does not know
("Refunded", "Partial", "3") keeps them verbatim and is still followed, but
no rule reads it: it stays open, holding back its order's next request until
``refill.cooldown`` has passed since it was requested (see
:func:`tracker.rules.refill_states.is_open`). One ``refill_unknown_status`` alert
per panel and batch names such refills, each once: when it comes to carry
such words from a status the tracker knows.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from typing import Any

from tracker.errors import outcome_cause
from tracker.panel.statuses import REFILL_STATUSES
from tracker.panel.values import quoted
from tracker.rules.alerts import order_ids, refill_alerts
from tracker.rules.counts import counted
from tracker.rules.episodes import Alert
from tracker.rules.refill_states import LOCAL_STATUSES, REQUESTING, UNKNOWN
from tracker.rules.refills import NOT_FOUND_CONFIRMATIONS

REFILL_UNKNOWN = "refill_unknown"
REFILL_UNKNOWN_STATUS = "refill_unknown_status"
_KNOWN = frozenset({*REFILL_STATUSES, *LOCAL_STATUSES})
_SHOWN_WORDS = 3  # spellings quoted in a grouped message; data holds each refill's
_WORDS = 160  # characters of what came back quoted in a message; data holds it all
SHARED_ID = "the panel gave the same refill ID"


def shared_refill(refill_id: str, others: list[int]) -> dict[str, Any]:
    """Given a followed refill's ID and the other orders the panel gave that
    ID to, return the fields closing it: Unknown (it may run; it counts toward
    ``refill.max_requests`` and the cooldown), never the status of an answer
    that may be about another order's refill."""
    whom = ("order " if len(others) == 1 else "orders ") + ", ".join(f"#{o}" for o in others)
    why = f"{SHARED_ID} ({refill_id}) to {whom}: its answers cannot be told apart"
    return {"status": UNKNOWN, "error": why}


def _ended_unknown(
    changes: Iterable[dict[str, Any]], *, requested: bool
) -> dict[str, list[dict[str, Any]]]:
    """Given refill status changes, return by panel those that ended Unknown:
    requests (from Requesting) when ``requested``, else refills followed."""
    by_panel: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        sent = change.get("from_status") == REQUESTING
        if change.get("to_status") == UNKNOWN and sent == requested:
            by_panel.setdefault(change["panel"], []).append(change)
    return by_panel


def _what_came_back(hit: list[dict[str, Any]]) -> str:
    said = {outcome_cause(c.get("error") or "no answer") for c in hit}
    return quoted(said.pop(), _WORDS) if len(said) == 1 else "different answers, in data"


def unknown_request_alerts(changes: Iterable[dict[str, Any]]) -> list[Alert]:
    """Given refill status changes, return one ``refill_unknown`` alert per
    panel for the requests among them that ended Unknown (from Requesting)."""
    alerts = []
    for panel, hit in _ended_unknown(changes, requested=True).items():
        what = _what_came_back(hit)
        if len(hit) == 1:
            whom = f"the refill request for order #{hit[0]['order_id']} has"
        else:
            ids = order_ids([c["order_id"] for c in hit], "refills")
            whom = f"{counted(len(hit), 'refill request')} of orders {ids} have"
        message = (
            f"{panel}: {whom} an unknown outcome ({what}); it may have been placed, so it "
            f"counts toward refill.max_requests and the cooldown: check the panel"
        )
        refills = [{"order_id": c["order_id"], "error": c.get("error")} for c in hit]
        alerts.append(Alert(REFILL_UNKNOWN, message, panel=panel, data={"refills": refills}))
    return alerts


def closed_unknown_alerts(changes: Iterable[dict[str, Any]]) -> list[Alert]:
    """Given refill status changes, return one ``refill_unknown`` alert per
    panel for the refills among them closed Unknown while followed (from a
    status the panel gave, not from Requesting)."""
    alerts = []
    for panel, hit in _ended_unknown(changes, requested=False).items():
        what = _what_came_back(hit)
        if len(hit) == 1:
            whom = f"refill {hit[0]['refill_id']} of order #{hit[0]['order_id']} is"
        else:
            ids = order_ids([c["order_id"] for c in hit], "refills")
            whom = f"{counted(len(hit), 'refill')} of orders {ids} are"
        said = f"the panel answered {what} {NOT_FOUND_CONFIRMATIONS} rounds in a row"
        if all(str(c.get("error") or "").startswith(SHARED_ID) for c in hit):
            said = f"{SHARED_ID} to another order too (its answers cannot be told apart)"
        message = (
            f"{panel}: {whom} no longer followed: {said}, so it is closed as Unknown; it counts "
            f"toward refill.max_requests and the cooldown: check the panel"
        )
        refills = [
            {"order_id": c["order_id"], "refill_id": c.get("refill_id"), "error": c.get("error")}
            for c in hit
        ]
        alerts.append(Alert(REFILL_UNKNOWN, message, panel=panel, data={"refills": refills}))
    return alerts


def unknown_status_alerts(changes: Iterable[dict[str, Any]]) -> list[Alert]:
    """Given refill status changes, return one ``refill_unknown_status`` alert
    per panel for the refills among them that came to carry status words the
    tracker does not know, from a status it knows (so once per refill, not at
    every round while the panel repeats them)."""
    by_panel: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        if change.get("to_status") not in _KNOWN and change.get("from_status") in _KNOWN:
            if change.get("from_raw") and change.get("from_raw") == change.get("raw_status"):
                continue  # the same words as before: a hold released (running_refills)
            by_panel.setdefault(change["panel"], []).append(change)
    alerts = []
    for panel, hit in by_panel.items():
        words = list(dict.fromkeys(c.get("raw_status") or c["to_status"] for c in hit))
        said = ", ".join(quoted(w, 60) for w in words[:_SHOWN_WORDS])
        said += f" and {len(words) - _SHOWN_WORDS} more" if len(words) > _SHOWN_WORDS else ""
        if len(hit) == 1:
            whom = f"refill {hit[0]['refill_id']} of order #{hit[0]['order_id']} is"
            held = "its order gets no new refill request until refill.cooldown has passed since"
            held += " it was requested"
        else:
            ids = order_ids([c["order_id"] for c in hit], "refills")
            whom = f"{counted(len(hit), 'refill')} of orders {ids} are"
            held = "their orders get no new refill request until refill.cooldown has passed"
            held += " since each was requested"
        message = (
            f"{panel}: {whom} in status words the tracker does not know ({said}); still "
            f"followed, but no rule reads them: {held} (then the panel decides)"
        )
        refills = [
            {
                "order_id": c["order_id"],
                "refill_id": c.get("refill_id"),
                "status": c["to_status"],
                "raw_status": c.get("raw_status"),
            }
            for c in hit
        ]
        alerts.append(Alert(REFILL_UNKNOWN_STATUS, message, panel=panel, data={"refills": refills}))
    return alerts


def refill_change_alerts(
    changes: Iterable[dict[str, Any]],
    *,
    panel_judges: bool = False,
    dropped: Container[tuple[str, int]] = (),
) -> list[Alert]:
    """Given refill status changes, return every alert they call for: the
    ``refill_rejected`` ones (:func:`~tracker.rules.alerts.refill_alerts`,
    given ``panel_judges`` and ``dropped``), then ``refill_unknown`` (requests,
    then refills followed) and ``refill_unknown_status``."""
    changes = list(changes)
    lost = refill_alerts(changes, panel_judges=panel_judges, dropped=dropped)
    unread = unknown_request_alerts(changes) + closed_unknown_alerts(changes)
    return lost + unread + unknown_status_alerts(changes)
