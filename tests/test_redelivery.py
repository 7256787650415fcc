"""An alert no target took is kept and tried again later, marked late.

Before, a webhook down for more than its minute of retries (a receiver
restarting, a laptop woken before its VPN, a URL being fixed) lost every
alert raised meanwhile: one ``webhook_failed`` log line each, the alert left
in the ``alerts`` table and nobody told.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeClock
from logcapture import fresh_logs  # noqa: F401  (fixture)
from quiet_server import QuietServer
from structlog.testing import capture_logs
from test_webhook import Hook, _delivered

import tracker.alerts.webhook as webhook
from tracker.alerts.alerter import raise_alert
from tracker.alerts.payloads import payload
from tracker.alerts.redeliver import Keeper, redeliver
from tracker.alerts.webhook import WebhookSink
from tracker.clock import iso, parse_iso
from tracker.config.load import config_from_dict
from tracker.errors import ConfigError
from tracker.rules.episodes import Alert
from tracker.rules.redelivery import late_note, next_try, wait_after
from tracker.store.orders import Store
from tracker.store.outbox import resend, waiting

pytestmark = pytest.mark.usefixtures("fresh_logs")

DAY = 86400.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    made = Store(tmp_path / "t.db")
    yield made
    made.close()


@pytest.fixture
def quick_looks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook, "LOOK_EVERY", 0.05)


def stored(store: Store, clock: FakeClock, kind: str = "balance_low") -> Alert:
    alert = Alert(kind, "main: balance 4.20 USD is below 10.00", panel="main", data={"b": "4.2"})
    return raise_alert(alert, store=store, clock=clock)


def kept_due(store: Store, clock: FakeClock, n: int, *targets: str) -> tuple[Keeper, list[Alert]]:
    """Store ``n`` alerts, each failed once at each of ``targets`` (the
    webhook when none), then move the clock past their first wait."""
    keeper = Keeper(store, clock, DAY)
    alerts = [stored(store, clock) for _ in range(n)]
    for alert in alerts:
        for target in targets or ("webhook",):
            keeper.failed(alert, target, "HTTP 503")
    clock.advance(61)
    return keeper, alerts


def given_up(store: Store, clock: FakeClock, target: str) -> tuple[Keeper, Alert]:
    """Store an alert that ``target`` did not take for its whole window (120 s)."""
    keeper = Keeper(store, clock, 120)
    alert = stored(store, clock)
    keeper.failed(alert, target, "HTTP 500")
    clock.advance(200)
    keeper.failed(alert, target, "HTTP 500")
    return keeper, alert


def kept(store: Store) -> list[dict[str, Any]]:
    return store.rows("SELECT * FROM alert_deliveries ORDER BY alert_id, target")


def until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    end = time.monotonic() + timeout
    while not (found := check()) and time.monotonic() < end:
        time.sleep(0.02)
    return found


class Looks:
    """The looks for kept alerts a sink ends, counted: a test waits for
    looks, not for a time it hopes holds some (a sink starved on a loaded
    host looked fewer times, or none, in a fixed 0.2 s, and a repeated send
    went unseen). Only with ``quick_looks``: else a look is a minute away."""

    def __init__(self, sink: WebhookSink):
        self.ended = 0
        inner = sink._look

        def look() -> bool:
            try:
                return inner()
            finally:
                self.ended += 1

        sink._look = look  # type: ignore[method-assign]

    def more(self, count: int = 2) -> bool:
        """Wait until ``count`` more looks ended (the first of two may have
        begun before the call: the second began after it); return whether
        they did within until()'s bound."""
        then = self.ended
        return until(lambda: self.ended >= then + count)


def sink_to(
    url: str, store: Store, clock: FakeClock, window: float = DAY, **kw: Any
) -> WebhookSink:
    return WebhookSink(
        url, timeout=5, sleep=lambda _s: None, keeper=Keeper(store, clock, window), **kw
    )


# --- when ------------------------------------------------------------------------


