"""The Prometheus endpoint: exact text for fixed numbers, then real data over
loopback, parsed with prometheus_client's own parsers (text and OpenMetrics)."""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.request
from collections import Counter

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om
from prometheus_client.parser import text_string_to_metric_families

from tracker import __version__
from tracker.config.load import config_from_dict
from tracker.errors import TrackerError
from tracker.jobs.tracker import Tracker
from tracker.service.callstats import CallCounters
from tracker.service.daemon import JobStats
from tracker.service.metrics import (
    Snapshot,
    build_registry,
    collect,
    render,
    take_snapshot,
)
from tracker.service.metrics_http import MetricsServer
from tracker.service.runs import run_once
from tracker.sim.scripts import ScriptQuirks
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.orders import Store

KEY = "metrics-key-Wd7Kp2Qs9Lx4"
SAMPLE = re.compile(r'^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? -?[0-9.e+-]+$')


def samples(text: str) -> dict[str, float]:
    """Given exposition text, return {"name{labels}": value} (labels sorted by
    name, as prometheus_client writes them); check every line's form."""
    typed = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
        elif not line.startswith("#"):
            assert SAMPLE.match(line), line
            name = line.rpartition(" ")[0].split("{")[0]
            assert name in typed or name.rsplit("_", 1)[0] in typed, f"{line}: no TYPE line"
    return parsed(text)


def fixed_snapshot() -> Snapshot:
    calls = CallCounters()
    calls.observe("main", "status", True, 0.25)
    calls.observe("main", "status", False, 10.0)
    calls.observe("b", "balance", True, 0.5)
    calls.observe_job("status:main", 1.0, True, False)
    calls.observe_job("status:main", 3.0, False, False)
    return fixed_snapshot_with(calls)


def fixed_snapshot_with(calls: CallCounters) -> Snapshot:
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
        open_orders={("main", "Pending"): 4, ("main", "In progress"): 2, ("b", None): 1},
        balances=[("main", "USD", 100.84292), ("b", "RUB", 5.0)],
        calls=calls,
        jobs=jobs,
    )


def test_render_gives_every_family_with_labels():
    got = samples(render(fixed_snapshot()))
    assert got['smm_tracker_open_orders{panel="main",status="Pending"}'] == 4
    assert got['smm_tracker_open_orders{panel="main",status="In progress"}'] == 2
    assert got['smm_tracker_balance{currency="USD",panel="main"}'] == 100.84292
    assert got['smm_tracker_api_calls_total{action="status",panel="main"}'] == 2
    assert got['smm_tracker_api_failures_total{action="status",panel="main"}'] == 1
    assert got['smm_tracker_api_failures_total{action="balance",panel="b"}'] == 0
    assert got['smm_tracker_api_call_seconds_total{action="status",panel="main"}'] == 10.25
    assert got['smm_tracker_job_runs_total{job="status:main"}'] == 2
    assert got['smm_tracker_job_failures_total{job="status:b"}'] == 1
    assert got['smm_tracker_job_running{job="status:main"}'] == 1
    assert got['smm_tracker_job_running{job="status:b"}'] == 0
    assert got['smm_tracker_job_last_duration_seconds{job="status:main"}'] == 1.5
    assert got['smm_tracker_last_poll_success_timestamp_seconds{panel="main"}'] == 1.8e9
    assert got["smm_tracker_database_readable"] == 1
    assert got[f'smm_tracker_info{{version="{__version__}"}}'] == 1


