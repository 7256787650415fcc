"""Late checks of ended orders, as an operator sees them: the `run --once`
summary, the daemon's metrics, `doctor`, and the log lines of a poll that
re-opens or re-prices many orders at once.

Against the simulated panel (its ``late_refund`` quirk, `simulate --quirk
late_refund=SECONDS`), through the real CLI or the real Tracker.
"""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from ports import free_port
from simconfig import cli_in, sim_config
from structlog.testing import capture_logs
from test_metrics import parsed
from test_service_run import DEADLINE, Daemon

from tracker.sim.scripts import quirks_from
from tracker.sim.server import SERVICE_FOLLOWERS, PanelServer, SimulatedPanel

KEY = "sim-key-Late7Seen4Ops2Qz"
H = 3600.0


class Clock:
    """The simulated panel's clock: now, moved on by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def late(tmp_path, monkeypatch):
    """Yield (panel, clock, cli): a panel refunding Partial and Canceled
    orders 30 min after it ended them (``late_refund=1800``), on a clock of
    its own, and the CLI of a config using it (no retries)."""
    clock = Clock()
    script = quirks_from(["late_refund=1800"])
    panel = SimulatedPanel(key=KEY, seed=5, speed=60.0, clock=clock, script=script)
    server = PanelServer(panel).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    yield panel, clock, cli
    server.stop()


def canceled(panel: SimulatedPanel, cli, n: int) -> list[int]:
    """``n`` orders placed, tracked, then canceled by the panel and seen so
    by a `run --once`: each waiting for its late checks, charged in whole."""
    ids = [panel.add_order(SERVICE_FOLLOWERS, 1000) for _ in range(n)]
    assert cli("track", *map(str, ids)).exit_code == 0
    for order_id in ids:
        panel.pin(order_id, "Canceled")
    first = cli("run", "--once")
    assert first.exit_code == 0, first.output
    assert "late check" not in first.stdout  # none due yet: nothing said
    return ids


def hours_later(clock: Clock, hours: float, db: Path = Path("t.db")) -> None:
    """Move the panel's clock on, and the tracker's record of when the orders
    ended back (the tracker runs on the wall clock): ``hours`` went by."""
    clock.now += hours * H
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT order_id, ended_at FROM late_checks").fetchall()
        for order_id, ended_at in rows:
            moved = datetime.fromisoformat(ended_at) - timedelta(hours=hours)
            conn.execute(
                "UPDATE late_checks SET ended_at = ? WHERE order_id = ?",
                [moved.isoformat(), order_id],
            )


def test_run_once_summary_counts_the_late_checks_their_refunds_and_failures(late):
    panel, clock, cli = late
    canceled(panel, cli, 3)
    hours_later(clock, 1.5)
    panel.inject("json500", count=1, action="status")  # the late checks' call fails
    failed = cli("run", "--once")
    assert failed.exit_code == 0, failed.output  # never the poll's failure
    assert failed.stdout.strip().splitlines()[-1].endswith(", 3 late checks (3 failed)")
    refunded = cli("run", "--once")  # tried again at the next run: refunded meanwhile
    assert refunded.exit_code == 0, refunded.output
    last = refunded.stdout.strip().splitlines()[-1]
    assert last.startswith("sim: 0 checked, 0 changed, 0 refills asked, balance ")
    assert last.endswith(", 3 late checks (3 refunds)")
    quiet = cli("run", "--once")  # the next moment (6 h) not due yet
    assert "late check" not in quiet.stdout


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return answer.read().decode()


def test_the_daemons_metrics_count_late_checks_and_refunds(late, tmp_path):
    panel, clock, cli = late
    canceled(panel, cli, 3)
    port = free_port()
    config = tmp_path / "tracker.toml"
    config.write_text(config.read_text() + f'[metrics]\nlisten = "127.0.0.1:{port}"\n')
    first = scrape_before_any_late_check(config, port)
    assert first['smm_tracker_late_checks_total{outcome="answered",panel="sim"}'] == 0
    assert first['smm_tracker_late_refunds_total{panel="sim"}'] == 0  # a series from the start
    hours_later(clock, 1.5)
    daemon = Daemon(config, dict(os.environ))
    try:
        daemon.wait_for("READY=1")  # its first poll, late checks included, runs at start
        deadline = time.monotonic() + DEADLINE
        refunds = 'smm_tracker_late_refunds_total{panel="sim"}'
        while (got := parsed(scrape(port))).get(refunds) != 3:
            assert time.monotonic() < deadline, daemon.output()
            time.sleep(0.05)
        assert got['smm_tracker_late_checks_total{outcome="answered",panel="sim"}'] == 3
        assert got['smm_tracker_late_checks_total{outcome="failed",panel="sim"}'] == 0
    finally:
        assert daemon.stop() == 0
        daemon.close()


def scrape_before_any_late_check(config: Path, port: int) -> dict[str, float]:
    """A scrape of a daemon that has made no late check yet (none due)."""
    daemon = Daemon(config, dict(os.environ))
    try:
        daemon.wait_for("READY=1")
        return parsed(scrape(port))
    finally:
        assert daemon.stop() == 0
        daemon.close()


@pytest.mark.usefixtures("fresh_logs")
def test_a_panel_reopening_many_orders_at_once_is_told_in_a_few_warning_lines(world):
    w = world()
    ids = w.panel.seed_orders(30, status="In progress", service=SERVICE_FOLLOWERS)
    w.store.track("sim", ids, w.clock())
    w.poll()
    for order_id in ids:
        w.panel.pin(order_id, "Canceled")
    w.poll()  # 30 orders end, each waiting for its late checks
    for order_id in ids:
        w.panel.pin(order_id, "In progress")  # the panel re-opens them all
    w.clock.advance(H)
    with capture_logs() as logs:
        w.poll()
    assert all(w.store.order("sim", i)["polling"] == 1 for i in ids)  # each followed again
    warned = [e for e in logs if e["log_level"] == "warning"]
    named = [e["order"] for e in warned if e["event"] == "order_reopened"]
    assert named == sorted(ids)[:10]
    [many] = [e for e in warned if e["event"] == "order_reopened_many"]
    assert (many["orders"], many["reopened"], many["first"]) == (20, 30, sorted(ids)[10:30])
    assert len(warned) == 11
    quiet = [e["order"] for e in logs if e["event"] == "order_reopened" and e not in warned]
    assert sorted(quiet) == sorted(ids)[10:]  # each still told, at debug


def test_doctor_counts_the_ended_orders_waiting_and_warns_of_overdue_checks(late):
    panel, clock, cli = late
    canceled(panel, cli, 3)
    waiting = doctor_lines(cli)
    assert waiting == [
        "info panel sim: 3 ended orders waiting for a late check (schedule.late_checks: "
        "1h, 6h, 1d after the end), 0 due now; none overdue"
    ]
    hours_later(clock, 50)  # the daemon stopped for two days
    [overdue] = doctor_lines(cli)
    assert overdue.startswith(
        "warn panel sim: 3 late checks of ended orders overdue (due for more than 1h), "
        "the oldest due since "
    )
    assert "(2d 1h ago): no poll has made them" in overdue  # its 1 h check
    assert overdue.endswith(
        "; 3 ended orders waiting for a late check (schedule.late_checks: "
        "1h, 6h, 1d after the end), 3 due now"
    )
    ran = cli("run", "--once")  # each made once, its moments all gone by: the last
    assert ran.stdout.strip().splitlines()[-1].endswith(", 3 late checks (3 refunds)")
    assert doctor_lines(cli) == []  # none waiting


def doctor_lines(cli) -> list[str]:
    """doctor's lines about late checks (its exit: 0, a warn fails nothing)."""
    result = cli("doctor")
    assert result.exit_code == 0, result.output
    return [line for line in result.stdout.splitlines() if "late check" in line]


