"""The fields of ``balance``'s panels: a panel's last balance, threshold,
state, runway and the day of history before it (``balance --json`` gives
them as they are), and those of a panel with no balance yet, null."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tracker.clock import read_iso
from tracker.config.model import Config
from tracker.rules.balance import RUNWAY_WINDOW, estimate_runway, in_currency, recover_level
from tracker.store.alerts import balance_before, balance_history, latest_balance, open_episodes
from tracker.store.orders import Store


def panel_balance(store: Store, config: Config, name: str) -> dict[str, Any] | None:
    """Given a panel, return its last balance, threshold, state, runway and the day
    of history before it; None if its balance was never fetched."""
    last = latest_balance(store, name)
    if last is None:
        return None
    # The window ends at the last check, not now: a stopped daemon's history
    # still gives the rate it saw. Its time unreadable (a file edited by
    # hand): that check alone.
    start = window_start(last)
    history = [last] if start is None else balance_history(store, name, start)
    # As the balance job reads it: the checks in the last one's currency only.
    spent = in_currency(history, last["currency"])
    points = [(t, float(r["balance"])) for r in spent if (t := read_iso(r["at"]))]
    runway = estimate_runway(points, float(last["balance"]))
    if runway.rate_per_day is None and start is not None:  # older checks: words of the day's
        runway = runway._replace(older=balance_before(store, name, start))
    state = [e for e in open_episodes(store) if e["panel"] == name and e["kind"] == "balance_low"]
    configured, low, recover_above = threshold(config, name)
    return {
        "panel": name,
        "configured": configured,
        "balance": last["balance"],
        "currency": last["currency"],
        "at": last["at"],
        "low": low,
        "recover_above": recover_above,
        "low_since": state[0]["since"] if state else None,
        "runway": {
            "spend_per_day": runway.rate_per_day,
            "seconds_left": runway.seconds_left,
            "based_on_seconds": runway.span,
            "text": runway.describe(last["currency"]),  # the daemon's words: 96 RUB/day
        },
        "history": history,
        "why_no_balance": None,
    }


def threshold(config: Config, name: str) -> tuple[bool, float | None, float | None]:
    """A panel's ``configured``, and its ``low`` and ``recover_above`` (numbers,
    as balance is: every money field of --json is a number; None: no alert)."""
    configured = {p.name: p for p in config.panels}.get(name)
    low = config.balance_low(configured) if configured else Decimal(0)  # left out: no threshold
    above = float(recover_level(low, config.balance.recover_margin)) if low else None
    return configured is not None, (float(low) if low > 0 else None), above


def no_balance_yet(
    config: Config, name: str, lacking: bool, unreadable: bool = False
) -> dict[str, Any]:
    """--json's panel with no balance fetched: a fetched one's fields, null,
    and ``why_no_balance``: ``no_balance_action`` (learned), ``unreadable``
    (checks stored, each balance no number: a hand edit) or ``not_fetched_yet``
    (a key refused, calls failing: the fields beside it say so)."""
    configured, low, recover_above = threshold(config, name)
    runway = {"spend_per_day": None, "seconds_left": None, "based_on_seconds": None, "text": None}
    return {
        "panel": name,
        "configured": configured,
        **dict.fromkeys(("balance", "currency", "at")),
        "low": low,
        "recover_above": recover_above,
        "low_since": None,
        "runway": runway,
        "history": [],
        "why_no_balance": (
            "no_balance_action" if lacking else "unreadable" if unreadable else "not_fetched_yet"
        ),
    }


def window_start(check: dict[str, Any]) -> datetime | None:
    """Where the day of history before a check starts; None: its time unreadable."""
    at = read_iso(check["at"])
    return None if at is None else at - timedelta(seconds=RUNWAY_WINDOW)