def test_no_answer_yet_is_unknown_and_a_panels_own_word_unknown_is_other(tmp_path):
    # "unknown" is the label of orders the panel has not answered for yet; a
    # panel that writes the word "unknown" as a status says something else,
    # counted with the other spellings the tracker does not know.
    store = Store(tmp_path / "t.db")
    try:
        with store.conn:
            store.conn.executemany(
                "INSERT INTO orders (panel, order_id, created_at, updated_at, status) "
                "VALUES ('main', ?, '2026-12-01T00:00:00+00:00', '2026-12-01T00:00:00+00:00', ?)",
                [(1, None), (2, "unknown"), (3, "Stuck"), (4, "Pending")],
            )
        snap = take_snapshot(store, CallCounters(), JobStats(), ["main"])
    finally:
        store.close()
    got = samples(render(snap))
    assert got['smm_tracker_open_orders{panel="main",status="unknown"}'] == 1
    assert got['smm_tracker_open_orders{panel="main",status="other"}'] == 2
    assert got['smm_tracker_open_orders{panel="main",status="Pending"}'] == 1


def test_a_configured_panel_with_no_open_order_still_shows_zeros():
    # `sum by (panel) (smm_tracker_open_orders) == 0` must see 0, not "no data".
    snap = fixed_snapshot()
    snap.panels = ("main", "b", "idle")
    got = samples(render(snap))
    assert got['smm_tracker_open_orders{panel="main",status="Pending"}'] == 4
    assert got['smm_tracker_open_orders{panel="main",status="Processing"}'] == 0
    idle = {k: v for k, v in got.items() if k.startswith('smm_tracker_open_orders{panel="idle"')}
    assert len(idle) == 8 and set(idle.values()) == {0}
    assert 'smm_tracker_open_orders{panel="idle",status="Completed"}' not in got  # not open


def test_histograms_count_each_call_in_its_bucket_by_outcome():
    got = samples(render(fixed_snapshot()))
    name = "smm_tracker_api_call_duration_seconds"
    ok, failed = 'outcome="ok",panel="main"', 'outcome="failed",panel="main"'
    assert got[f'{name}_bucket{{action="status",le="0.1",{ok}}}'] == 0
    assert got[f'{name}_bucket{{action="status",le="0.25",{ok}}}'] == 1  # le is "<="
    assert got[f'{name}_bucket{{action="status",le="+Inf",{ok}}}'] == 1
    assert got[f'{name}_bucket{{action="status",le="5.0",{failed}}}'] == 0
    assert got[f'{name}_bucket{{action="status",le="10.0",{failed}}}'] == 1
    assert got[f'{name}_sum{{action="status",{failed}}}'] == 10.0
    assert got['smm_tracker_poll_duration_seconds_count{panel="main"}'] == 2
    assert got['smm_tracker_poll_duration_seconds_sum{panel="main"}'] == 4.0
    assert got['smm_tracker_poll_duration_seconds_bucket{le="2.5",panel="main"}'] == 1


def test_a_stopped_poll_is_not_timed():
    calls = CallCounters()
    calls.observe_job("status:main", 3.0, False, True)  # SIGTERM: a partial poll
    calls.observe_job("balance:main", 3.0, True, False)  # not a poll
    assert "smm_tracker_poll_duration_seconds_count" not in render(fixed_snapshot_with(calls))


def test_label_values_are_escaped():
    snap = fixed_snapshot()
    snap.open_orders = {('we"ird\\panel', "line\nbreak"): 1}
    text = render(snap)
    # An unknown status spelling is folded into "other": labels stay a small set.
    assert 'panel="we\\"ird\\\\panel",status="other"' in text
    samples(text)


def test_orders_given_up_as_lost_are_counted_per_panel(tmp_path):
    # A lost order is no longer polled, so open_orders no longer counts it:
    # without this gauge a panel that forgot orders vanished from the graphs.
    store = Store(tmp_path / "t.db")
    try:
        with store.conn:
            store.conn.executemany(
                "INSERT INTO orders (panel, order_id, created_at, updated_at, status, polling, "
                "stopped_by) VALUES (?, ?, '2026-12-01T00:00:00+00:00', "
                "'2026-12-01T00:00:00+00:00', 'Pending', ?, ?)",
                [
                    ("main", 1, 0, "panel"),
                    ("main", 2, 0, "panel"),
                    ("main", 3, 0, "user"),  # untracked: the user's, not lost
                    ("main", 4, 1, None),
                    ("gone", 5, 0, "panel"),  # a panel since removed from the config
                ],
            )
        snap = take_snapshot(store, CallCounters(), JobStats(), ["main", "idle"])
        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)
        take_snapshot(store, CallCounters(), JobStats(), ["main"])
        store.conn.set_trace_callback(None)
        [count] = [s for s in statements if "stopped_by" in s]
        plan = " ".join(r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + count))
    finally:
        store.close()
    got = samples(render(snap))
    assert got['smm_tracker_lost_orders{panel="main"}'] == 2
    assert got['smm_tracker_lost_orders{panel="idle"}'] == 0  # a series at 0, not none
    assert 'smm_tracker_lost_orders{panel="gone"}' not in got
    # Read at every scrape: from the index of lost orders, not the whole table.
    assert "COVERING INDEX orders_lost" in plan, plan


