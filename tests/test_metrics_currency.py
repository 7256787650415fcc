"""``smm_tracker_balance``'s ``currency`` label: one currency, one series,
however the panel writes it. A panel script that answered "USD", then
"usd" (a change of its code or its version), started a second series: the
dashboards and alerts on the first saw it stop."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from test_metrics import parsed

from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker
from tracker.service.callstats import CallCounters
from tracker.service.jobstats import JobStats
from tracker.service.metrics import collect
from tracker.service.runs import run_once
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "metrics-key-Rb3Nw8Tq5Jd1"


def _scrapes(
    tmp_path: Path, clock: Any, answers: Sequence[tuple[str, str]]
) -> list[dict[str, float]]:
    """Given the panel's balance answers (currency, amount) in turn, return the
    ``smm_tracker_balance`` series of a scrape after each balance check."""
    panel = SimulatedPanel(key=KEY)
    with PanelServer(panel) as server:
        settings = {
            "database": {"path": str(tmp_path / "t.db")},
            "panels": [{"name": "main", "url": server.url, "key": KEY, "retries": 0}],
        }
        tracker = Tracker(config_from_dict(settings, base_dir=tmp_path, env={}), clock=clock)
        balance = [job for job in tracker.jobs() if job.name == "balance:main"]
        calls, stats, scrapes = CallCounters(), JobStats(), []
        try:
            for currency, amount in answers:
                panel.currency = currency
                panel.set_balance(amount)
                assert run_once(balance, stats)
                got = parsed(collect(tracker.store, calls, stats))
                scrapes.append({k: v for k, v in got.items() if "_balance{" in k})
                clock.advance(900)
        finally:
            tracker.close()
    return scrapes


def test_a_currency_whose_case_changed_stays_one_series(tmp_path: Path, clock: Any) -> None:
    scrapes = _scrapes(tmp_path, clock, [("USD", "100"), ("usd", "90"), (" Usd ", "80")])
    # The same series all along, the panel's own spelling in no label (the
    # second was a new series, currency="usd"; the third, blanks around it,
    # read as no currency code at all: currency="other").
    series = 'smm_tracker_balance{currency="USD",panel="main"}'
    assert scrapes == [{series: 100.0}, {series: 90.0}, {series: 80.0}]


def test_another_currency_replaces_the_series_leaving_none_behind(
    tmp_path: Path, clock: Any
) -> None:
    # A panel that switched currency (USD to EUR): only its last balance is
    # exported, so the USD series is gone from the next scrape (Prometheus
    # marks it stale at once), not left frozen at its last value.
    scrapes = _scrapes(tmp_path, clock, [("usd", "100"), ("eur", "100")])
    assert scrapes == [
        {'smm_tracker_balance{currency="USD",panel="main"}': 100.0},
        {'smm_tracker_balance{currency="EUR",panel="main"}': 100.0},
    ]
