"""An alert target's outage kept across a reload's sinks (and processes):
:class:`tracker.alerts.outages_kept.KeptOutages`, the sink's memory of it in
``alert_state``; bounded, and never in the way of an alert."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeClock
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from test_webhook import TOKEN, Hook

from tracker.alerts.alerter import raise_alert
from tracker.alerts.outages_kept import KeptOutages, forget_all
from tracker.alerts.redeliver import Keeper
from tracker.alerts.webhook import WebhookSink
from tracker.clock import iso
from tracker.errors import StoreError
from tracker.rules.episodes import Alert
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("fresh_logs")

ALERT = Alert("order_lost", "main: #5 lost", panel="main")


@pytest.fixture
def hook() -> Iterator[Hook]:
    made = Hook(status=503)  # down until a test sets 200
    yield made
    made.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    made = Store(tmp_path / "t.db")
    yield made
    made.close()


def _sink(url: str, store: Store, clock: FakeClock, **urls: str) -> WebhookSink:
    """A sink as a generation of the daemon makes it (see Watch)."""
    outages = KeptOutages(store, clock, {"webhook": url, **urls})
    outages.forget_others()
    return WebhookSink(url, timeout=5, sleep=lambda _s: None, outages=outages)


def _sent(url: str, store: Store, clock: FakeClock) -> list[tuple[str, str, Any]]:
    """Send one alert through a new sink (a reload's next generation); return
    its delivery lines: (event, level, since)."""
    sink = _sink(url, store, clock)
    with capture_logs() as logs:
        sink.send(ALERT)
        assert sink.flush(10)
    sink.close()
    return [(e["event"], e["log_level"], e.get("since")) for e in logs]


def test_a_reload_s_new_sink_tells_no_outage_the_last_one_told_and_ends_it(
    hook: Hook, store: Store
) -> None:
    clock = FakeClock()
    first = clock()
    assert _sent(hook.url, store, clock) == [("webhook_failed", "warning", None)]
    clock.advance(300)
    assert _sent(hook.url, store, clock) == [("webhook_failed", "debug", None)]
    hook.status = 200
    back = _sent(hook.url, store, clock)
    assert back[-1] == ("webhook_recovered", "info", first.isoformat())
    assert store.rows("SELECT * FROM alert_state") == []  # ended: forgotten


def test_an_outage_no_failure_renewed_for_a_day_is_warned_again(hook: Hook, store: Store) -> None:
    clock = FakeClock()
    assert _sent(hook.url, store, clock)[0][:2] == ("webhook_failed", "warning")
    clock.advance(timedelta(days=1, seconds=1).total_seconds())
    assert _sent(hook.url, store, clock)[0][:2] == ("webhook_failed", "warning")


def test_the_outage_of_another_url_or_a_target_removed_is_forgotten(
    hook: Hook, store: Store
) -> None:
    clock = FakeClock()
    assert _sent(hook.url, store, clock)[0][:2] == ("webhook_failed", "warning")
    # The URL changed while down (a new token, still refused): told afresh,
    # not taken as the same outage going on; the old URL's row deleted.
    other = hook.url.replace(TOKEN, "654321:ZZyyXXwwVVuu-telegram-token")
    assert _sent(other, store, clock)[0][:2] == ("webhook_failed", "warning")
    assert len(store.rows("SELECT * FROM alert_state")) == 1
    # A notify target removed from the config, and then every target: forgotten.
    kept = KeptOutages(store, clock, {"alerts.notify[0] (json)": "json://127.0.0.1:9/x"})
    kept.forget_others()
    assert store.rows("SELECT * FROM alert_state") == []
    assert kept.failed("alerts.notify[0] (json)") is True
    assert len(store.rows("SELECT * FROM alert_state")) == 1
    forget_all(store, clock)
    assert store.rows("SELECT * FROM alert_state") == []


def test_a_database_that_cannot_say_costs_the_memory_never_the_alert(
    hook: Hook, store: Store
) -> None:
    clock = FakeClock()
    hook.status = 200
    store.close()  # every read and write of the outage fails from here
    sink = _sink(hook.url, store, clock)
    with capture_logs() as logs:
        sink.send(ALERT)
        assert sink.flush(10)
        hook.status = 503
        sink.send(ALERT)
        sink.send(ALERT)
        assert sink.flush(10)
    sink.close()
    assert len(hook.bodies) >= 3  # each alert went out
    said = [(e["event"], e["log_level"]) for e in logs]
    assert said == [
        ("webhook_sent", "debug"),
        ("webhook_failed", "warning"),  # this sink's own outage, told once
        ("webhook_failed", "debug"),
    ]


def test_what_is_kept_of_a_target_never_holds_its_url(store: Store) -> None:
    clock = FakeClock(datetime(2026, 12, 5, 22, 0, tzinfo=UTC))
    url = f"https://user:hunter22@hooks.example/bot{TOKEN}/send?chat=secret-chat"
    kept = KeptOutages(store, clock, {"webhook": url})
    assert kept.failed("webhook") is True
    (row,) = store.rows("SELECT * FROM alert_state")
    for part in ("hunter22", TOKEN, "secret-chat", "hooks.example"):
        assert part not in json.dumps(row)


def test_a_sink_still_down_a_day_after_its_last_failure_warns_again(store: Store) -> None:
    # The daemon's own sink as a new run: a day without a failure, told again.
    clock = FakeClock()
    kept = KeptOutages(store, clock, {"webhook": "https://hooks.example/x"})
    assert [kept.failed("webhook") for _ in range(3)] == [True, False, False]
    clock.advance(timedelta(hours=23).total_seconds())
    assert kept.failed("webhook") is False
    clock.advance(timedelta(hours=23).total_seconds())  # a day after the last one stored
    assert kept.failed("webhook") is False
    clock.advance(timedelta(days=1, seconds=1).total_seconds())
    assert kept.failed("webhook") is True
    assert kept.ended("webhook") == (6, clock())  # the outage told anew began then


def test_a_database_that_takes_no_write_still_warns_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracker.alerts.outages_kept as outages_kept

    def refused(*_args: Any) -> None:
        raise StoreError("database t.db is read-only")

    monkeypatch.setattr(outages_kept, "save_episode", refused)
    kept = KeptOutages(store, FakeClock(), {"webhook": "https://hooks.example/x"})
    assert [kept.failed("webhook") for _ in range(3)] == [True, False, False]
    assert kept.ended("webhook") == (3, None)


def test_a_row_edited_by_hand_into_no_time_is_no_outage_and_no_error(store: Store) -> None:
    with store.write() as db:
        db.execute("INSERT INTO alert_state (panel, kind, since) VALUES ('', 'x', 'garbled')")
    clock = FakeClock()
    kept = KeptOutages(store, clock, {"webhook": "https://hooks.example/x"})
    assert [kept.failed("webhook") for _ in range(2)] == [True, False]
    # The garbled moment reads as unknown (handdb126): the other rows still
    # read, so the outage is kept as ever, from its first failure.
    assert kept.ended("webhook") == (2, clock())


def _looked(
    store: Store, clock: FakeClock, url: str = "", notify: Sequence[Any] = ()
) -> list[tuple[str, str, Any]]:
    """A run (a new sink, its outages kept) with no new alert: its first look
    sends again what is kept and due; return its delivery lines: (event,
    level, since); "late" for a failure's line that says it was a kept alert."""
    urls = {"webhook": url} if url else {}
    outages = KeptOutages(store, clock, {**urls, **{t.name: "tgram://1/2" for t in notify}})
    outages.forget_others()
    keeper = Keeper(store, clock, timedelta(days=1).total_seconds())
    with capture_logs() as logs:
        sink = WebhookSink(
            url, timeout=5, sleep=lambda _s: None, outages=outages, keeper=keeper, notify=notify
        )
        deadline = time.monotonic() + 10
        while not any(e["event"] == "alerts_redelivery" for e in logs):  # the kept alert sent
            assert time.monotonic() < deadline, "the look never came"
            time.sleep(0.02)
        sink.close()
    told = [e for e in logs if e["event"].startswith(("webhook_", "notify_"))]
    return [(e["event"], e["log_level"], e.get("since") or e.get("late")) for e in told]


def _kept_for(store: Store, clock: FakeClock, target: str) -> datetime:
    """Keep an alert ``target`` did not take; move the clock to its next try
    and return the time."""
    alert = raise_alert(ALERT, store=store, clock=clock)
    Keeper(store, clock, timedelta(days=1).total_seconds()).failed(alert, target, "HTTP 503")
    clock.advance(3600)
    return clock()


def test_a_run_with_only_kept_alerts_to_send_warns_of_the_outage_once_and_its_end(
    hook: Hook, store: Store
) -> None:
    # Cron runs that raise nothing new while the webhook is down: the kept
    # alert's tries told nothing (no warning at all), nor the target's return.
    clock = FakeClock()
    first = _kept_for(store, clock, "webhook")
    assert _looked(store, clock, hook.url) == [("webhook_failed", "warning", True)]
    clock.advance(3600)
    assert _looked(store, clock, hook.url) == [("webhook_failed", "debug", True)]
    hook.status = 200
    clock.advance(3600)
    assert _looked(store, clock, hook.url) == [("webhook_recovered", "info", iso(first))]
    assert len(hook.bodies) == 3  # the kept alert, at each run
    assert store.rows("SELECT * FROM alert_state") == []  # ended: forgotten


class Down:
    """A notify target (as tracker.alerts.notify.NotifyTarget) down until ``up``."""

    name = "alerts.notify[0] (tgram)"

    def __init__(self) -> None:
        self.up = False

    def deliver(self, _alert: Alert) -> str | None:
        return None if self.up else "delivery failed"


def test_a_notify_target_s_kept_alert_tells_its_outage_too(store: Store) -> None:
    clock, target = FakeClock(), Down()
    first = _kept_for(store, clock, target.name)
    assert _looked(store, clock, notify=[target]) == [("notify_failed", "warning", True)]
    clock.advance(3600)
    assert _looked(store, clock, notify=[target]) == [("notify_failed", "debug", True)]
    target.up = True
    clock.advance(3600)
    assert _looked(store, clock, notify=[target]) == [("notify_recovered", "info", iso(first))]
