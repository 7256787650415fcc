"""prune's two edges: a stop while the daemon's run counts, and finished
orders' `order_watch` rows left by a stopped daemon (a kept demo).

The count before the first batch (the queries choosing what goes) takes
seconds on a year's history: a SIGTERM then must not wait for it. And a
finished order's watch row, which the stall watch's next pass would have
dropped, must not keep an old order from going for ever.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config
from structlog.testing import capture_logs
from test_autoprune import job_of, settings, told
from test_prune import OLD, OLDER, RECENT, _many, rows, shown
from test_prune_log import runs as prune_runs

from tracker.service.jobstats import JobStats
from tracker.service.notify import Notifier
from tracker.service.process import Service
from tracker.service.runs import guarded
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("fresh_logs")

CHOOSING = "SELECT o.order_id FROM orders o"  # the query choosing a panel's orders to go
ZERO = {
    "orders": 0,
    "refill_changes": 0,
    "refills": 0,
    "transitions": 0,
    "probes": 0,
    "order_watch": 0,
    "automation_actions": 0,
    "automation_skips": 0,
    "cancels": 0,
    "late_checks": 0,
    "balances": 0,
    "alerts": 0,
    "alert_deliveries": 0,
}


def test_a_stop_while_the_daemon_counts_ends_its_run_before_any_batch(tmp_path):
    db = tmp_path / "t.db"
    _many(db, 2500)  # the count's queries run long enough for SQLite to look at the stop
    with sqlite3.connect(db) as c:  # a second panel: its orders are counted after the first's
        c.execute("UPDATE orders SET panel = 'other' WHERE order_id > 1250")
        c.execute("UPDATE transitions SET panel = 'other' WHERE order_id > 1250")
    c.close()
    config = settings(tmp_path, prune_older_than="365d")
    service = Service(config, load=lambda: config, notifier=Notifier(None))
    generation = service._build(config)
    job = job_of(generation)
    assert job is not None
    auto = job.run.__self__  # type: ignore[attr-defined]
    opened, started, stopped_at = auto.open_store, [], []

    def traced(sql: str) -> None:  # each statement as SQLite starts it
        started.append(sql)
        if CHOOSING in sql and not stopped_at:  # SIGTERM while the first panel is counted
            stopped_at.append(len(started))
            generation.stop_event.set()

    def open_store():
        store = opened()
        store.conn.set_trace_callback(traced)
        return store

    auto.open_store = open_store
    try:
        with capture_logs() as logs:
            assert guarded(job, JobStats())() is False  # stopped, not failed
    finally:
        generation.close()

    assert stopped_at, "the count never chose orders"
    # The count ended in the query the stop came in: no other panel counted,
    # no row counted, no batch begun.
    assert started[stopped_at[0] :] == [], started[stopped_at[0] :]
    events = [(e["event"], e["log_level"]) for e in told(logs)]
    assert events == [("prune_stopped", "info"), ("job_stopped", "info")]
    assert told(logs)[0]["deleted"] == ZERO and told(logs)[0]["older_than"] == "365d"
    assert rows(db, "SELECT count(*) FROM orders") == [(2500,)]
    assert rows(db, "SELECT count(*) FROM transitions") == [(2500,)]
    assert prune_runs(db) == []  # nothing deleted: no run recorded

    generation = service._build(config)  # the next day: it counts and deletes them all
    try:
        job = job_of(generation)
        assert job is not None and guarded(job, JobStats())() is True
    finally:
        generation.close()
    assert rows(db, "SELECT count(*) FROM orders") == [(0,)]
    [run] = prune_runs(db)
    assert run["ended_at"] is not None and json.loads(run["deleted"])["orders"] == 2500


# What `demo --keep` leaves, aged by a year: every order final, each with the
# watch row of its last stall pass (the demo ends after the poll that saw
# them finish, before the pass that drops those rows). Order 4 stalled
# first, an episode no pass ended; order 5's row was judged since the cutoff.
DEMO = {1: "Completed", 2: "Canceled", 3: "Partial", 4: "Completed", 5: "Completed"}


def _kept_demo(db) -> None:
    Store(db).close()
    with sqlite3.connect(db) as c:
        for order, status in DEMO.items():
            c.execute(
                "INSERT INTO orders (panel, order_id, service, quantity, status, created_at, "
                "updated_at, completed_at, last_change_at, polling, source) "
                "VALUES ('demo', ?, 1, 1000, ?, ?, ?, ?, ?, 0, 'add')",
                (order, status, OLDER, OLD, OLD, OLD),
            )
            for at, to in ((OLDER, "Pending"), (OLD, status)):
                c.execute(
                    "INSERT INTO transitions (panel, order_id, at, to_status) "
                    "VALUES ('demo', ?, ?, ?)",
                    (order, at, to),
                )
            stalled, judged = (OLDER if order == 4 else None), (RECENT if order == 5 else OLDER)
            c.execute(
                "INSERT INTO order_watch (panel, order_id, stalled_at, recheck_at, updated_at) "
                "VALUES ('demo', ?, ?, ?, ?)",
                (order, stalled, judged, judged),
            )
    c.close()


def test_a_finished_orders_watch_row_goes_with_it_and_keeps_it_no_longer(tmp_path, monkeypatch):
    db = tmp_path / "t.db"
    _kept_demo(db)
    cli = cli_in(tmp_path, monkeypatch, sim_config("http://127.0.0.1:9"))
    counted = shown(cli("prune", "--older-than", "365d", "--dry-run").output)
    assert (counted["orders"], counted["order_watch"], counted["transitions"]) == (4, 4, 8)
    result = cli("prune", "--older-than", "365d", "--yes")
    assert result.exit_code == 0, result.output
    assert shown(result.output) == counted
    # A row naming an order newer than the cutoff keeps it, the watch's as any.
    assert rows(db, "SELECT order_id FROM orders") == [(5,)]
    assert rows(db, "SELECT order_id FROM order_watch") == [(5,)]
    assert rows(db, "SELECT count(*) FROM transitions WHERE order_id != 5") == [(0,)]
    [run] = prune_runs(db)
    assert json.loads(run["deleted"])["order_watch"] == 4