def test_unreadable_database_still_serves_the_counters():
    snap = fixed_snapshot()
    snap.open_orders, snap.balances = None, None
    got = samples(render(snap))
    assert got["smm_tracker_database_readable"] == 0
    assert not any(k.startswith("smm_tracker_open_orders") for k in got)
    assert not any(k.startswith("smm_tracker_lost_orders") for k in got)
    assert got['smm_tracker_api_calls_total{action="balance",panel="b"}'] == 1


def get(url: str, method: str = "GET", accept: str = "") -> tuple[int, str, str]:
    request = urllib.request.Request(url, method=method, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def parsed(text: str) -> dict[str, float]:
    """Given text exposition, parse it as Prometheus does: {"name{labels}": value}."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{escape(v)}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


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
        stats.observers.append(calls.observe_job)
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
        registry = build_registry(lambda: take_snapshot(reader, calls, stats))
        server_ = MetricsServer("127.0.0.1", 0, registry)
        url = f"http://127.0.0.1:{server_.port}/metrics"
        try:
            status, content_type, text = get(url)
            head = get(url, method="HEAD")
            om_status, om_type, om_text = get(url, accept="application/openmetrics-text")
            missing, _, _ = get(f"http://127.0.0.1:{server_.port}/nothing")
            with urllib.request.urlopen(url, timeout=5) as answer:
                server_header = answer.headers["Server"]
        finally:
            server_.stop()
            reader.close()
            tracker.close()
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
    assert head == (200, content_type, "")
    assert missing == 404
    assert server_header == "smm-tracker"  # no Python version, no trailing space
    got = parsed(text)
    assert got['smm_tracker_open_orders{panel="sim",status="In progress"}'] == 150
    assert got['smm_tracker_api_calls_total{action="status",panel="sim"}'] == 2
    assert got['smm_tracker_api_failures_total{action="status",panel="sim"}'] == 0
    assert got['smm_tracker_balance{currency="USD",panel="sim"}'] == 2.5  # the latest
    assert got['smm_tracker_job_runs_total{job="status:sim"}'] == 1
    assert 'smm_tracker_last_poll_success_timestamp_seconds{panel="sim"}' in got
    # The latency histograms: every call and the one poll fall in the +Inf bucket.
    calls = 'action="status",le="+Inf",outcome="ok",panel="sim"'
    assert got[f"smm_tracker_api_call_duration_seconds_bucket{{{calls}}}"] == 2
    ok = 'action="status",outcome="ok",panel="sim"'
    assert got[f"smm_tracker_api_call_duration_seconds_count{{{ok}}}"] == 2
    assert got['smm_tracker_poll_duration_seconds_count{panel="sim"}'] == 1
    assert got['smm_tracker_poll_duration_seconds_bucket{le="+Inf",panel="sim"}'] == 1
    # Process and Python metrics from prometheus_client's own collectors.
    assert got["process_resident_memory_bytes"] > 0
    assert got["process_open_fds"] > 0
    assert got["process_start_time_seconds"] > 0
    assert "python_info" in {key.split("{")[0] for key in got}
    assert KEY not in text
    # OpenMetrics when asked: it parses, with the same families.
    assert om_status == 200 and om_type.startswith("application/openmetrics-text")
    names = {family.name for family in parse_om(om_text)}
    assert {"smm_tracker_open_orders", "smm_tracker_api_calls", "smm_tracker"} <= names
    assert "smm_tracker_api_call_duration_seconds" in names
    assert om_text.rstrip().endswith("# EOF")


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
            MetricsServer("127.0.0.1", port, build_registry(lambda: fixed_snapshot()))


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("nosuch.invalid", "host nosuch.invalid not found: "),
        ("192.0.2.1", "192.0.2.1 is not an address of this machine: "),  # TEST-NET-1
    ],
)
def test_the_daemons_start_says_a_host_not_found_or_not_this_machines(host, why):
    # The daemon said only "cannot listen (Name or service not known)" where
    # doctor named the host and the fix: the same words now.
    with pytest.raises(TrackerError) as raised:
        MetricsServer(host, 9464, build_registry(lambda: fixed_snapshot()))
    said = str(raised.value)
    assert said.startswith(f"metrics.listen {host}:9464: cannot listen ({why}")
    assert said.endswith(
        "); set metrics.listen to an address of this machine: "
        "127.0.0.1:9464 (loopback) or 0.0.0.0:9464 (every interface)"
    )


def test_the_daemons_start_says_a_low_port_needs_root(monkeypatch):
    import errno

    from tracker.service import metrics_http

    def refused(host: str, port: int) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(metrics_http, "_server", refused)  # tests may run as root
    with pytest.raises(TrackerError) as raised:
        MetricsServer("127.0.0.1", 80, build_registry(lambda: fixed_snapshot()))
    assert str(raised.value) == (
        "metrics.listen 127.0.0.1:80: cannot listen (Permission denied); a port below 1024 "
        "needs root: set metrics.listen to a port above 1023"
    )


def test_the_daemons_start_says_what_to_do_about_a_taken_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(TrackerError) as raised:
            MetricsServer("127.0.0.1", port, build_registry(lambda: fixed_snapshot()))
    assert str(raised.value) == (
        f"metrics.listen 127.0.0.1:{port}: cannot listen (Address already in use); another "
        "program listens there (a second smm-tracker, another exporter: "
        f"`ss -ltnp 'sport = :{port}'` names it): stop it, or set metrics.listen to another port"
    )


def test_the_question_for_a_panels_no_such_action_words_is_labelled_probe(tmp_path):
    # Whether a refused refill means the panel lacks the action is asked with
    # an action no panel has; its calls were labelled with that made-up name,
    # action="smm_tracker_no_such_action", a strange action on a dashboard.
    script = ScriptQuirks(missing_actions=("refill", "refill_status", "cancel"))
    panel = SimulatedPanel(key=KEY, seed=7, speed=60.0, script=script)
    with PanelServer(panel) as server:
        config = config_from_dict(
            {
                "database": {"path": "t.db"},
                "panels": [{"name": "sim", "url": server.url, "key": KEY, "retries": 0}],
                "refill": {"first_check": "0s", "unknown_service": "try"},
            },
            base_dir=tmp_path,
            env={},
        )
        tracker = Tracker(config)
        calls = CallCounters()
        for client in tracker.clients.values():
            client.observers.append(calls.observe)
        tracker.store.track("sim", panel.seed_orders(2, status="Completed"), tracker.clock())
        jobs = [job for job in tracker.jobs() if job.name in ("status:sim", "refill:sim")]
        run_once(jobs, JobStats())
        text = collect(tracker.store, calls, JobStats())
        tracker.close()
    got = parsed(text)
    assert panel.calls["refill"] >= 1  # refused in the panel's "no such action" words
    assert got['smm_tracker_api_calls_total{action="probe",panel="sim"}'] == 1
    assert "smm_tracker_no_such_action" not in text
    probe = 'action="probe",le="+Inf",outcome="ok",panel="sim"'
    assert got[f"smm_tracker_api_call_duration_seconds_bucket{{{probe}}}"] == 1
