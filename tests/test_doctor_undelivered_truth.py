"""doctor's line about the alerts a target has not taken judges the targets
as the daemon does, and gives the latest real error: a notify URL Apprise
does not understand is in the config yet never sent to (the daemon gives its
rows up, "no longer configured"; doctor counted it as configured), and the
last error is the newest failure's, never the marker of a row not tried (it
was the error of the row that FIRST failed most recently: failed_at keeps the
first failure's time)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeClock
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.alerts.alerter import raise_alert
from tracker.alerts.looks import look
from tracker.alerts.notify import targets
from tracker.alerts.redeliver import Keeper, redeliver
from tracker.rules.episodes import Alert
from tracker.store.orders import Store
from tracker.store.outbox import resend, waiting

pytestmark = pytest.mark.usefixtures("fresh_logs", "quick_backoff")

HOOKED = OFFLINE_CONFIG + '[alerts]\nwebhook_url = "http://127.0.0.1:9/hook"\n'
UNREAD = "nosuchservice://someTok3nHere/x"  # Apprise does not understand it
TARGET = "alerts.notify[0] (nosuchservice)"
LISTS = "`smm-tracker alerts --undelivered` lists them"


def _alert(store: Store, clock: FakeClock) -> Alert:
    alert = Alert("balance_low", "main: balance 4.20 USD is below 10.00", panel="main")
    return raise_alert(alert, store=store, clock=clock)


def _lines(cli) -> list[str]:
    return [line for line in cli("doctor").stdout.splitlines() if " alerts: " in line]


def test_a_notify_url_apprise_does_not_understand_is_never_sent_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = HOOKED + f'notify = ["{UNREAD}"]\n'
    cli = cli_in(tmp_path, monkeypatch, config, env={"SMM_TEST_KEY": "k" * 24})
    db = Store(tmp_path / "t.db")
    clock = FakeClock()
    Keeper(db, clock, 3600).failed(_alert(db, clock), TARGET, "delivery failed")
    db.close()
    assert _lines(cli) == [
        f"warn alerts: 1 not taken by {TARGET}, in the config with a URL Apprise does not "
        "understand (its alerts.notify line above), and never sent there: 1 still tried, "
        "given up at the next try (due by 2026-11-01T12:01:00+00:00); a URL Apprise "
        "understands at its place (then a reload) has them tried there; `alerts --resend "
        f"ID` sends one to the targets configured now; {LISTS}"
    ]

    # What the daemon does with it, its targets made as it makes them: given up.
    db = Store(tmp_path / "t.db")
    clock.advance(61)
    made = targets([UNREAD], timeout=1.0)
    assert made == []
    look(Keeper(db, clock, 3600), lambda alert, late: None, made, lambda: False)
    assert [(r["target"], r["error"], bool(r["gave_up_at"])) for r in waiting(db)] == [
        (TARGET, "no longer configured", True)
    ]
    db.close()
    assert _lines(cli) == [
        f"warn alerts: 1 not taken by {TARGET}, in the config with a URL Apprise does not "
        "understand (its alerts.notify line above), and never sent there: 1 given up; "
        f"`alerts --resend ID` sends one to the targets configured now; {LISTS}"
    ]


HEAD = (
    "warn alerts: {n} not taken by their webhook or notify target: {n} tried again (the "
    "oldest failed 2026-11-01T12:00:00+00:00); last error: "
)
TAIL = f"; {LISTS}, `alerts --resend ID` sends one again"


def _webhook(*answers: str):
    said = iter(answers)
    return {"webhook": lambda alert, late: next(said)}


def test_the_last_error_is_the_latest_failure_not_the_latest_first_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_in(tmp_path, monkeypatch, HOOKED, env={"SMM_TEST_KEY": "k" * 24})
    db = Store(tmp_path / "t.db")
    clock = FakeClock()
    keeper = Keeper(db, clock, 3600)
    first, second = _alert(db, clock), _alert(db, clock)
    keeper.failed(first, "webhook", "HTTP 500")  # 12:00, next try 12:01
    clock.advance(30)
    keeper.failed(second, "webhook", "HTTP 502: Bad Gateway")  # 12:00:30: the newest first
    clock.advance(30)
    redeliver(keeper, _webhook("HTTP 503: Service Unavailable"), lambda: False)  # 12:01
    db.close()
    assert _lines(cli) == [f"{HEAD.format(n=2)}HTTP 503: Service Unavailable{TAIL}"]


def test_the_last_error_is_never_the_marker_of_a_row_not_tried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_in(tmp_path, monkeypatch, HOOKED, env={"SMM_TEST_KEY": "k" * 24})
    db = Store(tmp_path / "t.db")
    clock = FakeClock()
    keeper = Keeper(db, clock, 3600)
    first, again = _alert(db, clock), _alert(db, clock)
    keeper.failed(first, "webhook", "HTTP 500")  # 12:00, next try 12:01
    clock.advance(59)
    resend(db, again.id, clock())  # kept nowhere: sent to every target
    clock.advance(1)  # 12:01: the first fails again; the other is not tried there
    redeliver(keeper, _webhook("HTTP 503: Service Unavailable"), lambda: False)
    marker = "not tried: the target failed just before"
    row = {r["id"]: r for r in waiting(db)}[again.id]
    assert (row["error"], row["failures"]) == (marker, 0)  # no failure: not sent there
    db.close()
    # Counted as what it is, sent again by hand and waiting, not among those tried again.
    waits = (
        "1 sent again by hand (`alerts --resend`), waiting to be sent at the daemon's "
        "next look or the next `run --once` (not an error)"
    )
    head = HEAD.format(n=1)
    assert _lines(cli) == [f"{head}HTTP 503: Service Unavailable; {waits}{TAIL}"]
    listed = cli("alerts", "--undelivered")
    assert waits in listed.stderr.splitlines()
    (shown,) = [x for x in listed.stdout.splitlines() if marker in x]
    assert shown.split()[:5] == [
        str(again.id),
        "2026-11-01T12:00:00+00:00",
        "balance_low",
        "webhook",
        "0",
    ]