def test_the_waits_double_from_a_minute_to_an_hour() -> None:
    assert [wait_after(n) for n in (1, 2, 3, 6, 7, 8, 100)] == [
        60,
        120,
        240,
        1920,
        3600,
        3600,
        3600,
    ]


def test_an_alert_is_tried_until_its_window_ends_then_given_up() -> None:
    first = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert next_try(1, first, first, DAY) == first + timedelta(seconds=60)
    # The last try comes at the window's end, not an hour after it.
    near_end = first + timedelta(seconds=DAY - 100)
    assert next_try(9, first, near_end, DAY) == first + timedelta(seconds=DAY)
    assert next_try(10, first, first + timedelta(seconds=DAY), DAY) is None
    assert next_try(1, first, first, 0) is None  # redeliver_for = "0": never kept


def test_a_late_alert_says_when_it_was_raised() -> None:
    raised = datetime(2026, 11, 1, 11, 58, tzinfo=UTC)
    assert late_note(raised, raised + timedelta(hours=2)) == "(late: raised 11:58 UTC) "
    assert late_note(raised, raised + timedelta(days=1)) == "(late: raised 2026-11-01 11:58 UTC) "
    alert = Alert("balance_low", "main: balance low", panel="main", at=raised, id=3)
    text = payload(alert, "slack", late="(late: raised 11:58 UTC) ")["text"]
    assert text.endswith("balance_low: (late: raised 11:58 UTC) main: balance low")
    body = payload(alert, "json", late="(late: raised 11:58 UTC) ")
    assert body["late"] is True and body["message"] == "main: balance low" and body["id"] == 3
    assert "late" not in payload(alert, "json")


# --- the sink --------------------------------------------------------------------


@pytest.mark.usefixtures("quick_looks")
def test_a_webhook_down_when_an_alert_is_raised_gets_it_once_back(
    store: Store, clock: FakeClock
) -> None:
    hook = Hook(status=500)
    sink = sink_to(hook.url, store, clock)
    looks = Looks(sink)
    try:
        alert = stored(store, clock)
        assert sink.send(alert) and sink.flush(10)
        (row,) = kept(store)
        assert (row["alert_id"], row["target"], row["failures"]) == (alert.id, "webhook", 1)
        assert parse_iso(row["next_at"]) == clock.now + timedelta(seconds=60)
        assert "HTTP 500" in row["error"] and row["gave_up_at"] is None
        tried = len(hook.bodies)
        hook.status = 200
        assert looks.more(4)  # looks before the minute is up send nothing
        assert len(hook.bodies) == tried
        clock.advance(61)
        assert until(lambda: len(hook.bodies) > tried)
        late = hook.bodies[-1]
        assert late["id"] == alert.id and late["late"] is True
        assert late["message"] == alert.message and late["kind"] == "balance_low"
        assert until(lambda: kept(store) == [])
        assert looks.more()
        assert len(hook.bodies) == tried + 1  # delivered once, not at every look
    finally:
        sink.close()
        hook.close()


@pytest.mark.usefixtures("quick_looks")
def test_an_alert_never_taken_is_given_up_at_the_end_of_its_window(
    store: Store, clock: FakeClock
) -> None:
    before = _delivered()
    hook = Hook(status=500)
    sink = sink_to(hook.url, store, clock, window=120)
    looks = Looks(sink)
    try:
        alert = stored(store, clock)
        with capture_logs() as logs:
            assert sink.send(alert) and sink.flush(10)
            clock.advance(61)
            assert until(lambda: kept(store)[0]["failures"] == 2)
            # that look ended (it gives up, after the failure, whatever the
            # clock says has passed its window: moved now, no last try)
            assert until(lambda: any(e["event"] == "alerts_redelivery" for e in logs))
            clock.advance(60)  # the window's end: one last try
            assert until(lambda: kept(store)[0]["gave_up_at"] is not None)
        (row,) = kept(store)
        assert row["failures"] == 3 and row["next_at"] is None
        given = [e for e in logs if e["event"] == "alert_given_up"]
        assert [(e["alert_id"], e["target"]) for e in given] == [(alert.id, "webhook")]
        assert given[0]["log_level"] == "error"
        posts = len(hook.bodies)
        clock.advance(3600)
        assert looks.more()
        assert len(hook.bodies) == posts  # given up: tried no more
    finally:
        sink.close()
        hook.close()
    gained = {k: n - before.get(k, 0) for k, n in _delivered().items() if n != before.get(k, 0)}
    # Each of its three tries failed (the first and two again), then it was given up.
    assert gained == {"webhook failed": 3, "webhook given_up": 1}