class RepricingPanel(SimulatedPanel):
    """A panel script that answers the orders in ``charges`` with that charge."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.charges: dict[int, str] = {}

    def _order_item(self, view):
        item = super()._order_item(view)
        if view.order_id in self.charges:
            item["charge"] = self.charges[view.order_id]
        return item


@pytest.mark.usefixtures("fresh_logs")
def test_a_charge_gone_up_after_the_end_is_a_warning_a_few_by_name(world):
    w = world(panel_class=RepricingPanel)
    ids = w.panel.seed_orders(13, status="In progress", service=SERVICE_FOLLOWERS)
    w.store.track("sim", ids, w.clock())
    w.poll()
    w.panel.charges.update(dict.fromkeys(ids, "1.00"))
    for order_id in ids:
        w.panel.pin(order_id, "Partial")
    w.poll()  # ended Partial, charged 1.00
    w.panel.charges.update(dict.fromkeys(ids[:12], "1.50"))  # 12 charged more later
    w.panel.charges[ids[12]] = "0.40"  # one refunded in part
    w.clock.advance(H)
    with capture_logs() as logs:
        w.poll()
    assert [w.store.order("sim", i)["charge"] for i in ids] == [1.5] * 12 + [0.4]
    warned = [e for e in logs if e["log_level"] == "warning"]
    raised = [e for e in warned if e["event"] == "order_charge_changed"]
    assert [(e["order"], e["before"], e["after"], e["raised"]) for e in raised] == [
        (i, 1.0, 1.5, True) for i in sorted(ids)[:10]
    ]
    [many] = [e for e in warned if e["event"] == "order_charge_raised_many"]
    assert (many["orders"], many["raised"], many["first"]) == (2, 12, sorted(ids)[10:12])
    told = [e for e in logs if e["event"] == "order_charge_changed" and e not in warned]
    assert [(e["order"], e["raised"]) for e in told] == [
        (ids[10], True),
        (ids[11], True),
        (ids[12], False),  # down: the refund's order_refunded says it
    ]
    with capture_logs() as again:
        w.clock.advance(5 * H)
        w.poll()  # the 6 h check: the same charge, nothing said again
    assert [e for e in again if e["event"].startswith("order_charge")] == []
