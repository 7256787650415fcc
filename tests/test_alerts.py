"""Alerts: log event, alerts table, episodes across restarts, no database needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.alerts.alerter import Alerter, raise_alert
from tracker.redact.scrub import register_secret
from tracker.rules.episodes import Alert, Episode
from tracker.store.alerts import alerts_since, load_episode, open_episodes
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("fresh_logs")


class ListSink:
    def __init__(self) -> None:
        self.sent: list[Alert] = []

    def send(self, alert: Alert) -> bool:
        self.sent.append(alert)
        return True


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "t.db")


def test_an_alert_is_a_log_event_a_row_and_a_webhook_call(store: Store, clock: Any) -> None:
    sink = ListSink()
    with capture_logs() as logs:
        raised = raise_alert(
            Alert("panel_unreachable", "main: unreachable", panel="main", data={"n": 1}),
            store=store,
            sink=sink,
            clock=clock,
        )
    assert logs == [
        {
            "event": "alert",
            "log_level": "error",
            "alert": "panel_unreachable",
            "panel": "main",
            "severity": "error",
            "message": "main: unreachable",
            "data": {"n": 1},
        }
    ]
    (row,) = alerts_since(store, None)
    assert row == {
        "id": raised.id,
        "at": "2026-11-01T12:00:00+00:00",
        "panel": "main",
        "kind": "panel_unreachable",
        "severity": "error",
        "message": "main: unreachable",
        "data": {"n": 1},
    }
    assert sink.sent == [raised]


def test_warnings_and_recoveries_log_at_warning() -> None:
    with capture_logs() as logs:
        raise_alert(Alert("balance_low", "low"))
        raise_alert(Alert("balance_recovered", "ok again"))
    assert [(e["log_level"], e["severity"]) for e in logs] == [
        ("warning", "warning"),
        ("warning", "info"),
    ]


def test_without_a_working_database_the_alert_still_goes_out(store: Store) -> None:
    store.close()  # as good as a read-only or full disk: every write fails
    sink = ListSink()
    with capture_logs() as logs:
        raised = raise_alert(Alert("database_unwritable", "disk full"), store=store, sink=sink)
    assert [e["event"] for e in logs] == ["alert", "alert_not_stored"]
    assert raised.id is None and sink.sent == [raised]
    raise_alert(Alert("database_unwritable", "no store at all"), sink=sink)
    assert len(sink.sent) == 2


def test_a_broken_sink_never_reaches_the_caller() -> None:
    class Broken:
        def send(self, alert: Alert) -> bool:
            raise RuntimeError("bug")

    with capture_logs() as logs:
        raise_alert(Alert("balance_low", "low"), sink=Broken())
    assert logs[-1]["event"] == "alert_not_sent"


def test_secrets_are_scrubbed_from_message_and_data(store: Store) -> None:
    register_secret("sk-live-SECRET-KEY-42")
    with capture_logs():
        raised = raise_alert(
            Alert(
                "auth_failed",
                "panel said: key sk-live-SECRET-KEY-42 is wrong",
                data={"error": ["sk-live-SECRET-KEY-42"]},
            ),
            store=store,
        )
    assert "SECRET" not in raised.message and "SECRET" not in str(raised.data)
    dump = "\n".join(store.db.conn.iterdump())
    assert "SECRET" not in dump


def low_judge(active: bool):
    def judge(episode: Episode) -> tuple[Episode, Alert | None]:
        if active and not episode.active:
            return Episode(True), Alert("balance_low", "low", panel="main")
        if not active and episode.active:
            return Episode(), Alert("balance_recovered", "ok", panel="main")
        return episode, None

    return judge


def test_once_per_episode_survives_a_restart(tmp_path: Path, clock: Any) -> None:
    store = Store(tmp_path / "t.db")
    with capture_logs():
        first = Alerter(store, clock=clock)
        for _ in range(3):
            first.update("main", "balance_low", low_judge(True))
        store.close()
        store = Store(tmp_path / "t.db")  # the daemon restarts
        second = Alerter(store, clock=clock)
        for _ in range(3):
            second.update("main", "balance_low", low_judge(True))
        second.update("main", "balance_low", low_judge(False))
    assert [r["kind"] for r in alerts_since(store, None)] == ["balance_low", "balance_recovered"]
    assert load_episode(store, "main", "balance_low") == (False, None, None)
    assert open_episodes(store) == []


@pytest.mark.usefixtures("fresh_logs")
def test_a_recovery_the_database_could_not_store_is_stored_later_not_raised_again(
    tmp_path: Path, clock: Any
) -> None:
    import sqlite3

    store = Store(tmp_path / "t.db", busy_timeout=0.1)
    with capture_logs() as logs:
        first = Alerter(store, clock=clock)
        first.update("main", "balance_low", low_judge(True))
        holder = sqlite3.connect(tmp_path / "t.db")
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        first.update("main", "balance_low", low_judge(False))  # recovered: not stored
        holder.rollback()
        holder.close()
        first.update("main", "balance_low", low_judge(False))  # the next run stores it
        store.close()
        store = Store(tmp_path / "t.db")  # the daemon restarts
        second = Alerter(store, clock=clock)
        second.update("main", "balance_low", low_judge(False))
    assert "alert_not_stored" in [e["event"] for e in logs]
    assert load_episode(store, "main", "balance_low") == (False, None, None)
    assert open_episodes(store) == []
    assert [r["kind"] for r in alerts_since(store, None)] == ["balance_low", "balance_recovered"]


def test_the_latest_balance_is_the_last_stored_even_after_the_clock_was_set_back(
    store: Store, clock: Any
) -> None:
    from datetime import timedelta
    from decimal import Decimal

    from tracker.store.alerts import latest_balance, record_balance
    from tracker.store.readings import latest_balances

    record_balance(store, "main", clock() + timedelta(hours=1), Decimal("280"), "USD")
    record_balance(store, "main", clock(), Decimal("278.2"), "USD")  # after the step back
    last = latest_balance(store, "main")
    assert last is not None and last["balance"] == 278.2
    assert latest_balances(store) == [("main", "USD", 278.2)]


@pytest.mark.usefixtures("fresh_logs")
def test_a_stop_tries_once_more_then_says_what_it_could_not_store(
    tmp_path: Path, clock: Any
) -> None:
    import sqlite3

    store = Store(tmp_path / "t.db", busy_timeout=0.1)
    alerter = Alerter(store, clock=clock)
    with capture_logs() as logs:
        alerter.update("main", "balance_low", low_judge(True))
        holder = sqlite3.connect(tmp_path / "t.db")
        holder.execute("BEGIN IMMEDIATE")
        alerter.update("main", "balance_low", low_judge(False))
        alerter.close()  # still locked: said, not silent
        holder.rollback()
        alerter.close()  # the lock gone: stored
        holder.close()
    lost = [e for e in logs if e["event"] == "alert_state_lost_at_stop"]
    assert [e["episodes"] for e in lost] == [["main:balance_low"]]
    assert load_episode(store, "main", "balance_low") == (False, None, None)
    store.close()


def test_an_unreadable_episode_is_judged_later_never_as_a_closed_one(
    tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An open balance_low episode stored by an earlier run; this run's first
    # read of it fails (the shared connection held past its wait by a job
    # beside it). Judged as a closed episode, it alerted a second time.
    from tracker.alerts import alerter as alerter_module
    from tracker.errors import StoreError

    store = Store(tmp_path / "t.db")
    with capture_logs():
        Alerter(store, clock=clock).update("main", "balance_low", low_judge(True))
    reads = {"failed": 0}
    real_load = alerter_module.store_alerts.load_episode

    def busy_once(*args: Any) -> Any:
        if not reads["failed"]:
            reads["failed"] += 1
            raise StoreError("database is busy")
        return real_load(*args)

    monkeypatch.setattr(alerter_module.store_alerts, "load_episode", busy_once)
    with capture_logs() as logs:
        later = Alerter(store, clock=clock)
        assert later.update("main", "balance_low", low_judge(True)) is None
        assert later.update("main", "balance_low", low_judge(True)) is None
        recovered = later.update("main", "balance_low", low_judge(False))
    assert "alert_state_unreadable" in [e["event"] for e in logs]
    assert recovered is not None and recovered.kind == "balance_recovered"
    assert [r["kind"] for r in alerts_since(store, None)] == ["balance_low", "balance_recovered"]