@pytest.mark.usefixtures("quick_looks")
def test_alerts_kept_by_a_run_are_delivered_by_the_next_one(
    tmp_path: Path, clock: FakeClock
) -> None:
    # `run --once` from cron: the webhook was down during one run; the next
    # run's sink sends what is due at once (its first look), not a minute on.
    first = Store(tmp_path / "t.db")
    hook = Hook(status=503)
    sink = sink_to(hook.url, first, clock)
    alert = stored(first, clock)
    assert sink.send(alert) and sink.flush(10)
    sink.close()
    first.close()
    hook.status = 200
    clock.advance(3600)
    again = Store(tmp_path / "t.db")
    tried = len(hook.bodies)
    sink = sink_to(hook.url, again, clock)
    try:
        assert until(lambda: len(hook.bodies) > tried)
        assert hook.bodies[-1]["id"] == alert.id and hook.bodies[-1]["late"] is True
        assert until(lambda: kept(again) == [])
    finally:
        sink.close()
        hook.close()
        again.close()


class FlakyTarget:
    """A notify target (as tracker.alerts.notify.NotifyTarget) that fails
    ``fails`` times, then takes every alert."""

    def __init__(self, fails: int):
        self.name = "alerts.notify[0] (tgram)"
        self.fails = fails
        self.got: list[Alert] = []

    def deliver(self, alert: Alert) -> str | None:
        self.got.append(alert)
        if self.fails:
            self.fails -= 1
            return "delivery failed"
        return None


@pytest.mark.usefixtures("quick_looks")
def test_only_the_target_that_failed_is_sent_the_alert_again(
    store: Store, clock: FakeClock
) -> None:
    hook = Hook()
    target = FlakyTarget(fails=1)
    sink = sink_to(hook.url, store, clock, notify=[target])
    try:
        alert = stored(store, clock)
        assert sink.send(alert) and sink.flush(10)
        assert [r["target"] for r in kept(store)] == ["alerts.notify[0] (tgram)"]
        clock.advance(61)
        assert until(lambda: len(target.got) == 2)
        assert target.got[1].message == "(late: raised 12:00 UTC) " + alert.message
        assert until(lambda: kept(store) == [])
        assert len(hook.bodies) == 1  # the webhook took it the first time: not sent twice
    finally:
        sink.close()
        hook.close()


@pytest.mark.usefixtures("quick_looks")
def test_a_target_back_at_a_later_try_ends_its_outage_in_one_line(
    store: Store, clock: FakeClock
) -> None:
    # Nothing said a target had come back: each alert's alert_redelivered alone.
    hook = Hook(status=500)
    target = FlakyTarget(fails=2)
    sink = sink_to(hook.url, store, clock, notify=[target])
    try:
        with capture_logs() as logs:
            for _ in range(2):
                assert sink.send(stored(store, clock)) and sink.flush(10)
            hook.status = 200
            clock.advance(61)
            assert until(lambda: kept(store) == [])
    finally:
        sink.close()
        hook.close()
    said = [(e["event"], e.get("target"), e["log_level"]) for e in logs]
    assert [s for s in said if s[0] == "webhook_failed"] == [
        ("webhook_failed", None, "warning"),
        ("webhook_failed", None, "debug"),
    ]
    back = [s for s in said if s[0].endswith("_recovered")]
    assert sorted(back) == [  # once each, at the try it took
        ("notify_recovered", "alerts.notify[0] (tgram)", "info"),
        ("webhook_recovered", "webhook", "info"),
    ]
    first = said.index(back[0])
    assert said[first + 1][0] == "alert_redelivered"  # said before what it took


