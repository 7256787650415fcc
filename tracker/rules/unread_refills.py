"""Refill requests whose outcome the tracker could not read: the ``refill_unknown`` alert.

Pure. A request ends ``Unknown`` when its answer was lost, took the request
without a usable refill ID, left the order out, or named no order at all
(see :mod:`tracker.jobs.refill_requests`); the run that sent it died before
the answer was stored, too. Such a request may have been placed: it counts
toward ``refill.max_requests`` and the cooldown like an accepted one, so a
panel answering every request that way uses up every order's guarantee. One
alert per panel and batch of changes says so, quoting what came back.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from typing import Any

from tracker.panel.values import quoted
from tracker.rules.alerts import order_ids, refill_alerts
from tracker.rules.episodes import Alert
from tracker.rules.refills import REQUESTING, UNKNOWN

REFILL_UNKNOWN = "refill_unknown"
_WORDS = 160  # characters of what came back quoted in a message; data holds it all


def unknown_request_alerts(changes: Iterable[dict[str, Any]]) -> list[Alert]:
    """Given refill status changes, return one ``refill_unknown`` alert per
    panel for the requests among them that ended Unknown (from Requesting)."""
    by_panel: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        if change.get("from_status") == REQUESTING and change.get("to_status") == UNKNOWN:
            by_panel.setdefault(change["panel"], []).append(change)
    alerts = []
    for panel, hit in by_panel.items():
        said = {c.get("error") or "no answer" for c in hit}
        what = quoted(said.pop(), _WORDS) if len(said) == 1 else "different answers, in data"
        if len(hit) == 1:
            whom = f"the refill request for order #{hit[0]['order_id']} has"
        else:
            whom = f"{len(hit)} refill requests ({order_ids([c['order_id'] for c in hit])}) have"
        message = (
            f"{panel}: {whom} an unknown outcome ({what}); it may have been placed, so it "
            f"counts toward refill.max_requests and the cooldown: check the panel"
        )
        refills = [{"order_id": c["order_id"], "error": c.get("error")} for c in hit]
        alerts.append(Alert(REFILL_UNKNOWN, message, panel=panel, data={"refills": refills}))
    return alerts


def refill_change_alerts(
    changes: Iterable[dict[str, Any]],
    *,
    panel_judges: bool = False,
    dropped: Container[tuple[str, int]] = (),
) -> list[Alert]:
    """Given refill status changes, return every alert they call for: the
    ``refill_rejected`` ones (:func:`~tracker.rules.alerts.refill_alerts`,
    given ``panel_judges`` and ``dropped``), then ``refill_unknown``."""
    changes = list(changes)
    lost = refill_alerts(changes, panel_judges=panel_judges, dropped=dropped)
    return lost + unknown_request_alerts(changes)
