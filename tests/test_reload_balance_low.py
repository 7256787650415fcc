"""A reload (SIGHUP) that changes a panel's balance thresholds checks its
balance at once.

Ops56: ``balance.low`` raised above the balance and reloaded, ``balance_low``
came 7 minutes later (up to ``balance_every``): the reload kept the balance
job's turn. A reload that changes ``balance.low`` (a panel's ``balance_low``,
``remind``, ``recover_margin``) runs the balance job of each panel whose
thresholds it changes at once, its normal job (the alert follows the usual
rules); a reload that leaves them as they were keeps its turn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from waits import next_turns, settled, until

from tracker.config.load import config_from_dict
from tracker.service.daemon import Scheduler
from tracker.service.notify import Notifier
from tracker.service.process import Service
from tracker.sim.server import PanelServer, SimulatedPanel

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "the-panels-own-key-Qw4Rt7Yz"


@pytest.fixture
def panels() -> Iterator[tuple[PanelServer, PanelServer]]:
    with (
        PanelServer(SimulatedPanel(key=KEY, balance="100")) as one,
        PanelServer(SimulatedPanel(key=KEY, balance="100")) as two,
    ):
        yield one, two


def _config(tmp_path: Path, urls: tuple[str, str], balance: dict[str, Any], low: Any) -> Any:
    panels = [
        {"name": "one", "url": urls[0], "key": KEY, "retries": 0},
        {"name": "two", "url": urls[1], "key": KEY, "retries": 0, **low},
    ]
    settings = {"database": {"path": "t.db"}, "panels": panels, "balance": balance}
    return config_from_dict(settings, base_dir=tmp_path, env={})


def _reload(first: Any, second: Any) -> tuple[dict[str, bool], list[tuple[str, str]]]:
    """Start the daemon with ``first``, reload with ``second``; return for each
    panel whether its balance job ran at once after the reload, and the
    alerts raised meanwhile (kind, panel)."""
    service = Service(first, load=lambda: second, notifier=Notifier(None))
    scheduler = Scheduler(service.stats)
    ran: dict[str, bool] = {}
    try:
        with capture_logs() as logs:
            scheduler.start(service._build(first))
            for job in ("balance:one", "balance:two"):
                until(lambda job=job: service.stats.runs_by_job[job] > 0, f"{job} never ran")
            until(lambda: settled(service.stats, scheduler), "the first runs never ended")
            before = {name: service.stats.runs_by_job[f"balance:{name}"] for name in ("one", "two")}
            new = service._reload()
            assert new is not None
            scheduler.replace(new)
            turns = next_turns(scheduler)
            for name in ("one", "two"):
                job = f"balance:{name}"

                def done(job: str = job, name: str = name) -> bool:
                    return service.stats.runs_by_job[job] > before[name]

                if turns[job] < 5 or job in scheduler._in_flight() or done():
                    until(lambda done=done: done() and not service.stats.busy(), "never ran")
                ran[name] = done()
    finally:
        scheduler.shutdown()
    raised = [(e["alert"], e["panel"]) for e in logs if e["event"] == "alert"]
    return ran, raised


def test_a_reload_that_raises_balance_low_checks_the_balance_at_once(
    tmp_path: Path, panels: tuple[PanelServer, PanelServer]
) -> None:
    urls = (panels[0].url, panels[1].url)
    first = _config(tmp_path, urls, {}, {})
    second = _config(tmp_path, urls, {"low": "500"}, {})
    ran, raised = _reload(first, second)
    # Before: neither ran, their kept turns 900 s away, and no alert.
    assert ran == {"one": True, "two": True}
    assert sorted(raised) == [("balance_low", "one"), ("balance_low", "two")]


def test_a_reload_checks_only_the_panels_whose_thresholds_it_changes(
    tmp_path: Path, panels: tuple[PanelServer, PanelServer]
) -> None:
    # Panel two's own balance_low set: panel one's threshold is as it was.
    urls = (panels[0].url, panels[1].url)
    first = _config(tmp_path, urls, {}, {})
    second = _config(tmp_path, urls, {}, {"balance_low": "500"})
    ran, raised = _reload(first, second)
    assert ran == {"one": False, "two": True}
    assert raised == [("balance_low", "two")]


def test_a_reload_that_leaves_the_thresholds_keeps_the_balance_jobs_turn(
    tmp_path: Path, panels: tuple[PanelServer, PanelServer]
) -> None:
    urls = (panels[0].url, panels[1].url)
    first = _config(tmp_path, urls, {"low": "500"}, {})
    second = _config(tmp_path, urls, {"low": "500"}, {})
    ran, raised = _reload(first, second)
    assert ran == {"one": False, "two": False}
    assert sorted(raised) == [("balance_low", "one"), ("balance_low", "two")]  # the first checks


def test_a_changed_reminder_or_margin_is_a_changed_threshold() -> None:
    from tracker.rules.reloads import rethresholded

    def config(balance: dict[str, Any]) -> Any:
        panels = [{"name": "one", "url": "https://panel.example/api/v2", "key": KEY}]
        return config_from_dict({"panels": panels, "balance": balance}, base_dir=Path("."), env={})

    assert rethresholded(config({}), config({"remind": "1h"})) == ["one"]
    assert rethresholded(config({}), config({"recover_margin": 0.2})) == ["one"]
    assert rethresholded(config({"low": "5"}), config({"low": "5.00"})) == []
