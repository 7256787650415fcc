"""Pure alert decisions: order and refill alerts (a panel's reachability and
key episodes: :mod:`tracker.rules.reach_episodes`).

No I/O: every function is given its state and ``now`` and returns the new
state and what to raise. :mod:`tracker.jobs.watch` does the wiring, and
:mod:`tracker.alerts.alerter` the logging, storing and sending.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Iterable, Sequence
from typing import Any

from tracker.panel.refill_words import says_refill_running
from tracker.panel.statuses import (
    CANCELED,
    FAILED,
    PARTIAL,
    REFILL_REJECTED,
    REFUNDED,
    status_reason,
)
from tracker.panel.values import quoted, short
from tracker.rules.counts import counted
from tracker.rules.episodes import Alert, more_in_data
from tracker.rules.money import CURRENCY_SHOWN, money
from tracker.rules.refill_states import AUTO, REFUSED, is_permanent_refusal

ORDER_CANCELED = "order_canceled"
ORDER_PARTIAL = "order_partial"
REFILL_REJECTED_KIND = "refill_rejected"
PANEL_UNREACHABLE = "panel_unreachable"
PANEL_RECOVERED = "panel_recovered"
AUTH_FAILED = "auth_failed"
AUTH_RECOVERED = "auth_recovered"

# A refill in one of these statuses will not happen; the buyer may want to ask why.
# REFUSED is the tracker's own status for a request the panel answered with an error.
_REFILL_LOST = frozenset({REFILL_REJECTED, CANCELED, FAILED, REFUSED})
# How a panel judging drops says "nothing dropped": it refuses the request, or
# accepts it and ends the refill Rejected. Canceled and Failed are not that.
NOTHING_DROPPED = frozenset({REFUSED, REFILL_REJECTED})
# Refunded is an order ended undelivered as Canceled is, in another word: it is
# an order_canceled of its own ("refunded"), never grouped with the Canceled ones.
_ORDER_KINDS = {CANCELED: ORDER_CANCELED, PARTIAL: ORDER_PARTIAL, REFUNDED: ORDER_CANCELED}
# The final statuses whose arrival raises an alert of their own (order_alerts):
# an order that ends so has been told, stalled or not.
ENDS_ALERTED = frozenset(_ORDER_KINDS)
_SHOWN_IDS = 5  # order IDs named in a grouped alert's message; data lists them all
_REASON_CHARS = 100  # of the panel's reason quoted in a message; data holds it all


def rough_duration(seconds: float) -> str:
    """Given seconds, return a short human figure: "45s", "1m32s", "12m",
    "5h20m", "3d4h" (seconds shown under 10 minutes, where they are a share)."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 10 and rest:
        return f"{minutes}m{rest}s"
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h" if hours else f"{days}d"


# --- orders and refills --------------------------------------------------------


