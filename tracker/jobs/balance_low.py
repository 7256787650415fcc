"""The balance job's low-balance alert: the runway from the stored history
of a panel's balance, and the words a person reads. Apart from
:mod:`tracker.jobs.balance`."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tracker.clock import parse_iso
from tracker.panel.models import Balance
from tracker.rules.alerts import rough_duration
from tracker.rules.balance import (
    BALANCE_LOW,
    BALANCE_LOW_REMINDER,
    RUNWAY_WINDOW,
    Runway,
    estimate_runway,
    in_currency,
    recover_level,
)
from tracker.rules.clocksteps import NO_GAP, Gap
from tracker.rules.episodes import Alert, Episode
from tracker.rules.money import money
from tracker.rules.watched import watched
from tracker.store.alerts import balance_history
from tracker.store.orders import Store


def runway_for(
    store: Store, panel: str, balance: Decimal, now: datetime, currency: str | None = None
) -> Runway:
    """Given a panel and its current balance, return the runway from stored
    history: the balances in ``currency`` only (when known), as a rate of
    spending across a change of currency means nothing."""
    rows = balance_history(store, panel, now - timedelta(seconds=RUNWAY_WINDOW))
    points = [(parse_iso(r["at"]), float(r["balance"])) for r in in_currency(rows, currency)]
    return estimate_runway(points, float(balance))


def balance_alert(
    panel: str,
    kind: str,
    answer: Balance,
    low: Decimal,
    margin: float,
    episode: Episode,
    runway: Runway,
    now: datetime,
    gap: Gap = NO_GAP,
) -> Alert:
    """Given what the rules decided, return the alert a person reads. A
    recovery says the time the tracker watched the balance low: the clock's
    gaps while it was (``gap``: a sleep, a step) left out and named as
    ``panel_recovered`` names them (:mod:`tracker.rules.watched`)."""
    currency = f" {answer.currency}" if answer.currency else ""
    shown = f"{money(answer.balance)}{currency}"
    recover_at = recover_level(low, margin)
    low_for = rough_duration((now - episode.since).total_seconds()) if episode.since else "?"
    # The threshold is in the panel's money: "below 990.00 RUB", never a bare 990.00.
    if kind == BALANCE_LOW:
        left = runway.describe(answer.currency)
        message = f"{panel}: balance {shown} is below {money(low)}{currency}; {left}"
    elif kind == BALANCE_LOW_REMINDER:
        message = (
            f"{panel}: balance still low: {shown}, below {money(low)}{currency} for {low_for}; "
            f"{runway.describe(answer.currency)}"
        )
    else:
        seen = watched(episode.since or now, now, gap)
        lasted = f"{seen.lasted}{seen.aside}" if episode.since else "?"
        above = f"{money(recover_at)}{currency}"
        message = f"{panel}: balance back to {shown} (above {above}) after {lasted}"
    data: dict[str, Any] = {
        "balance": float(answer.balance),
        "currency": answer.currency,
        "low": float(low),
        "recover_above": float(recover_at),
        "low_since": episode.since.isoformat(timespec="seconds") if episode.since else None,
        "spend_per_day": None if runway.rate_per_day is None else round(runway.rate_per_day, 6),
        "runway_seconds": None if runway.seconds_left is None else round(runway.seconds_left),
    }
    if kind not in (BALANCE_LOW, BALANCE_LOW_REMINDER):
        data.update(seen.data)
    return Alert(kind, message, panel=panel, data=data)
