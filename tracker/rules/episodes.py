"""The alert types every layer shares: an :class:`Alert` and its :class:`Episode`.

Pure data: the rules decide alerts, the store keeps them, the alerter sends them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

# Severity of each kind the tracker raises. Recoveries are "info" but are
# logged at warning, like every alert, so they show beside the alert they end
# (the alert line is the alert where no webhook is set: tracker/alerts/alerter.py);
# the log lines ending an episode that are no alert are at info.
SEVERITY = {
    "balance_low": "warning",
    "balance_low_reminder": "warning",
    "balance_recovered": "info",
    "order_canceled": "warning",
    "order_partial": "warning",
    "refill_rejected": "warning",
    "refill_unknown": "warning",
    "refill_unknown_status": "warning",
    "panel_unreachable": "error",
    "panel_recovered": "info",
    "auth_failed": "error",
    "auth_recovered": "info",
    "order_stalled": "warning",
    "order_moving": "info",
    "automation_capped": "warning",
    "automation_currency_held": "warning",
    "automation_reordered": "info",
    "automation_canceled": "info",
    "order_lost": "error",
    "order_refunded": "info",
    "order_charge_raised": "warning",
    "action_unsupported": "warning",
    "service_ambiguous": "warning",
    "unknown_status": "warning",
    "status_failing": "error",
    "status_recovered": "info",
}
SEVERITIES = ("info", "warning", "error")


@dataclass(frozen=True)
class Alert:
    """Something a person should know. ``panel`` is None for tracker-wide alerts;
    ``data`` holds the figures (JSON-serialisable; Decimals become strings)."""

    kind: str
    message: str
    panel: str | None = None
    severity: str = ""  # "" = from SEVERITY (warning for unknown kinds)
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.severity:
            object.__setattr__(self, "severity", SEVERITY.get(self.kind, "warning"))
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")

    def to_dict(self) -> dict[str, Any]:
        """Return the alert as the JSON webhook and ``alerts --json`` show it."""
        return {
            "id": self.id,
            "at": self.at.isoformat(timespec="seconds") if self.at else None,
            "panel": self.panel,
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "data": self.data,
        }


class Episode(NamedTuple):
    """One alert episode's state: open (``active``) since when, last sent when."""

    active: bool = False
    since: datetime | None = None
    last_sent_at: datetime | None = None


def stored_run(episode: Episode, now: datetime, after: float) -> datetime | None:
    """A run of failures not alerted yet, as an earlier process left it in the
    closed episode (``since``, its last failure in ``last_sent_at``): each
    ``run --once`` from cron a new process. Not when no failure was seen for
    twice ``after``, or an hour (a night asleep, the tracker stopped): it
    begins again."""
    last = episode.last_sent_at or episode.since
    if episode.active or episode.since is None or last is None:
        return None
    return episode.since if 0 <= (now - last).total_seconds() <= max(2 * after, 3600) else None


def run_left(episode: Episode | None, now: datetime, after: float) -> bool:
    """Return whether an earlier process left a run of failures going: its
    episode open, or a run not alerted yet (:func:`stored_run`); None (the
    database could not say): no."""
    return episode is not None and (episode.active or stored_run(episode, now, after) is not None)


MAX_LISTED = 100  # orders listed in an alert's data (data.count has them all)


def listed(orders: list[dict[str, Any]]) -> dict[str, Any]:
    """Return an alert's data for many orders: how many, and the first
    MAX_LISTED of them (a backlog at once must not make a megabyte webhook
    body, nor a log line journald cuts in pieces)."""
    return {"count": len(orders), "orders": orders[:MAX_LISTED]}


def more_in_data(more: int, key: str = "orders") -> str:
    """Given how many a grouped alert's message leaves unnamed and the data
    field listing them, return its words: " and 7 more (in data.orders:
    `smm-tracker alerts --json`)", where a person reading the message finds
    the rest; "" for none."""
    if more <= 0:
        return ""
    return f" and {more} more (in data.{key}: `smm-tracker alerts --json`)"