def _by_panel(items: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        grouped[item["panel"]].append(item)
    return grouped


def order_ids(ids: Sequence[int], where: str = "") -> str:
    """Given order IDs, return the first few for a grouped alert's message:
    "#1, #2, #3, #4, #5 and 7 more"; given ``where``, the data field that
    lists them, where the rest are: "... and 7 more (in data.orders:
    `smm-tracker alerts --json`)" (none for a message naming a command
    that lists them)."""
    more = len(ids) - _SHOWN_IDS
    shown = ", ".join(f"#{i}" for i in ids[:_SHOWN_IDS])
    if not where:
        return shown + (f" and {more} more" if more > 0 else "")
    return shown + more_in_data(more, where)


def _ids(items: list[dict[str, Any]], where: str = "") -> str:
    return order_ids([item["order_id"] for item in items], where)


def _money(value: Any) -> str:
    return "?" if value is None else money(value)  # 12345.67, not 12345.7


def _count(value: Any) -> str:
    return "?" if value is None else str(value)


def _order(t: dict[str, Any]) -> dict[str, Any]:
    """An order of a canceled/partial alert's data: its remains, charge and
    currency (when the panel gave one), and the panel's reason when its
    status came with one ("Canceled: invalid link"), as the panel wrote it."""
    order = {"order_id": t["order_id"], "remains": t.get("remains"), "charge": t.get("charge")}
    if t.get("currency"):
        order["currency"] = t["currency"]  # the charge's (and charge_before's), when given
    before = t.get("charge_before")
    if before is not None and order["charge"] is not None and before != order["charge"]:
        order["charge_before"] = before  # what the panel gave back: the difference
    reason = status_reason(t.get("raw_status"))
    if reason is not None:
        order["reason"] = reason
    return order


def _charged(t: dict[str, Any], order: dict[str, Any]) -> str:
    """ "charge 0.00 USD, was 0.90 USD": an order's charge in its currency
    (when known, as ``order_refunded`` says it), and the one before when the
    panel changed it with the status (a refund)."""
    currency = f" {short(t['currency'], CURRENCY_SHOWN)}" if t.get("currency") else ""
    charge = t.get("charge")
    said = f"charge {_money(charge)}{currency if charge is not None else ''}"
    before = order.get("charge_before")
    return said if before is None else f"{said}, was {_money(before)}{currency}"


def order_alerts(transitions: Iterable[dict[str, Any]]) -> list[Alert]:
    """Given transitions just recorded by a poll, return the alerts they call for.

    One alert per panel and status (canceled, partial, refunded: an
    ``order_canceled`` saying "refunded") for the whole batch, so
    a provider cancelling a hundred orders at once is one message, not a
    hundred. Every order is in ``data["orders"]`` with its remains and charge
    (and ``charge_before`` when the panel changed it with the status), and
    its ``reason`` when the panel wrote one after the status ("Canceled:
    invalid link"); the message quotes it when every order has the same.
    Each transition is recorded once, so each order is alerted once.
    """
    alerts = []
    for panel, items in _by_panel(transitions).items():
        for status, kind in _ORDER_KINDS.items():
            hit = [t for t in items if t["to_status"] == status and t["from_status"] != status]
            if not hit:
                continue
            orders = [_order(t) for t in hit]
            word = status.lower()
            # The panel's reason, when it gave one: every order's the same.
            reasons = {o.get("reason") for o in orders}
            reason = reasons.pop() if len(reasons) == 1 else None
            if len(hit) == 1:
                t = hit[0]
                message = (
                    f"{panel}: order #{t['order_id']} {word}"
                    + (f": {quoted(reason, _REASON_CHARS)}" if reason is not None else "")
                    + f" (remains {_count(t.get('remains'))}, {_charged(t, orders[0])})"
                )
            else:
                why = f" ({quoted(reason, _REASON_CHARS)})" if reason is not None else ""
                message = (
                    f"{panel}: {counted(len(hit), 'order')} {word}{why}: {_ids(hit, 'orders')}"
                )
            alerts.append(Alert(kind, message, panel=panel, data={"orders": orders}))
    return alerts


def nothing_dropped(change: dict[str, Any], dropped: Container[tuple[str, int]] = ()) -> bool:
    """Given a refill status change, return True when it is the panel's
    ordinary "nothing dropped" answer to a request of the tracker's own round
    (``source`` auto; a change without one is, as the column's default):
    Refused, or Rejected after it was accepted. Not so when the user asked
    (the refill command), when the panel's words refuse refill for good
    ("Refill is disabled for this service", as the error or after the status:
    "Rejected: refill is disabled for this service"), nor when the tracker's
    own count probe saw the order drop (``dropped``: (panel, order ID) pairs
    whose last measured count was a drop no refill has restored since).
    """
    if change.get("to_status") not in NOTHING_DROPPED:
        return False
    if (change.get("source") or AUTO) != AUTO:
        return False
    if any(is_permanent_refusal(change.get(words)) for words in ("error", "raw_status")):
        return False
    return (change.get("panel"), change.get("order_id")) not in dropped


def _why(change: dict[str, Any]) -> str:
    """A lost refill's status and the panel's words: its error, or its status
    as written when that says more ("Rejected: refill is disabled ...")."""
    status, raw = change["to_status"], change.get("raw_status")
    if change.get("error"):
        return f"{status}: {change['error']}"
    if raw and raw.strip().casefold() != status.casefold():
        return f"{status} ({quoted(raw, _REASON_CHARS)})"
    return status


def refill_alerts(
    changes: Iterable[dict[str, Any]],
    *,
    panel_judges: bool = False,
    dropped: Container[tuple[str, int]] = (),
) -> list[Alert]:
    """Given refill status changes (panel, refill_id, order_id, from_status,
    to_status, error; raw_status and source when known), return the
    ``refill_rejected`` alerts: one per panel.

    A refill is lost when it ends Rejected, Canceled or Failed, or when the
    panel refused the request itself (Refused: no refill exists). With
    ``panel_judges`` (``refill.detect = "panel"``: the tracker asks for every
    eligible order daily and the panel judges whether anything dropped), the
    panel's ordinary "nothing dropped" answer to the tracker's own request
    raises nothing (:func:`nothing_dropped`, ``dropped`` the orders the
    tracker knows dropped); refusals for good, refills the user asked for,
    and Canceled or Failed refills still do.
    """
    alerts = []
    for panel, items in _by_panel(changes).items():
        lost = [
            c
            for c in items
            if c.get("to_status") in _REFILL_LOST
            and c.get("from_status") != c.get("to_status")
            and not (panel_judges and nothing_dropped(c, dropped))
            and not (c.get("to_status") == REFUSED and says_refill_running(c.get("error")))
        ]
        if not lost:
            continue
        refills = [
            {
                "order_id": c["order_id"],
                "refill_id": c.get("refill_id"),
                "status": c["to_status"],
                "raw_status": c.get("raw_status"),
                "error": c.get("error"),
            }
            for c in lost
        ]
        if len(lost) == 1:
            message = f"{panel}: refill for order #{lost[0]['order_id']} {_why(lost[0])}"
        else:
            reasons = list(dict.fromkeys(_why(c) for c in lost))
            said = reasons[0] if len(reasons) == 1 else f"{len(reasons)} reasons, in data"
            message = (
                f"{panel}: {counted(len(lost), 'refill')} rejected or refused: {_ids(lost)} "
                f"({said}; `smm-tracker refills` lists each)"
            )
        alerts.append(Alert(REFILL_REJECTED_KIND, message, panel=panel, data={"refills": refills}))
    return alerts