def test_nothing_is_kept_when_redeliver_for_is_zero_or_the_alert_was_not_stored(
    store: Store, clock: FakeClock
) -> None:
    hook = Hook(status=500)
    try:
        off = sink_to(hook.url, store, clock, window=0)
        assert off.send(stored(store, clock)) and off.flush(10)
        off.close()
        unstored = sink_to(hook.url, store, clock)
        assert unstored.send(Alert("balance_low", "main: low", panel="main", at=clock.now))
        assert unstored.flush(10)
        unstored.close()
        assert kept(store) == []
    finally:
        hook.close()


# --- one look --------------------------------------------------------------------


def test_a_target_failing_again_stops_the_look_and_its_alerts_wait_with_the_oldest(
    store: Store, clock: FakeClock
) -> None:
    keeper, alerts = kept_due(store, clock, 3, "webhook", "alerts.notify[0] (tgram)")
    posted: list[int | None] = []

    def down(alert: Alert, late: str) -> str | None:
        posted.append(alert.id)
        return "no answer (ConnectError)"

    target = FlakyTarget(fails=0)
    notify = {"alerts.notify[0] (tgram)": lambda a, late: target.deliver(a)}
    counts = redeliver(keeper, {"webhook": down, **notify}, lambda: False)
    assert posted == [alerts[0].id]  # one failure: the webhook's other alerts wait
    assert counts == {"alerts": 3, "delivered": 3, "failed": 1, "skipped": 2}
    rows = kept(store)
    assert [(r["alert_id"], r["failures"]) for r in rows] == [
        (a.id, 1 + (a is alerts[0])) for a in alerts
    ]
    # Still down: all three wait the oldest's doubled wait, not a look each.
    assert {r["next_at"] for r in rows} == {iso(clock.now + timedelta(seconds=120))}
    assert redeliver(keeper, {"webhook": down, **notify}, lambda: False)["alerts"] == 0


def test_a_target_back_gets_its_alerts_in_the_order_raised(store: Store, clock: FakeClock) -> None:
    # The oldest alert had failed more (its wait an hour), a newer one once:
    # each at its own wait's end sent the recovery before the outage.
    keeper = Keeper(store, clock, DAY)
    outage = stored(store, clock, "panel_unreachable")
    for _ in range(6):
        keeper.failed(outage, "webhook", "HTTP 502")
    recovered = stored(store, clock, "panel_recovered")
    keeper.failed(recovered, "webhook", "HTTP 502")
    clock.advance(61)  # the newer one's minute is up, the older waits ~30 min
    posted: list[str] = []

    def back(alert: Alert, late: str) -> str | None:
        posted.append(alert.kind)
        return None

    assert redeliver(keeper, {"webhook": back}, lambda: False)["delivered"] == 2
    assert posted == ["panel_unreachable", "panel_recovered"] and kept(store) == []


def test_an_alert_for_a_target_no_longer_configured_is_given_up(
    store: Store, clock: FakeClock
) -> None:
    keeper = Keeper(store, clock, DAY)
    alert = stored(store, clock)
    keeper.failed(alert, "alerts.notify[1] (discord)", "delivery failed")
    clock.advance(61)
    assert redeliver(keeper, {}, lambda: False)["failed"] == 1
    (row,) = kept(store)
    assert row["gave_up_at"] == iso(clock.now) and row["error"] == "no longer configured"
    assert row["failures"] == 1  # given up, not tried there: no failure counted


def test_resend_puts_a_given_up_alert_back_with_a_new_window(
    store: Store, clock: FakeClock
) -> None:
    keeper, alert = given_up(store, clock, "webhook")
    assert waiting(store)[0]["gave_up_at"] is not None
    assert resend(store, alert.id or 0, clock.now) == 1
    assert resend(store, 999, clock.now) == 0
    (due,) = keeper.due()
    assert due[0].id == alert.id and due[1] == ["webhook"]
    keeper.failed(alert, "webhook", "HTTP 500")  # counted from the resend
    row = waiting(store)[0]
    assert row["gave_up_at"] is None and row["failures"] == 1


