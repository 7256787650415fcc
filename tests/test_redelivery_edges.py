"""Alert redelivery at its edges: a reload's two sinks on one database, a
database that cannot be written, a receiver that echoes secrets, a stop with
alerts still queued, the wall clock set back, ``redeliver_for = 0``.

Each test here failed on the code that first brought redelivery (e523bd0).
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeClock
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from test_redelivery import (  # noqa: F401
    DAY,
    Looks,
    given_up,
    kept,
    kept_due,
    quick_looks,
    sink_to,
    stored,
    takers,
    until,
)
from test_webhook import TOKEN, Hook, real_logging  # noqa: F401  (fixture)

import tracker.alerts.redeliver as redeliver
from tracker.alerts.redeliver import Keeper
from tracker.alerts.webhook import WebhookSink
from tracker.clock import iso
from tracker.store.orders import Store
from tracker.store.outbox import resend

pytestmark = pytest.mark.usefixtures("fresh_logs")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    made = Store(tmp_path / "t.db", busy_timeout=0.05)
    yield made
    made.close()


def left(path: Path) -> int:
    """The rows of alert_deliveries, read on a connection of the test's own
    while a sink runs: the store's, shared with the sink's thread, waits
    busy_timeout (50 ms) for it, and a loaded machine's sink held it longer
    (StoreError "is busy": a flaky failure)."""
    db = sqlite3.connect(path, timeout=30)
    try:
        return int(db.execute("SELECT count(*) FROM alert_deliveries").fetchone()[0])
    finally:
        db.close()


def ids(hook: Hook) -> Counter[int]:
    return Counter(body["id"] for body in list(hook.bodies))


def resend_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alerts: str | None
) -> tuple[Any, Any]:
    """The CLI under a config whose [alerts] holds ``alerts`` (None: no
    [alerts]), and an alert the webhook gave up on, stored."""
    from simconfig import OFFLINE_CONFIG, cli_in

    config = OFFLINE_CONFIG + (f"[alerts]\n{alerts}\n" if alerts is not None else "")
    cli = cli_in(tmp_path, monkeypatch, config, env={"SMM_TEST_KEY": None})
    db = Store(tmp_path / "t.db")
    _keeper, alert = given_up(db, FakeClock(), "webhook")
    db.close()
    return cli, alert


@pytest.mark.usefixtures("quick_looks")
def test_a_reload_sends_each_kept_alert_once(
    tmp_path: Path, store: Store, clock: FakeClock
) -> None:
    # SIGHUP builds a new Watch, and its sink, while the old sink's look is
    # still sending: both read the same due rows, and the receiver got each
    # alert it had not reached yet twice (or three times: one sink's failure
    # noted after the other's delivery put it back).
    _keeper, alerts = kept_due(store, clock, 5)
    hook = Hook()
    hook.delay = 0.1  # a slow receiver: the old look is still going
    old = sink_to(hook.url, store, clock)
    old_looks = Looks(old)
    second = Store(tmp_path / "t.db")  # the new generation's own store
    try:
        assert until(lambda: hook.bodies)
        new = sink_to(hook.url, second, clock)
        new_looks = Looks(new)
        try:
            assert until(lambda: left(tmp_path / "t.db") == 0)
            # Each sink's look then going has ended: what it read, it sent.
            assert old_looks.more() and new_looks.more()
        finally:
            old.close()
            new.close()
    finally:
        second.close()
        hook.close()
    assert ids(hook) == Counter(a.id for a in alerts)  # each once


@pytest.mark.usefixtures("quick_looks")
def test_a_database_that_cannot_be_written_is_no_reason_to_send_alerts_again(
    tmp_path: Path, store: Store, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process holds the write lock: each delivered alert's row cannot
    # be deleted. The look counted them delivered, looked again at once (a
    # whole look's worth taken) and sent the same 20 again and again, as
    # fast as the receiver answered; fewer than 20 went again at every look.
    monkeypatch.setattr(redeliver, "PER_PASS", 3)  # a look's worth: 3, not 20
    keeper, alerts = kept_due(store, clock, 4)
    hook = Hook()
    other = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the lock held
    sink = sink_to(hook.url, store, clock)
    looks = Looks(sink)
    try:
        assert until(lambda: len(hook.bodies) >= 3)
        assert looks.more(8)  # many looks
        assert ids(hook) == Counter(a.id for a in alerts[:3])  # each once, no more
        assert sink._thread.is_alive()
        other.execute("ROLLBACK")  # the lock let go: the rows go, the rest are sent
        assert until(lambda: left(tmp_path / "t.db") == 0)
        assert looks.more()
    finally:
        other.close()
        sink.close()
        hook.close()
    assert ids(hook) == Counter(a.id for a in alerts)


@pytest.mark.usefixtures("quick_looks")
def test_a_receiver_echoing_the_url_or_key_leaves_no_secret_in_the_database_or_log(
    store: Store,
    clock: FakeClock,
    real_logging: io.StringIO,  # noqa: F811  (the fixture)
) -> None:
    # The error kept in alert_deliveries.error (shown by `alerts
    # --undelivered` and doctor, which know no webhook URL) was the
    # receiver's words as said; and its first 120 characters were cut before
    # the log scrubbed them: a token cut in two was in the log line too.
    from tracker.redact.scrub import register_secret

    key = "panelkey-0123456789abcdef"
    register_secret(key)  # as the daemon does with every panel's key
    hook = Hook(status=500)
    url_at = len("HTTP 500: ") + 120 - len(TOKEN) // 2  # the cut falls inside the token
    sink = sink_to(hook.url, store, clock)
    try:
        hook.answer = f"no route for {hook.url} with key={key}".encode()
        assert sink.send(stored(store, clock)) and sink.flush(10)
        hook.answer = ("x" * (url_at - len("HTTP 500: ") - 40) + " " + hook.url).encode()
        assert sink.send(stored(store, clock)) and sink.flush(10)
    finally:
        sink.close()
        hook.close()
    errors = [row["error"] for row in kept(store)]
    assert len(errors) == 2 and all(error.startswith("HTTP 500: ") for error in errors)
    output = real_logging.getvalue()
    assert output.count("webhook_failed") == 2
    said = " ".join([*errors, output])
    for secret in (TOKEN, TOKEN[: len(TOKEN) // 2], key):
        assert secret not in said


def test_a_clock_set_back_a_day_does_not_hold_kept_alerts_a_day(
    store: Store, clock: FakeClock
) -> None:
    # next_at is a wall-clock time: set back a day (a wrong NTP answer put
    # right, a VM restored), every kept alert waited a day for its next try
    # while the receiver was up. No wait is longer than an hour: a next_at
    # further ahead than that was set by a clock since set back.
    keeper = Keeper(store, clock, DAY)
    alert, other = stored(store, clock), stored(store, clock)
    keeper.failed(alert, "webhook", "HTTP 503")
    keeper.failed(other, "webhook", "HTTP 503")
    clock.advance(-DAY)
    clock.advance(61)
    assert [due[0].id for due in keeper.due()] == [alert.id, other.id]
    # The webhook still down: the oldest fails again, the other waits with it
    # (it was tried at every look, the target read as due by its row).
    counts = redeliver.redeliver(keeper, {"webhook": lambda a, late: "HTTP 503"}, lambda: False)
    assert (counts["failed"], counts["skipped"]) == (1, 1)
    assert [(r["next_at"], r["gave_up_at"]) for r in kept(store)] == [
        (iso(clock.now + timedelta(seconds=120)), None)
    ] * 2
    assert keeper.due() == []


def test_resend_says_no_alert_is_sent_again_when_redeliver_for_is_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `alerts --resend ID` said "sent again at the daemon's next look", but
    # with redeliver_for = 0 the daemon never looks: nothing was ever sent.
    cli, alert = resend_cli(tmp_path, monkeypatch, "redeliver_for = 0")
    said = cli("alerts", "--resend", str(alert.id))
    assert said.exit_code == 1, said.output
    assert "sent again" not in said.stdout
    assert said.stderr.strip().splitlines() == [
        "smm-tracker: alerts.redeliver_for is 0: the daemon sends no alert again "
        "(set it, then reload the daemon, to resend one)"
    ]


def test_resend_is_an_error_when_no_target_is_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `alerts --resend ID` said "sent again at the daemon's next look" with
    # no webhook and no notify URL: the daemon has nowhere to send it from.
    cli, alert = resend_cli(tmp_path, monkeypatch, None)
    db = Store(tmp_path / "t.db")
    before = kept(db)
    db.close()
    said = cli("alerts", "--resend", str(alert.id))
    assert said.exit_code == 1, said.output
    assert "sent again" not in said.stdout
    assert said.stderr.strip().splitlines() == [
        "smm-tracker: no webhook_url, webhook_url_file, notify or notify_file in [alerts]: "
        "nowhere to send an alert (set one, then reload the daemon, to resend one)"
    ]
    db = Store(tmp_path / "t.db")
    try:
        assert kept(db) == before  # still given up, as it was
    finally:
        db.close()


def test_undelivered_honours_since_and_limit_and_resend_takes_no_listing_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # --since and --limit were ignored by --undelivered, and --resend ignored
    # --undelivered, --json, --since and --panel without a word.
    from datetime import UTC, datetime

    from simconfig import OFFLINE_CONFIG, cli_in

    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": None})
    db = Store(tmp_path / "t.db")
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=2))
    keeper = Keeper(db, clock, DAY)
    old = stored(db, clock)
    keeper.failed(old, "webhook", "HTTP 503")
    clock.advance(DAY + 3600)  # a day and an hour later: within the last day
    newer = [stored(db, clock) for _ in range(3)]
    for alert in newer:
        keeper.failed(alert, "webhook", "HTTP 503")
    db.close()

    def listed(*args: str) -> list[int]:
        said = cli("alerts", "--undelivered", "--json", *args)
        assert said.exit_code == 0, said.output
        return [row["id"] for row in json.loads(said.stdout)["undelivered"]]

    assert listed() == [old.id, *(a.id for a in newer)]
    assert listed("--since", "1d") == [a.id for a in newer]
    assert listed("--limit", "2") == [a.id for a in newer[1:]]
    mixed = cli("alerts", "--resend", str(old.id), "--undelivered")
    assert mixed.exit_code == 2
    assert "--resend names alerts by ID: it takes no --undelivered" in mixed.stderr


def test_resend_trusts_a_url_file_it_does_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The read commands never read webhook_url_file (it may be a credential
    # only the service sees): set, it counts as a target.
    cli, alert = resend_cli(
        tmp_path, monkeypatch, 'webhook_url_file = "only-the-service-reads-this"'
    )
    said = cli("alerts", "--resend", str(alert.id))
    assert said.exit_code == 0, said.output
    assert said.stdout.startswith(f"alert {alert.id}: sent again")


def test_a_stop_while_resending_to_every_target_sends_none_of_them_twice(
    store: Store, clock: FakeClock
) -> None:
    # `alerts --resend ID` of an alert no target failed sends it to every
    # target configured (one "*" row). A stop after the first target took
    # it left the "*" row: the next start sent it to every target again.
    keeper = Keeper(store, clock, DAY)
    alert = stored(store, clock)
    assert resend(store, alert.id or 0, clock.now) == 1
    notify = "alerts.notify[0] (tgram)"
    got, targets = takers("webhook", notify)
    redeliver.redeliver(keeper, targets, lambda: bool(got))  # stopped after one
    assert got == [("webhook", alert.id)]
    assert [(r["target"], r["failures"]) for r in kept(store)] == [(notify, 0)]
    redeliver.redeliver(keeper, targets, lambda: False)  # the next start
    assert got == [("webhook", alert.id), (notify, alert.id)]
    assert kept(store) == []


def test_alerts_a_close_left_unsent_are_kept_for_the_next_run(
    tmp_path: Path, clock: FakeClock
) -> None:
    # A stop (or `run --once`'s end, or a reload) while the webhook hangs:
    # close() gives the queue webhook_timeout + 5 s, one try each, keeps
    # what is still queued, then the store is closed. The one on the wire
    # was noted after its store was closed (alert_not_kept: lost), and the
    # thread, its stop mark taken with the queue, lingered a look's wait.
    first = Store(tmp_path / "t.db")
    hook = Hook()
    hook.delay = 2.0  # takes the POST, answers after the deadline
    sink = WebhookSink(
        hook.url, timeout=0.4, sleep=lambda _s: None, keeper=Keeper(first, clock, DAY)
    )
    alerts = [stored(first, clock) for _ in range(4)]
    try:
        with capture_logs() as logs:
            for alert in alerts:
                assert sink.send(alert)
            assert until(lambda: hook.bodies)
            sink.close(timeout=0.6)  # the first tried; the second on the wire
            first.close()  # as Tracker.close() does next
            assert until(lambda: not sink._thread.is_alive(), timeout=5)  # no thread left
    finally:
        hook.close()
    assert "webhook_unsent" in [e["event"] for e in logs]
    assert "alert_not_kept" not in [e["event"] for e in logs]
    again = Store(tmp_path / "t.db")
    try:
        rows = kept(again)
    finally:
        again.close()
    assert [(r["alert_id"], r["target"]) for r in rows] == [(a.id, "webhook") for a in alerts]
    assert all(r["next_at"] is not None for r in rows)


def test_an_alert_resent_by_hand_whose_targets_are_gone_goes_to_the_targets_configured(
    store: Store, clock: FakeClock
) -> None:
    # Telegram never took it; its notify URL was since replaced by Discord's.
    # `alerts --resend ID` said "sent again", then the look gave it up at
    # once ("no longer configured"): sent nowhere.
    keeper, alert = given_up(store, clock, "alerts.notify[0] (tgram)")
    assert resend(store, alert.id or 0, clock.now) == 1
    discord = "alerts.notify[0] (discord)"
    got, now = takers("webhook", discord)
    counts = redeliver.redeliver(keeper, now, lambda: False)
    assert sorted(got) == [(discord, alert.id), ("webhook", alert.id)]
    assert counts["delivered"] == 2 and counts["failed"] == 0
    assert kept(store) == []  # handed to the targets configured now


def test_an_alert_waiting_behind_an_older_one_is_given_up_at_its_own_window_end(
    store: Store, clock: FakeClock
) -> None:
    # The soak's case: the oldest kept alert was put back by hand (`alerts
    # --resend`: a new window), a newer one kept just before it. While the
    # webhook stayed down, the newer one waited with the oldest past its own
    # window's end (listed as waiting, never given up), and once the webhook
    # was back it was sent, minutes after redeliver_for had run out.
    keeper = Keeper(store, clock, 360)
    oldest, newer = stored(store, clock), stored(store, clock)
    keeper.failed(oldest, "webhook", "HTTP 500", last=True)  # given up long ago
    keeper.failed(newer, "webhook", "HTTP 500")  # its window ends in 360 s
    window_end = clock.now + timedelta(seconds=360)
    clock.advance(50)
    assert resend(store, oldest.id or 0, clock.now) == 1
    posted: list[tuple[int | None, Any]] = []

    def webhook(alert: Any, late: str) -> str | None:
        posted.append((alert.id, clock.now))
        return "HTTP 500" if clock.now < window_end + timedelta(seconds=60) else None

    for _ in range(20):  # a look every 30 s: down until a minute past the end, then back
        redeliver.redeliver(keeper, {"webhook": webhook}, lambda: False)
        clock.advance(30)
    assert [at for alert_id, at in posted if alert_id == newer.id and at > window_end] == []
    row = next(r for r in kept(store) if r["alert_id"] == newer.id)
    # given up at the first look after its window's end (the daemon looks every 30 s)
    assert row["next_at"] is None and row["gave_up_at"] is not None
    assert row["gave_up_at"] <= iso(window_end + timedelta(seconds=30))


def test_undelivered_with_no_target_configured_says_none_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A config with no webhook or notify target: `alerts --undelivered` said
    # "every alert was delivered", of alerts that went nowhere but the log.
    from simconfig import OFFLINE_CONFIG, cli_in

    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": None})
    assert cli("track", "101").exit_code == 0  # the database, with no alert kept
    said = cli("alerts", "--undelivered")
    assert said.exit_code == 0 and said.stdout == ""
    assert "delivered" not in said.stderr
    assert said.stderr.strip() == (
        "no alert is sent anywhere: [alerts] has no webhook_url, webhook_url_file, "
        "notify or notify_file (alerts are stored and logged only)"
    )
    with_hook = OFFLINE_CONFIG + '[alerts]\nwebhook_url = "http://127.0.0.1:9/hook"\n'
    (tmp_path / "tracker.toml").write_text(with_hook)
    taken = cli("alerts", "--undelivered")
    assert taken.exit_code == 0 and "every alert was delivered" in taken.stderr


def test_resend_with_no_daemon_running_says_the_next_run_sends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `alerts --resend ID` said "sent again at the daemon's next look (within
    # 30s)" with no daemon running: a new user waited for nothing. Now it
    # says what sends it; with a run holding the database, as it did.
    from tracker.service.lock import DatabaseLock

    cli, alert = resend_cli(tmp_path, monkeypatch, 'webhook_url = "http://127.0.0.1:9/hook"')
    idle = cli("alerts", "--resend", str(alert.id))
    assert idle.exit_code == 0, idle.output
    assert idle.stdout == (
        f"alert {alert.id}: sent again by the next run (no daemon runs now: "
        "start it, or run --once)\n"
    )
    lock = DatabaseLock(tmp_path / "t.db")  # as `smm-tracker run` holds it
    lock.acquire()
    try:
        running = cli("alerts", "--resend", str(alert.id))
    finally:
        lock.release()
    assert running.exit_code == 0, running.output
    assert running.stdout == (
        f"alert {alert.id}: sent again at the daemon's next look (within 30s)\n"
    )


def test_resend_with_the_daemon_on_another_name_of_the_file_says_it_sends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The daemon's database.path a hard link to this config's (another name
    # of the same file, with a lock file of its own): "no daemon runs now".
    from tracker.service.lock import DatabaseLock

    cli, alert = resend_cli(tmp_path, monkeypatch, 'webhook_url = "http://127.0.0.1:9/hook"')
    (tmp_path / "data").mkdir()
    os.link(tmp_path / "t.db", tmp_path / "data" / "t.db")
    with DatabaseLock(tmp_path / "data" / "t.db"):  # as that daemon's `run` holds it
        running = cli("alerts", "--resend", str(alert.id))
    assert running.exit_code == 0, running.output
    assert running.stdout == (
        f"alert {alert.id}: sent again at the daemon's next look (within 30s)\n"
    )
