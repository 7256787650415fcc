"""The alerts kept for a notify URL Apprise does not understand, said as
what they are, alike by the daemon, `alerts --undelivered`, its JSON and
doctor: the URL is still in the config, the daemon never sends there.

Before, the daemon gave their rows up as "no longer configured" (and, with
no webhook beside it, never looked at them at all, doctor saying "given up
at the next try"); `alerts --resend ID` accepted an alert that had nowhere
to go; the listing said nothing of the targets the daemon never sends to."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeClock
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.alerts.alerter import raise_alert
from tracker.alerts.redeliver import Keeper
from tracker.config.load import load_config
from tracker.jobs.tracker import Tracker
from tracker.rules.episodes import Alert
from tracker.store.orders import Store
from tracker.store.outbox import resend, waiting

# quick_backoff: doctor and the daemon ask the panel too (127.0.0.1:9,
# refused), a retry's 1-2 s backoff each time, no part of what is said.
pytestmark = pytest.mark.usefixtures("fresh_logs", "quick_backoff")

UNREAD = "nosuchservice://someTok3nHere/x"  # Apprise does not understand it
TARGET = "alerts.notify[0] (nosuchservice)"
GONE = "alerts.notify[1] (json)"  # a notify place the config no longer has
HOOK = 'webhook_url = "http://127.0.0.1:9/hook"\n'
KEY = {"SMM_TEST_KEY": "k" * 24}


def _config(hooked: bool) -> str:
    return OFFLINE_CONFIG + "[alerts]\n" + HOOK * hooked + f'notify = ["{UNREAD}"]\n'


def _alert(store: Store, clock: FakeClock, message: str = "balance low") -> Alert:
    return raise_alert(Alert("balance_low", message, panel="main"), store=store, clock=clock)


def _until(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    end = time.monotonic() + timeout
    while not (found := check()) and time.monotonic() < end:
        time.sleep(0.02)
    return found


@pytest.mark.parametrize("hooked", [True, False], ids=["beside-a-webhook", "alone"])
def test_the_daemon_gives_up_a_url_apprise_does_not_understand_in_those_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hooked: bool
) -> None:
    cli = cli_in(tmp_path, monkeypatch, _config(hooked), env=KEY)
    db = Store(tmp_path / "t.db")
    clock = FakeClock()  # 2026-11-01: long due by the daemon's clock
    alert = _alert(db, clock)
    Keeper(db, clock, 3600).failed(alert, TARGET, "delivery failed")
    db.close()

    tracker = Tracker(load_config(str(tmp_path / "tracker.toml"), KEY))  # its first look: at once
    try:
        given_up = _until(lambda: [r for r in waiting(tracker.store) if r["gave_up_at"]])
    finally:
        tracker.close()
    words = "a URL Apprise does not understand at alerts.notify[0]"
    assert [(r["target"], r["error"]) for r in given_up] == [(TARGET, words)]

    listed = json.loads(cli("alerts", "--undelivered", "--json").stdout)["undelivered"]
    assert [(r["id"], r["error"]) for r in listed] == [(alert.id, words)]
    shown = cli("alerts", "--undelivered")
    assert words in shown.stdout
    (line,) = [x for x in cli("doctor").stdout.splitlines() if " alerts: " in x]
    resend = "`alerts --resend ID` sends one to the targets configured now"
    nowhere = "no other target configured: nowhere to resend one"
    said = f"and never sent there: 1 given up; {resend if hooked else nowhere}"
    assert said in shown.stderr and said in line
    assert hooked == ("--resend" in shown.stderr + line)  # alone, it refuses: not offered


def test_one_sent_again_by_hand_with_nowhere_to_go_is_given_up_not_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Put back (by an earlier version's `alerts --resend`, or with the URL
    # since mistyped): the daemon has no target for it; its row said it was
    # delivered ("the targets configured now have it") and was deleted.
    cli_in(tmp_path, monkeypatch, _config(False), env=KEY)
    db = Store(tmp_path / "t.db")
    clock = FakeClock()
    alert = _alert(db, clock)
    Keeper(db, clock, 3600).failed(alert, TARGET, "delivery failed")
    assert resend(db, alert.id or 0, clock()) == 1
    db.close()

    tracker = Tracker(load_config(str(tmp_path / "tracker.toml"), KEY))
    try:
        looked = _until(lambda: [r for r in waiting(tracker.store) if r["gave_up_at"]])
        rows = waiting(tracker.store)
    finally:
        tracker.close()
    assert looked and [(r["target"], r["error"], bool(r["gave_up_at"])) for r in rows] == [
        (TARGET, "a URL Apprise does not understand at alerts.notify[0]", True)
    ]


def test_resend_says_there_is_nowhere_to_send_when_apprise_understands_no_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_in(tmp_path, monkeypatch, _config(False), env=KEY)
    db = Store(tmp_path / "t.db")
    clock = FakeClock()
    kept, never = _alert(db, clock), _alert(db, clock)
    Keeper(db, clock, 3600).failed(kept, TARGET, "delivery failed")
    before = waiting(db)
    db.close()

    for alert in (kept, never):
        refused = cli("alerts", "--resend", str(alert.id))
        assert refused.exit_code == 1 and refused.stdout == ""
        assert refused.stderr.strip().splitlines() == [
            f"smm-tracker: {TARGET}: a URL Apprise does not understand, and no other target in "
            "[alerts]: nowhere to send an alert (fix the URL, then reload the daemon, to "
            "resend one)"
        ]
    db = Store(tmp_path / "t.db")
    assert waiting(db) == before  # nothing changed
    db.close()

    # A webhook beside it: the alert goes there.
    cli_in(tmp_path, monkeypatch, _config(True), env=KEY)
    accepted = cli("alerts", "--resend", str(never.id))
    assert accepted.exit_code == 0 and accepted.stdout.startswith(f"alert {never.id}: sent again")


def test_the_listing_its_json_and_doctor_say_the_same_rows_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_in(tmp_path, monkeypatch, _config(True), env=KEY)
    db = Store(tmp_path / "t.db")
    clock = FakeClock()
    keeper = Keeper(db, clock, 3600)
    down, removed, unread, again = (
        _alert(db, clock, m) for m in ("webhook down", "removed", "not understood", "resent")
    )
    keeper.failed(down, "webhook", "HTTP 502: Bad Gateway")
    keeper.failed(removed, GONE, "delivery failed")
    keeper.failed(unread, TARGET, "delivery failed")
    resend(db, again.id or 0, clock())
    db.close()

    due = "still tried, given up at the next try (due by 2026-11-01T12:01:00+00:00)"
    gone = (
        f"1 not taken by {GONE}, no longer in the config, and never sent there: 1 {due}; "
        "the target back in the config (then a reload) has them tried there; "
        "`alerts --resend ID` sends one to the targets configured now"
    )
    not_understood = (
        f"1 not taken by {TARGET}, in the config with a URL Apprise does not understand, "
        f"and never sent there: 1 {due}; a URL Apprise understands at its place (then a "
        "reload) has them tried there; `alerts --resend ID` sends one to the targets "
        "configured now"
    )
    waits = (
        "1 sent again by hand (`alerts --resend`), waiting to be sent at the daemon's next "
        "look or the next `run --once` (not an error)"
    )
    listed = cli("alerts", "--undelivered")
    assert listed.stderr.splitlines() == [gone, not_understood, waits]

    rows = json.loads(cli("alerts", "--undelivered", "--json").stdout)["undelivered"]
    assert {r["id"]: r["never_sent"] for r in rows} == {
        down.id: None,
        removed.id: "no longer in the config",
        unread.id: "in the config with a URL Apprise does not understand",
        again.id: None,
    }

    (line,) = [x for x in cli("doctor").stdout.splitlines() if " alerts: " in x]
    above = not_understood.replace(
        "understand,", "understand (its alerts.notify line above),"
    )  # doctor's FAIL alerts.notify line is above it
    for sentence in (gone, above, waits):
        assert sentence in line
    assert line.startswith("warn alerts: 1 not taken by their webhook or notify target: 1 ")