def test_redeliver_for_is_a_duration_and_zero_turns_it_off(tmp_path: Path) -> None:
    base = {"panels": [{"name": "main", "url": "https://panel.example/api/v2", "key": "k" * 32}]}
    for off in (0, "0s"):
        made = config_from_dict(
            {**base, "alerts": {"redeliver_for": off}}, base_dir=tmp_path, env={}
        )
        assert made.alerts.redeliver_for == 0
    default = config_from_dict(base, base_dir=tmp_path, env={})
    assert default.alerts.redeliver_for == DAY
    with pytest.raises(ConfigError) as caught:
        config_from_dict({**base, "alerts": {"redeliver_for": "45d"}}, base_dir=tmp_path, env={})
    assert "alerts.redeliver_for" in str(caught.value)


# --- the CLI ---------------------------------------------------------------------


def test_alerts_undelivered_lists_what_no_target_took_and_resend_puts_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simconfig import OFFLINE_CONFIG, cli_in

    config = OFFLINE_CONFIG + '[alerts]\nwebhook_url = "http://127.0.0.1:9/hook"\n'
    cli = cli_in(tmp_path, monkeypatch, config, env={"SMM_TEST_KEY": None})
    db = Store(tmp_path / "t.db")
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=2))
    keeper = Keeper(db, clock, 3600)
    gone, waits, fine = (stored(db, clock) for _ in range(3))
    keeper.failed(gone, "webhook", "HTTP 500: <html>down</html>")
    clock.advance(3700)
    keeper.failed(gone, "webhook", "HTTP 500: <html>down</html>")  # past its hour: given up
    keeper.failed(waits, "alerts.notify[0] (tgram)", "delivery failed")
    db.close()
    listed = cli("alerts", "--undelivered")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "AT", "KIND", "TARGET"]
    assert [line.split()[0] for line in lines[1:]] == [str(gone.id), str(waits.id)]
    assert "gave up" in lines[1] and "HTTP 500" in lines[1] and "next" in lines[2]
    assert "alerts --resend ID" in listed.stderr
    data = json.loads(cli("alerts", "--undelivered", "--json").stdout)["undelivered"]
    assert [(r["id"], r["target"], r["failures"]) for r in data] == [
        (gone.id, "webhook", 2),
        (waits.id, "alerts.notify[0] (tgram)", 1),
    ]
    again = cli("alerts", "--resend", str(gone.id), "--resend", str(fine.id))
    assert again.exit_code == 0, again.output
    assert again.stdout.count("sent again") == 2
    db = Store(tmp_path / "t.db")
    try:
        rows = {(r["id"], r["target"]): r for r in waiting(db)}
        assert rows[(gone.id, "webhook")]["gave_up_at"] is None  # back, a new window
        assert rows[(fine.id, "*")]["next_at"] is not None  # every target configured then
    finally:
        db.close()
    missing = cli("alerts", "--resend", "999")
    assert missing.exit_code == 1
    assert missing.stderr.strip().splitlines() == [
        "smm-tracker: no alert 999 in " + str(tmp_path / "t.db")
    ]


def takers(*names: str) -> tuple[list[tuple[str, int | None]], dict[str, Any]]:
    """Targets that take every alert, and the (target, alert ID) each took."""
    got: list[tuple[str, int | None]] = []

    def taker(name: str) -> Any:
        return lambda a, late: got.append((name, a.id))

    return got, {name: taker(name) for name in names}


def test_an_alert_resent_by_hand_goes_to_every_target_configured(
    store: Store, clock: FakeClock
) -> None:
    keeper = Keeper(store, clock, DAY)
    alert = stored(store, clock)
    assert resend(store, alert.id or 0, clock.now) == 1
    got, targets = takers("webhook")
    failing = {"alerts.notify[0] (tgram)": lambda a, late: "delivery failed"}
    counts = redeliver(keeper, {**targets, **failing}, lambda: False)
    assert got == [("webhook", alert.id)]
    assert counts["delivered"] == 1 and counts["failed"] == 1
    assert [(r["target"], r["failures"]) for r in kept(store)] == [("alerts.notify[0] (tgram)", 1)]


