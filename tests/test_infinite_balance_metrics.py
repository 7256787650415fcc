"""Balances 0.1.0 stored as infinity (a panel's "1e400"), read by the
metrics scrape and the low-balance alert's runway: the last finite check is
what counts, or none. ``smm_tracker_balance`` showed +Inf for a panel
whose last check was one (a gauge no alert rule or graph can use)."""

from __future__ import annotations

import json
import math
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from test_metrics import parsed

from tracker.clock import iso
from tracker.jobs.balance_low import balance_alert, runway_for
from tracker.panel.models import Balance
from tracker.rules.balance import BALANCE_LOW, judge_balance
from tracker.rules.episodes import Episode
from tracker.service.callstats import CallCounters
from tracker.service.jobstats import JobStats
from tracker.service.metrics import collect
from tracker.store.orders import Store

INF = float("inf")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
NOT_A_FIGURE = re.compile(r"\b-?inf(inity)?\b|\bnan\b", re.I)


def _store(tmp_path: Path, checks: dict[str, list[float]]) -> Store:
    """A database whose panels' balance checks are ``checks``, an hour apart
    and in that order, written with sqlite3 directly as 0.1.0 kept them."""
    store = Store(tmp_path / "t.db")
    conn = sqlite3.connect(tmp_path / "t.db")
    with conn:
        for panel, amounts in checks.items():
            for hours, amount in zip(range(len(amounts), 0, -1), amounts, strict=True):
                conn.execute(
                    "INSERT INTO balances (panel, at, balance, currency) VALUES (?, ?, ?, 'USD')",
                    [panel, iso(NOW - timedelta(hours=hours)), amount],
                )
    conn.close()
    return store


def test_the_balance_gauge_shows_the_last_finite_check_or_none(tmp_path):
    store = _store(
        tmp_path,
        {"p": [100.0, INF, 90.0, -INF, 80.0, INF], "q": [INF], "r": [-INF, 70.0, -INF]},
    )
    try:
        got = parsed(collect(store, CallCounters(), JobStats()))
    finally:
        store.close()
    series = {k: v for k, v in got.items() if k.startswith("smm_tracker_balance{")}
    assert series == {
        'smm_tracker_balance{currency="USD",panel="p"}': 80.0,
        'smm_tracker_balance{currency="USD",panel="r"}': 70.0,
    }
    assert all(math.isfinite(v) for v in got.values())


def test_the_low_balance_runway_leaves_infinite_checks_out(tmp_path):
    store = _store(tmp_path, {"p": [100.0, INF, 90.0, -INF, 80.0]})
    try:
        runway = runway_for(store, "p", Decimal("70"), NOW, "USD")
    finally:
        store.close()
    # 100 -> 90 -> 80 checked over four hours: 5 an hour, 70 lasts 14 hours.
    assert runway.rate_per_day is not None and math.isclose(runway.rate_per_day, 120.0)
    assert runway.seconds_left is not None and math.isclose(runway.seconds_left, 14 * 3600)
    assert "inf" not in runway.describe("USD")


def test_the_low_balance_alert_is_judged_on_finite_checks_only(tmp_path):
    store = _store(tmp_path, {"p": [100.0, INF, 90.0, -INF, 80.0, INF]})
    try:
        runway = runway_for(store, "p", Decimal("70"), NOW, "USD")
    finally:
        store.close()
    episode, kind = judge_balance(
        Episode(), Decimal("70"), Decimal("75"), margin=0.05, remind=3600.0, now=NOW
    )
    answer = Balance(balance=Decimal("70"), currency="USD")
    alert = balance_alert("p", kind, answer, Decimal("75"), 0.05, episode, runway, NOW)
    assert kind == BALANCE_LOW
    assert "about 14h left at 120 USD/day" in alert.message, alert.message
    assert not NOT_A_FIGURE.search(alert.message)
    json.dumps(alert.data, allow_nan=False)  # no Infinity, no NaN in its data
