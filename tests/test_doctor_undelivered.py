"""doctor's line about the alerts a target has not taken says what is true
of each: one sent again by hand (`alerts --resend`) waits to be sent, not an
error (it read "last error: sent again by hand", the row's marker); one of a
target since removed from the config is never sent there, the daemon giving
it up at its next try (it read "not taken by their webhook", as if tried
there again)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeClock
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.alerts.alerter import raise_alert
from tracker.alerts.redeliver import Keeper, redeliver
from tracker.rules.episodes import Alert
from tracker.store.orders import Store
from tracker.store.outbox import resend, waiting

pytestmark = pytest.mark.usefixtures("fresh_logs", "quick_backoff")

HOOKED = OFFLINE_CONFIG + '[alerts]\nwebhook_url = "http://127.0.0.1:9/hook"\n'
TGRAM = "alerts.notify[0] (tgram)"  # a notify target the config no longer names
LISTS = "`smm-tracker alerts --undelivered` lists them"
WAITING = (
    "sent again by hand (`alerts --resend`), waiting to be sent at the daemon's next look "
    "or the next `run --once` (not an error)"
)


def _alert(store: Store, clock: FakeClock) -> Alert:
    alert = Alert("balance_low", "main: balance 4.20 USD is below 10.00", panel="main")
    return raise_alert(alert, store=store, clock=clock)


def _lines(cli) -> list[str]:
    return [line for line in cli("doctor").stdout.splitlines() if " alerts: " in line]


def test_an_alert_sent_again_by_hand_waits_it_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_in(tmp_path, monkeypatch, HOOKED, env={"SMM_TEST_KEY": "k" * 24})
    db = Store(tmp_path / "t.db")
    clock = FakeClock()
    keeper = Keeper(db, clock, 120)
    taken, refused = _alert(db, clock), _alert(db, clock)
    keeper.failed(refused, "webhook", "HTTP 500")
    clock.advance(300)
    keeper.failed(refused, "webhook", "HTTP 500")  # given up
    resend(db, taken.id, clock())  # one no target kept: a row for every target, its marker
    resend(db, refused.id, clock())  # one given up: put back, its last error kept
    assert {r["error"] for r in waiting(db)} == {"sent again by hand", "HTTP 500"}
    db.close()
    assert _lines(cli) == [f"info alerts: 2 {WAITING}; {LISTS}"]

    db = Store(tmp_path / "t.db")  # a real failure beside them: its error, not the marker
    late = _alert(db, clock)
    Keeper(db, clock, 120).failed(late, "webhook", "HTTP 502: Bad Gateway")
    db.close()
    assert _lines(cli) == [
        "warn alerts: 1 not taken by their webhook or notify target: 1 tried again (the "
        "oldest failed 2026-11-01T12:05:00+00:00); last error: HTTP 502: Bad Gateway; "
        f"2 {WAITING}; {LISTS}, `alerts --resend ID` sends one again"
    ]


def test_alerts_of_a_target_removed_from_the_config_are_said_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_in(tmp_path, monkeypatch, HOOKED, env={"SMM_TEST_KEY": "k" * 24})
    db = Store(tmp_path / "t.db")
    clock = FakeClock()
    keeper = Keeper(db, clock, 3600)
    first, second = _alert(db, clock), _alert(db, clock)
    keeper.failed(first, TGRAM, "delivery failed")  # next try at 12:01
    keeper.failed(second, TGRAM, "delivery failed")
    keeper.failed(second, "webhook", "HTTP 503")  # the webhook, still configured
    db.close()
    removed = (
        f"2 not taken by {TGRAM}, no longer in the config, and never sent there: 2 still "
        "tried, given up at the next try (due by 2026-11-01T12:01:00+00:00); the target "
        "back in the config (then a reload) has them tried there; `alerts --resend ID` "
        "sends one to the targets configured now"
    )
    assert _lines(cli) == [
        "warn alerts: 1 not taken by their webhook or notify target: 1 tried again (the "
        f"oldest failed 2026-11-01T12:00:00+00:00); last error: HTTP 503; {removed}; "
        f"{LISTS}, `alerts --resend ID` sends one again"
    ]

    # What the daemon does with them at their next try: given up, never sent there.
    db = Store(tmp_path / "t.db")
    clock.advance(61)
    redeliver(Keeper(db, clock, 3600), {"webhook": lambda alert, late: None}, lambda: False)
    assert [(r["target"], r["error"], bool(r["gave_up_at"])) for r in waiting(db)] == [
        (TGRAM, "no longer configured", True),
        (TGRAM, "no longer configured", True),
    ]
    db.close()
    assert _lines(cli) == [
        f"warn alerts: 2 not taken by {TGRAM}, no longer in the config, and never sent "
        "there: 2 given up; `alerts --resend ID` sends one to the targets configured now; "
        f"{LISTS}"
    ]