@pytest.mark.usefixtures("quick_looks")
def test_the_daemon_keeps_an_alert_its_webhook_refused_and_sends_it_once_back(
    tmp_path: Path,
) -> None:
    from tracker.jobs.tracker import Tracker
    from tracker.sim.server import PanelServer, SimulatedPanel

    hook = Hook(status=502)
    with PanelServer(SimulatedPanel(key="k" * 24, seed=4)) as server:
        config = config_from_dict(
            {
                "database": {"path": "t.db"},
                "panels": [{"name": "sim", "url": server.url, "key": "k" * 24}],
                "alerts": {"webhook_url": hook.url},
            },
            base_dir=tmp_path,
            env={},
        )
        tracker = Tracker(config)
        try:
            alert = tracker.watch.alerter.raise_alert(Alert("order_lost", "sim: #5 lost", "sim"))
            assert tracker.watch.sink is not None and tracker.watch.sink.flush(10)
            (row,) = kept(tracker.store)
            assert (row["alert_id"], row["target"]) == (alert.id, "webhook")
            hook.status = 200
            with tracker.store.write() as db:  # its minute has passed
                db.execute("UPDATE alert_deliveries SET next_at = '2000-01-01T00:00:00+00:00'")
            assert until(lambda: kept(tracker.store) == [])
        finally:
            tracker.close()
            hook.close()
    *tries, late = hook.bodies  # its first tries (within its retry budget), then once more
    assert [(b["id"], b.get("late")) for b in tries] == [(alert.id, None)] * len(tries)
    assert (late["id"], late["late"]) == (alert.id, True)


