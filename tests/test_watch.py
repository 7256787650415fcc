"""Alerts end to end: a Tracker against simulated panels over loopback HTTP.

Jobs are driven directly with an injected clock shared by the tracker and
the simulator; nothing sleeps for real.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from key_fixes import TAKEN
from logcapture import fresh_logs  # noqa: F401  (fixture)
from ports import closed_port
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.config.model import Config
from tracker.errors import AuthError, JobPaused
from tracker.jobs.base import Job
from tracker.jobs.tracker import Tracker
from tracker.service.runs import run_once
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.alerts import alerts_since, balance_history
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "sim-key-0123456789"


@pytest.fixture
def servers() -> Iterator[list[PanelServer]]:
    started: list[PanelServer] = []
    yield started
    for server in started:
        server.stop()


def serve(servers: list[PanelServer], clock: Any, **options: Any) -> PanelServer:
    options.setdefault("key", KEY)
    options.setdefault("quirks", False)
    panel = SimulatedPanel(clock=lambda: clock().timestamp(), **options)
    server = PanelServer(panel).start()
    servers.append(server)
    return server


def make_config(tmp_path: Path, panels: dict[str, tuple[str, str]], **sections: Any) -> Config:
    data: dict[str, Any] = {
        "database": {"path": str(tmp_path / "tracker.db")},
        "panels": [
            {"name": name, "url": url, "key": key, "retries": 0, "timeout": "5s"}
            for name, (url, key) in panels.items()
        ],
        "refill": {"enabled": False},
        **sections,
    }
    return config_from_dict(data, base_dir=tmp_path, env={})


def job_map(tracker: Tracker) -> dict[str, Job]:
    return {job.name: job for job in tracker.jobs()}


def kinds(tracker: Tracker, panel: str | None = None) -> list[str]:
    return [row["kind"] for row in alerts_since(tracker.store, None, panel=panel)]


def test_balance_falling_low_then_topped_up(tmp_path: Path, clock: Any, servers: list) -> None:
    server = serve(servers, clock, balance="30")
    config = make_config(
        tmp_path,
        {"main": (server.url, KEY)},
        balance={"low": 10, "remind": "6h"},
        schedule={"balance_every": "15m"},
    )
    tracker = Tracker(config, clock=clock)
    check = job_map(tracker)["balance:main"]
    sent: list[tuple[float, str]] = []
    start = clock()

    def poll(balance: float) -> None:
        server.panel.set_balance(f"{balance:.2f}")
        before = len(kinds(tracker))
        assert check.run()
        for kind in kinds(tracker)[before:]:
            sent.append(((clock() - start).total_seconds() / 3600, kind))
        clock.advance(900)

    with capture_logs() as logs:
        for step in range(22):  # spending 1.00 per check: 30 -> 9
            poll(30 - step)
        for step in range(52):  # 13 hours hovering at and just above the threshold
            poll([9.2, 9.9, 10.0, 10.4][step % 4])
        for _ in range(10):  # topped up
            poll(100)
    tracker.close()

    low_at = 21 * 0.25
    assert sent == [
        (low_at, "balance_low"),
        (low_at + 6, "balance_low_reminder"),
        (low_at + 12, "balance_low_reminder"),
        (low_at + 13.25, "balance_recovered"),
    ]
    store = Store(config.database.path)
    rows = alerts_since(store, None)
    assert rows[0]["message"] == (
        "main: balance 9.00 USD is below 10.00 USD; about 2h15m left at 96 USD/day"
    )
    assert rows[0]["data"]["runway_seconds"] == 2.25 * 3600
    assert rows[-1]["message"] == "main: balance back to 100.00 USD (above 10.50 USD) after 13h15m"
    assert len(balance_history(store, "main", start)) == 22 + 52 + 10
    assert [e["alert"] for e in logs if e["event"] == "alert"] == [k for _, k in sent]
    store.close()


def test_a_refused_key_pauses_that_panel_only(tmp_path: Path, clock: Any, servers: list) -> None:
    good = serve(servers, clock)
    bad = serve(servers, clock, key="the-right-key-999")
    config = make_config(
        tmp_path,
        {"good": (good.url, KEY), "bad": (bad.url, "a-wrong-key-12345")},
        schedule={"status_every": "5m", "balance_every": "15m"},
    )
    tracker = Tracker(config, clock=clock)
    for name, server in (("good", good), ("bad", bad)):
        ids = server.panel.seed_orders(5, status="In progress")
        tracker.store.track(name, ids, clock())
    jobs = tracker.jobs()

    with capture_logs():
        for _ in range(6):
            run_once(jobs)
            clock.advance(300)
    assert kinds(tracker) == ["auth_failed"]
    (alert,) = alerts_since(tracker.store, None)
    assert alert["panel"] == "bad" and alert["severity"] == "error"
    assert "refused the API key (status: Invalid API key)" in alert["message"]
    # The bad panel: one status call, then only the balance probe, once per run.
    assert bad.panel.calls["status"] == 1
    assert bad.panel.calls["balance"] == 6
    assert bad.panel.calls["services"] == 0
    # The good panel carried on: due orders polled on every run.
    assert good.panel.calls["status"] == 6
    assert tracker.watch.paused == {"bad"}

    bad.panel.key = "a-wrong-key-12345"  # the panel accepts the key again
    with capture_logs():
        run_once(jobs)
        clock.advance(300)
        run_once(jobs)
    assert kinds(tracker) == ["auth_failed", "auth_recovered"]
    tracker.close()
    assert bad.panel.calls["status"] == 2  # skipped while the probe ran, then polled again


def test_unreachable_after_the_delay_then_recovered(
    tmp_path: Path, clock: Any, servers: list
) -> None:
    server = serve(servers, clock)
    config = make_config(tmp_path, {"main": (server.url, KEY)}, alerts={"unreachable_after": "15m"})
    tracker = Tracker(config, clock=clock)
    check = job_map(tracker)["balance:main"]
    server.panel.inject("json500", count=100)  # the proxy in front answers 500
    raised = []
    with capture_logs():
        for minute in range(0, 35, 5):
            check.run()
            raised.append((minute, kinds(tracker)))
            clock.advance(300)
        server.panel.clear_faults()
        assert check.run()
        check.run()
    assert [m for m, k in raised if k == ["panel_unreachable"]][0] == 15
    assert kinds(tracker) == ["panel_unreachable", "panel_recovered"]
    rows = alerts_since(tracker.store, None)
    # Why, without the log: the last failed call's error, quoted.
    assert rows[0]["message"] == (
        "main: unreachable, every call has failed for 15m; "
        "last error (balance): 'HTTP 500: Internal Server Error'"
    )
    assert rows[0]["data"]["last_error"] == "HTTP 500: Internal Server Error"
    assert rows[0]["data"]["last_action"] == "balance"
    assert rows[1]["message"] == "main: answering again after 35m unreachable"
    tracker.close()


def test_canceled_and_partial_orders(tmp_path: Path, clock: Any, servers: list) -> None:
    server = serve(servers, clock)
    tracker = Tracker(make_config(tmp_path, {"main": (server.url, KEY)}), clock=clock)
    canceled = server.panel.seed_orders(1, status="Canceled")
    partial = server.panel.seed_orders(2, status="Partial")
    running = server.panel.seed_orders(3, status="In progress")
    tracker.store.track("main", canceled + partial + running, clock())
    poll = job_map(tracker)["status:main"]
    with capture_logs():
        assert poll.run()
        clock.advance(3600)
        assert poll.run()  # terminal orders are not polled, nor alerted, again
    rows = {row["kind"]: row for row in alerts_since(tracker.store, None)}
    assert set(rows) == {"order_canceled", "order_partial"}
    assert [o["order_id"] for o in rows["order_partial"]["data"]["orders"]] == partial
    (one,) = rows["order_canceled"]["data"]["orders"]
    view = server.panel.order(canceled[0])
    assert (one["order_id"], one["remains"]) == (canceled[0], view.remains)
    assert one["charge"] == pytest.approx(float(view.charge))
    tracker.close()


def test_refill_rejected_from_the_refill_listeners(tmp_path: Path, clock: Any) -> None:
    config = make_config(tmp_path, {"main": ("http://127.0.0.1:9/api/v2", KEY)})
    tracker = Tracker(config, clock=clock)
    change = {
        "panel": "main",
        "refill_id": "12345",
        "order_id": 23501,
        "from_status": "In progress",
        "to_status": "Rejected",
        "error": None,
        "at": "2026-11-01T12:00:00+00:00",
        "source": "manual",  # the user asked (a refill of the daily round is quiet)
    }
    with capture_logs():
        for listener in tracker.refill_listeners:
            listener([change, {**change, "to_status": "Completed", "order_id": 23502}])
            listener([{**change, "source": "auto", "order_id": 23503}])
    (row,) = alerts_since(tracker.store, None)
    assert (row["kind"], row["message"]) == (
        "refill_rejected",
        "main: refill for order #23501 Rejected",
    )
    tracker.close()


def free_url() -> str:
    return f"http://127.0.0.1:{closed_port()}/hook"


def test_a_dead_webhook_costs_the_daemon_nothing_but_a_log_line(
    tmp_path: Path, clock: Any, servers: list
) -> None:
    server = serve(servers, clock, balance="3")
    config = make_config(
        tmp_path,
        {"main": (server.url, KEY)},
        balance={"low": 10},
        alerts={"webhook_url": free_url(), "webhook_timeout": "2s"},
    )
    tracker = Tracker(config, clock=clock)
    assert tracker.watch.sink is not None
    tracker.watch.sink._sleep = lambda seconds: None  # no real retry waits in a test
    with capture_logs() as logs:
        assert run_once([job_map(tracker)["balance:main"]])
        assert tracker.watch.sink.flush(10)
    assert kinds(tracker) == ["balance_low"]
    tracker.close()
    events = [(e["event"], e["log_level"]) for e in logs if e["log_level"] != "debug"]
    assert ("webhook_failed", "warning") in events
    assert [e for e, _ in events].count("webhook_failed") == 1


def test_a_key_refused_to_the_services_sync_pauses_the_panel(
    tmp_path: Path, clock: Any, servers: list
) -> None:
    # At a start the catalogue may be the first thing asked: its refusal was
    # logged as a failed sync, and the panel's other jobs went on asking.
    bad = serve(servers, clock, key="the-right-key-999")
    tracker = Tracker(make_config(tmp_path, {"bad": (bad.url, "a-wrong-key-12345")}), clock=clock)
    services = job_map(tracker)["services:bad"]
    with capture_logs():
        with pytest.raises(JobPaused):  # refused: paused, no failure
            services.run()
    assert tracker.watch.paused == {"bad"}
    assert kinds(tracker) == ["auth_failed"]
    tracker.close()


def test_a_job_letting_a_refusal_through_pauses_its_panel(tmp_path: Path, clock: Any) -> None:
    tracker = Tracker(
        make_config(tmp_path, {"main": ("http://127.0.0.1:9/api/v2", KEY)}), clock=clock
    )
    runs = []

    def refused() -> bool:
        runs.append(1)
        raise AuthError("Your account is inactive", panel="main", action="refill")

    (job, _balance) = tracker.watch.jobs([Job("other:main", 60, refused)])
    with capture_logs():
        with pytest.raises(JobPaused):  # refused: paused, no failure
            job.run()
        with pytest.raises(JobPaused):  # paused: not even tried, and no failure
            job.run()
    assert runs == [1] and tracker.watch.paused == {"main"}
    (row,) = alerts_since(tracker.store, None)
    assert row["kind"] == "auth_failed" and "(Your account is inactive)" in row["message"]
    # A reload takes the fixed key (README, "Change the config"); the alert said restart
    assert row["message"].endswith(
        f"; fix the key in panels[0].key (inline in config), then {TAKEN['key']}."
    )
    tracker.close()


@pytest.mark.parametrize("field", ["key_env", "key_file"])
def test_a_refused_key_set_outside_the_config_is_taken_by_a_restart(
    tmp_path: Path, clock: Any, field: str
) -> None:
    # Walk: the alert said "after fixing the key in the config, reload the
    # tracker" for every key; a reload keeps the daemon's environment and a
    # LoadCredential= copy of a key file, so the old key stayed.
    (tmp_path / "main.key").write_text(KEY + "\n")
    source = {"key_env": "MAIN_KEY"} if field == "key_env" else {"key_file": "main.key"}
    panel = {"name": "main", "url": "http://127.0.0.1:9/api/v2", **source, "retries": 0}
    data = {"database": {"path": str(tmp_path / "tracker.db")}, "panels": [panel]}
    config = config_from_dict(data, base_dir=tmp_path, env={"MAIN_KEY": KEY})
    tracker = Tracker(config, clock=clock)

    def refused() -> bool:
        raise AuthError("Invalid API key", panel="main", action="status")

    (job, _balance) = tracker.watch.jobs([Job("other:main", 60, refused)])
    with capture_logs():
        with pytest.raises(JobPaused):  # refused: paused, no failure
            job.run()
    (row,) = alerts_since(tracker.store, None)
    said = f", then {TAKEN[field]}."  # no unit known (the daemon finds it): the system's
    assert row["kind"] == "auth_failed" and row["message"].endswith(said), row["message"]
    assert "reload the tracker" not in row["message"]
    tracker.close()


def test_a_key_refused_to_one_action_only_is_one_episode_not_a_flapping_pair(
    tmp_path: Path, clock: Any, servers: list
) -> None:
    # HTTP 401 to status, balance answered: each balance probe resumed the
    # jobs and closed the episode, the next poll opened it again: an
    # auth_failed and an auth_recovered at every probe, all day.
    server = serve(servers, clock)
    tracker = Tracker(make_config(tmp_path, {"main": (server.url, KEY)}), clock=clock)
    refusing = [True]

    def status() -> bool:
        if refusing[0]:
            raise AuthError("HTTP 401: Unauthorized", panel="main", action="status")
        return True

    (job, balance) = tracker.watch.jobs([Job("status:main", 60, status)])
    with capture_logs():
        for _ in range(4):
            with pytest.raises(JobPaused):  # refused: paused, no failure
                job.run()
            assert balance.run() is True  # the probe: the key works there, resumed
            assert tracker.watch.paused == set()
        assert kinds(tracker) == ["auth_failed"]
        refusing[0] = False
        assert job.run() is True  # the refused action takes the key again
        assert balance.run() is True
    assert kinds(tracker) == ["auth_failed", "auth_recovered"]
    tracker.close()


def test_a_change_of_currency_is_said_and_starts_the_runway_afresh(
    tmp_path: Path, clock: Any, servers: list
) -> None:
    # 5 USD, then 5000 RUB: the threshold (10) compares numbers of another
    # currency now, and a spending rate across the change would mean nothing.
    server = serve(servers, clock, balance="9")
    config = make_config(tmp_path, {"main": (server.url, KEY)}, balance={"low": 10})
    tracker = Tracker(config, clock=clock)
    check = job_map(tracker)["balance:main"]
    with capture_logs() as logs:
        for balance in ("9", "8", "7", "6", "5"):
            server.panel.set_balance(balance)
            assert check.run()
            clock.advance(3600)
        server.panel.currency = "RUB"
        server.panel.set_balance("5000")
        assert check.run()
    tracker.close()
    changed = [e for e in logs if e["event"] == "balance_currency_changed"]
    assert [(e["before"], e["now"]) for e in changed] == [("USD", "RUB")]
    last = [e for e in logs if e["event"] == "balance_checked"][-1]
    assert last["runway"].startswith("unknown ("), last["runway"]  # the log: no "runway" again
