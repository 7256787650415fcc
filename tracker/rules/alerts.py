"""Pure alert decisions: episodes, panel reachability, order and refill alerts.

No I/O: every function is given its state and ``now`` and returns the new
state and what to raise. :mod:`tracker.jobs.watch` does the wiring, and
:mod:`tracker.alerts.alerter` the logging, storing and sending.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tracker.panel.statuses import CANCELED, FAILED, PARTIAL, REFILL_REJECTED, status_reason
from tracker.panel.values import quoted
from tracker.rules.episodes import Alert, Episode
from tracker.rules.refills import REFUSED, is_permanent_refusal

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
_ORDER_KINDS = {CANCELED: ORDER_CANCELED, PARTIAL: ORDER_PARTIAL}
_SHOWN_IDS = 5  # order IDs named in a grouped alert's message; data lists them all
_REASON_CHARS = 100  # of the panel's reason quoted in a message; data holds it all


def rough_duration(seconds: float) -> str:
    """Given seconds, return a short human figure: "45s", "12m", "5h20m", "3d4h"."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h" if hours else f"{days}d"


# --- reachability --------------------------------------------------------------


@dataclass(frozen=True)
class Reachability:
    """A panel's reachability: when its current run of failed calls began, and
    the ``panel_unreachable`` episode (kept across restarts by the caller)."""

    failing_since: datetime | None = None
    episode: Episode = Episode()


def judge_call(
    state: Reachability, ok: bool, now: datetime, unreachable_after: float
) -> tuple[Reachability, str | None]:
    """Given a panel's state and one call's outcome, return (new state, kind to raise).

    ``ok`` is True whenever the panel answered, even with its own error. The
    panel is unreachable once every call has failed for ``unreachable_after``
    seconds (judged at the next call, so at most one call interval late);
    ``panel_unreachable`` is raised once per episode and ``panel_recovered``
    at the first answer after it.
    """
    if ok:
        if state.episode.active:
            return Reachability(), PANEL_RECOVERED
        return (state, None) if state.failing_since is None else (Reachability(), None)
    since = state.failing_since or now
    if state.episode.active or (now - since).total_seconds() < unreachable_after:
        return replace(state, failing_since=since), None
    return Reachability(since, Episode(True, since, now)), PANEL_UNREACHABLE


def judge_auth(episode: Episode, refused: bool, now: datetime) -> tuple[Episode, str | None]:
    """Given the ``auth_failed`` episode and whether the key was just refused,
    return (new episode, kind to raise): one ``auth_failed`` per episode, one
    ``auth_recovered`` when the key is accepted again."""
    if refused:
        return (episode, None) if episode.active else (Episode(True, now, now), AUTH_FAILED)
    return (Episode(), AUTH_RECOVERED) if episode.active else (episode, None)


# --- orders and refills --------------------------------------------------------


def _by_panel(items: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        grouped[item["panel"]].append(item)
    return grouped


def _ids(items: list[dict[str, Any]]) -> str:
    shown = ", ".join(f"#{item['order_id']}" for item in items[:_SHOWN_IDS])
    more = len(items) - _SHOWN_IDS
    return shown + (f" and {more} more" if more > 0 else "")


def _money(value: Any) -> str:
    return "?" if value is None else f"{float(value):g}"


def _count(value: Any) -> str:
    return "?" if value is None else str(value)


def _order(t: dict[str, Any]) -> dict[str, Any]:
    """An order of a canceled/partial alert's data: its remains and charge,
    and the panel's reason when its status came with one ("Canceled: invalid
    link"), as the panel wrote it."""
    order = {"order_id": t["order_id"], "remains": t.get("remains"), "charge": t.get("charge")}
    reason = status_reason(t.get("raw_status"))
    if reason is not None:
        order["reason"] = reason
    return order


def order_alerts(transitions: Iterable[dict[str, Any]]) -> list[Alert]:
    """Given transitions just recorded by a poll, return the alerts they call for.

    One alert per panel and kind (canceled, partial) for the whole batch, so
    a provider cancelling a hundred orders at once is one message, not a
    hundred. Every order is in ``data["orders"]`` with its remains and charge,
    and its ``reason`` when the panel wrote one after the status ("Canceled:
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
                    + f" (remains {_count(t.get('remains'))}, charge {_money(t.get('charge'))})"
                )
            else:
                why = f" ({quoted(reason, _REASON_CHARS)})" if reason is not None else ""
                message = f"{panel}: {len(hit)} orders {word}{why}: {_ids(hit)}"
            alerts.append(Alert(kind, message, panel=panel, data={"orders": orders}))
    return alerts


def refill_alerts(
    changes: Iterable[dict[str, Any]], *, quiet_refusals: bool = False
) -> list[Alert]:
    """Given refill status changes (panel, refill_id, order_id, from_status,
    to_status, error), return the ``refill_rejected`` alerts: one per panel.

    A refill is lost when it ends Rejected, Canceled or Failed, or when the
    panel refused the request itself (Refused: no refill exists). With
    ``quiet_refusals`` (drop detection left to the panel), a refusal that is
    not permanent is the panel's ordinary "nothing dropped" answer and raises
    nothing; permanent refusals and accepted refills that fail still do.
    """
    alerts = []
    for panel, items in _by_panel(changes).items():
        lost = [
            c
            for c in items
            if c.get("to_status") in _REFILL_LOST
            and c.get("from_status") != c.get("to_status")
            and not (
                quiet_refusals
                and c.get("to_status") == REFUSED
                and not is_permanent_refusal(c.get("error"))
            )
        ]
        if not lost:
            continue
        refills = [
            {
                "order_id": c["order_id"],
                "refill_id": c.get("refill_id"),
                "status": c["to_status"],
                "error": c.get("error"),
            }
            for c in lost
        ]
        if len(lost) == 1:
            c = lost[0]
            why = c["to_status"] + (f": {c['error']}" if c.get("error") else "")
            message = f"{panel}: refill for order #{c['order_id']} {why}"
        else:
            message = f"{panel}: {len(lost)} refills rejected or refused: {_ids(lost)}"
        alerts.append(Alert(REFILL_REJECTED_KIND, message, panel=panel, data={"refills": refills}))
    return alerts