@pytest.mark.usefixtures("quick_backoff")  # doctor asks the offline panel: 10 ms apart
def test_doctor_warns_of_alerts_no_target_took(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simconfig import OFFLINE_CONFIG, cli_in

    hooked = OFFLINE_CONFIG + '[alerts]\nwebhook_url = "http://127.0.0.1:9/hook"\n'
    cli = cli_in(tmp_path, monkeypatch, hooked, env={"SMM_TEST_KEY": "k" * 24})
    db = Store(tmp_path / "t.db")
    clock = FakeClock()
    keeper = Keeper(db, clock, 120)
    first, second = stored(db, clock), stored(db, clock)
    keeper.failed(first, "webhook", "HTTP 500")
    clock.advance(300)
    keeper.failed(first, "webhook", "HTTP 500")  # past its window: given up
    keeper.failed(second, "webhook", "HTTP 502: Bad Gateway")
    db.close()
    lines = [line for line in cli("doctor").stdout.splitlines() if line.startswith("warn alerts:")]
    assert lines == [
        "warn alerts: 2 not taken by their webhook or notify target: 1 tried again (the oldest "
        "failed 2026-11-01T12:05:00+00:00), 1 given up; last error: HTTP 502: Bad Gateway; "
        "`smm-tracker alerts --undelivered` lists them, `alerts --resend ID` sends one again"
    ]
    db = Store(tmp_path / "t.db")
    with db.write() as conn:
        conn.execute("DELETE FROM alert_deliveries")
    db.close()
    assert "warn alerts:" not in cli("doctor").stdout  # every alert taken: no line


def test_a_backlog_drains_look_after_look_without_waiting_between(
    store: Store, clock: FakeClock
) -> None:
    # After a long outage: 25 alerts due. A look takes the oldest 20; the
    # rest went a look later (30 s) each 20, an hour's backlog in minutes.
    _keeper, alerts = kept_due(store, clock, 25)
    hook = Hook()
    sink = sink_to(hook.url, store, clock)  # its first look at once
    try:
        assert until(lambda: kept(store) == [], timeout=10)
    finally:
        sink.close()
        hook.close()
    assert [b["id"] for b in hook.bodies] == [a.id for a in alerts]  # oldest first, once each


@pytest.mark.usefixtures("quick_looks")
def test_alerts_not_queued_are_kept_a_full_queue_and_a_stop(store: Store, clock: FakeClock) -> None:
    # A queue full behind a hanging webhook dropped the alert (a log line);
    # one raised while the tracker stopped, or still queued when the stop's
    # bound ran out, was never sent and never said so. All are kept now:
    # the next look, or the next start, sends them.
    release = threading.Event()

    class Hanging(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            release.wait(10)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = QuietServer(Hanging)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    sink = WebhookSink(
        url, timeout=5, sleep=lambda _s: None, queue_size=1, keeper=Keeper(store, clock, DAY)
    )
    try:
        on_the_wire, queued, dropped = (stored(store, clock) for _ in range(3))
        assert sink.send(on_the_wire)
        assert until(lambda: sink._queue.qsize() == 0)  # taken off the queue: on the wire
        assert sink.send(queued) and not sink.send(dropped)
        assert [(r["alert_id"], r["error"]) for r in kept(store)] == [
            (dropped.id, "not sent: the alert queue was full")
        ]
        sink.close(timeout=0.5)  # the POST still hangs: the queued one is left
        late = stored(store, clock)
        assert not sink.send(late)  # raised during the stop
        rows = {r["alert_id"]: r["error"] for r in kept(store)}
        assert rows == {
            on_the_wire.id: "not sent before the stop",  # its POST may yet fail
            dropped.id: "not sent: the alert queue was full",
            queued.id: "not sent before the stop",
            late.id: "not sent: raised while the tracker was stopping",
        }
        release.set()  # the POST ends: the thread ends too, no look after the close
        assert until(lambda: not sink._thread.is_alive())
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def test_the_metrics_show_alert_deliveries_waiting_and_given_up(
    store: Store, clock: FakeClock
) -> None:
    from tracker.service.callstats import CallCounters
    from tracker.service.jobstats import JobStats
    from tracker.service.metrics import render, take_snapshot

    def gauge() -> dict[str, float]:
        text = render(take_snapshot(store, CallCounters(), JobStats(), ["main"]))
        return {
            line.split('state="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("smm_tracker_alerts_undelivered{")
        }

    assert gauge() == {"waiting": 0, "given_up": 0}  # at 0 from the start
    keeper = Keeper(store, clock, 120)
    first, second = stored(store, clock), stored(store, clock)
    keeper.failed(first, "webhook", "HTTP 500")
    keeper.failed(first, "alerts.notify[0] (tgram)", "delivery failed")
    clock.advance(300)
    keeper.failed(first, "webhook", "HTTP 500")  # given up
    keeper.failed(second, "webhook", "HTTP 500")
    assert gauge() == {"waiting": 2, "given_up": 1}


def test_a_target_that_takes_a_new_alert_gets_what_it_missed_at_once(
    store: Store, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Back after an outage, the webhook took the next alert at once, but the
    # ones it missed waited out their doubled waits (up to an hour).
    keeper = Keeper(store, clock, DAY)
    missed = stored(store, clock, "panel_unreachable")
    for _ in range(6):
        keeper.failed(missed, "webhook", "HTTP 502")  # its next try ~30 min away
    hook = Hook()
    looked, real_look = threading.Event(), WebhookSink._look

    def look(self: WebhookSink) -> bool:  # counted from the thread's first: set before it starts
        try:
            return real_look(self)
        finally:
            looked.set()

    monkeypatch.setattr(WebhookSink, "_look", look)
    sink = sink_to(hook.url, store, clock)
    try:
        # The sink's first look has ended, finding nothing due; the next is a
        # minute away (no quick_looks): only the new alert's delivery can send
        # the missed one now. A fixed 0.2 s hoped the look had come by then.
        assert looked.wait(10), "the sink never looked for the alerts kept"
        assert hook.bodies == []
        fresh = stored(store, clock, "panel_recovered")
        assert sink.send(fresh) and sink.flush(10)
        assert until(lambda: len(hook.bodies) == 2)
        assert [(b["kind"], b.get("late")) for b in hook.bodies] == [
            ("panel_recovered", None),
            ("panel_unreachable", True),
        ]
        assert until(lambda: kept(store) == [])
    finally:
        sink.close()
        hook.close()
