"""Lowering `[balance] low` by a reload while the balance stayed put ended the
low episode with "balance back to 974.65 USD": a top-up the chat reader
looked for and never made. The episode still ends (the balance is no longer
low by the new threshold; its reminders stop), with a `balance_recovered`
that says the config moved, not the balance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)

from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.alerts import alerts_since
from tracker.store.orders import Store

KEY = "threshold-key-Hq7Zp2Lw"
pytestmark = pytest.mark.usefixtures("fresh_logs")


@pytest.fixture
def panel(clock) -> Iterator[tuple[SimulatedPanel, str]]:
    sim = SimulatedPanel(clock=lambda: clock().timestamp(), key=KEY, quirks=False)
    sim.set_balance("974.65")
    server = PanelServer(sim).start()
    try:
        yield sim, server.url
    finally:
        server.stop()


def check(tmp_path: Path, url: str, clock: Any, balance: dict[str, Any], **panel: Any) -> None:
    """One balance check by a daemon generation of this config (a reload
    builds a new one from the file, on the same database)."""
    data = {
        "database": {"path": str(tmp_path / "t.db")},
        "panels": [{"name": "main", "url": url, "key": KEY, "retries": 0, **panel}],
        "refill": {"enabled": False},
        "balance": balance,
    }
    tracker = Tracker(config_from_dict(data, base_dir=tmp_path, env={}), clock=clock)
    try:
        assert {job.name: job for job in tracker.jobs()}["balance:main"].run() is True
    finally:
        tracker.close()


def balance_alerts(tmp_path: Path) -> list[dict[str, Any]]:
    store = Store(tmp_path / "t.db")
    try:
        return [a for a in alerts_since(store, None) if a["kind"].startswith("balance")]
    finally:
        store.close()


def test_a_lowered_threshold_ends_the_episode_saying_so_not_balance_back(
    tmp_path, clock, panel
) -> None:
    sim, url = panel
    check(tmp_path, url, clock, {"low": 1000})
    clock.advance(3 * 3600)
    check(tmp_path, url, clock, {"low": 500})  # reloaded: the balance as it was
    low, ended = balance_alerts(tmp_path)
    assert (low["kind"], ended["kind"]) == ("balance_low", "balance_recovered")
    assert "back to" not in ended["message"]
    assert ended["message"] == (
        f"main: balance 974.65 {sim.currency} is above the new threshold 500.00 {sim.currency} "
        f"(balance.low lowered from 1000.00 {sim.currency} by a config change, which ends "
        f"this episode: the balance is not back above 1050.00 {sim.currency}, where it ended "
        f"before; now it ends above 525.00 {sim.currency}); low for 3h"
    )
    assert ended["data"]["threshold_lowered"] is True

    # A top-up past the old level is a recovery as ever, the threshold lowered or not.
    check(tmp_path, url, clock, {"low": 1000})
    sim.set_balance("2000")
    clock.advance(3600)
    check(tmp_path, url, clock, {"low": 900})
    *_, topped = balance_alerts(tmp_path)
    assert topped["message"].startswith(f"main: balance back to 2000.00 {sim.currency} (above")
    assert topped["data"]["threshold_lowered"] is False


def test_a_lowered_margin_or_panel_threshold_is_named(tmp_path, clock, panel) -> None:
    sim, url = panel
    check(tmp_path, url, clock, {"low": 1000, "recover_margin": 0.05})  # ends above 1050.00
    sim.set_balance("1020")  # a little back, not past 1050.00: still low
    clock.advance(600)
    check(tmp_path, url, clock, {"low": 1000, "recover_margin": 0.05})
    assert [a["kind"] for a in balance_alerts(tmp_path)] == ["balance_low"]
    check(tmp_path, url, clock, {"low": 1000, "recover_margin": 0.01})  # 1010.00 now
    *_, ended = balance_alerts(tmp_path)
    assert "balance 1020.00" in ended["message"]
    assert "new recovery level 1010.00" in ended["message"]
    assert "balance.recover_margin lowered by a config change" in ended["message"]
    assert f"not back above 1050.00 {sim.currency}, where it ended before" in ended["message"]
    # It rose (974.65 to 1020.00), only not past the old level: no "not a top-up".
    assert "top-up" not in ended["message"]

    sim.set_balance("974.65")

    check(tmp_path, url, clock, {"low": 5}, balance_low=1000)
    clock.advance(600)
    check(tmp_path, url, clock, {"low": 5}, balance_low=100)
    *_, ended = balance_alerts(tmp_path)
    assert "(panels[0].balance_low lowered from 1000.00" in ended["message"]
