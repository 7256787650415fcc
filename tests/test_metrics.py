"""The Prometheus endpoint: exact text for fixed numbers, then real data over loopback."""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.request
from collections import Counter

import pytest

from tracker.config.load import config_from_dict
from tracker.errors import TrackerError
from tracker.jobs.tracker import Tracker
from tracker.service.daemon import JobStats, run_once
from tracker.service.metrics import CallCounters, MetricsServer, Snapshot, collect, render
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.orders import Store

KEY = "metrics-key-Wd7Kp2Qs9Lx4"
SAMPLE = re.compile(r'^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? -?[0-9.e+-]+$')


def samples(text: str) -> dict[str, float]:
    """Given exposition text, return {"name{labels}": value}; check every line's form."""
    values, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
        elif not line.startswith("#"):
            assert SAMPLE.match(line), line
            name, _, value = line.rpartition(" ")
            assert name.split("{")[0] in typed, f"{line}: no TYPE line"
            values[name] = float(value)
    return values


def fixed_snapshot() -> Snapshot:
    calls = CallCounters()
    calls.observe("main", "status", True, 0.25)
    calls.observe("main", "status", False, 10.0)
    calls.observe("b", "balance", True, 0.5)
    jobs = JobStats(
        runs=3,
        failures=1,
        last_ok={"status:main": 1_800_000_000.0},
        last_failed={"status:b"},
        durations={"status:main": 1.5, "status:b": 0.2},
        runs_by_job=Counter({"status:main": 2, "status:b": 1}),
        failures_by_job=Counter({"status:b": 1}),
        running={"status:main": 1_800_000_100.0},
    )
    return Snapshot(
        open_orders={("main", "Pending"): 4, ("main", "In progress"): 2, ("b", "unknown"): 1},
        balances=[("main", "USD", 100.84292), ("b", "RUB", 5.0)],
        calls=calls,
        jobs=jobs,
    )


def test_render_gives_every_family_with_labels():
    got = samples(render(fixed_snapshot()))
    assert got['smm_tracker_open_orders{panel="main",status="Pending"}'] == 4
    assert got['smm_tracker_open_orders{panel="main",status="In progress"}'] == 2
    assert got['smm_tracker_balance{panel="main",currency="USD"}'] == 100.84292
    assert got['smm_tracker_api_calls_total{panel="main",action="status"}'] == 2
    assert got['smm_tracker_api_failures_total{panel="main",action="status"}'] == 1
    assert got['smm_tracker_api_failures_total{panel="b",action="balance"}'] == 0
    assert got['smm_tracker_api_call_seconds_total{panel="main",action="status"}'] == 10.25
    assert got['smm_tracker_job_runs_total{job="status:main"}'] == 2
    assert got['smm_tracker_job_failures_total{job="status:b"}'] == 1
    assert got['smm_tracker_job_running{job="status:main"}'] == 1
    assert got['smm_tracker_job_running{job="status:b"}'] == 0
    assert got['smm_tracker_job_last_duration_seconds{job="status:main"}'] == 1.5
    assert got['smm_tracker_last_poll_success_timestamp_seconds{panel="main"}'] == 1.8e9
    assert got["smm_tracker_database_readable"] == 1


def test_label_values_are_escaped():
    snap = fixed_snapshot()
    snap.open_orders = {('we"ird\\panel', "line\nbreak"): 1}
    text = render(snap)
    # An unknown status spelling is folded into "other": labels stay a small set.
    assert 'panel="we\\"ird\\\\panel",status="other"' in text
    samples(text)


def test_unreadable_database_still_serves_the_counters():
    snap = fixed_snapshot()
    snap.open_orders, snap.balances = None, None
    got = samples(render(snap))
    assert got["smm_tracker_database_readable"] == 0
    assert not any(k.startswith("smm_tracker_open_orders") for k in got)
    assert got['smm_tracker_api_calls_total{panel="b",action="balance"}'] == 1


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def test_a_real_poll_shows_up_over_loopback(tmp_path):
    panel = SimulatedPanel(key=KEY, seed=2, speed=600.0)
    with PanelServer(panel) as server:
        config = config_from_dict(
            {
                "database": {"path": "t.db"},
                "panels": [{"name": "sim", "url": server.url, "key": KEY, "timeout": "5s"}],
                "refill": {"enabled": False},
            },
            base_dir=tmp_path,
            env={},
        )
        tracker = Tracker(config)
        calls, stats = CallCounters(), JobStats()
        for client in tracker.clients.values():
            client.observers.append(calls.observe)
        ids = panel.seed_orders(150, status="In progress")
        tracker.store.track("sim", ids, tracker.clock())
        with tracker.store.write() as db:  # what the balance job records
            db.execute(  # the balance job's table, should this schema predate it
                "CREATE TABLE IF NOT EXISTS balances "
                "(panel TEXT NOT NULL, at TEXT NOT NULL, balance REAL NOT NULL, currency TEXT)"
            )
            db.execute(
                "INSERT INTO balances (panel, at, balance, currency) VALUES "
                "('sim', '2026-01-01T00:00:00+00:00', 1.5, 'USD'), "
                "('sim', '2026-01-02T00:00:00+00:00', 2.5, 'USD')"
            )
        status_jobs = [job for job in tracker.jobs() if job.name == "status:sim"]
        assert run_once(status_jobs, stats)
        reader = Store(config.database.path, migrate=False)
        server_ = MetricsServer("127.0.0.1", 0, lambda: collect(reader, calls, stats))
        try:
            status, content_type, text = get(f"http://127.0.0.1:{server_.port}/metrics")
            missing, _, _ = get(f"http://127.0.0.1:{server_.port}/nothing")
        finally:
            server_.stop()
            reader.close()
            tracker.close()
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
    assert missing == 404
    got = samples(text)
    assert got['smm_tracker_open_orders{panel="sim",status="In progress"}'] == 150
    assert got['smm_tracker_api_calls_total{panel="sim",action="status"}'] == 2
    assert got['smm_tracker_api_failures_total{panel="sim",action="status"}'] == 0
    assert got['smm_tracker_balance{panel="sim",currency="USD"}'] == 2.5  # the latest
    assert got['smm_tracker_job_runs_total{job="status:sim"}'] == 1
    assert 'smm_tracker_last_poll_success_timestamp_seconds{panel="sim"}' in got
    assert KEY not in text


def test_a_database_without_a_balances_table_has_no_balances(tmp_path):
    store = Store(tmp_path / "t.db")
    store.db.execute("DROP TABLE IF EXISTS balances")
    text = collect(store, CallCounters(), JobStats())
    store.close()
    assert "smm_tracker_balance{" not in text
    assert samples(text)["smm_tracker_database_readable"] == 1


def test_a_taken_port_is_one_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(TrackerError, match=rf"metrics.listen 127.0.0.1:{port}: cannot listen"):
            MetricsServer("127.0.0.1", port, lambda: "")
