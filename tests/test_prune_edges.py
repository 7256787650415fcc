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
from structlog.testing import capture_logs
from test_autoprune import job_of, settings, told
from test_prune import _many, rows
from test_prune_log import runs as prune_runs

from tracker.service.jobstats import JobStats
from tracker.service.notify import Notifier
from tracker.service.process import Service
from tracker.service.runs import guarded

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
