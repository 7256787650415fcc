"""`alerts --undelivered`'s notes count every undelivered alert of the
listing's panel and window, as doctor does, also when `--limit` (or the
default 100) shows fewer rows: they counted the rows shown, so `--limit 1`
said "1 not taken by ..." of three, doctor saying 3."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeClock
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.alerts.alerter import raise_alert
from tracker.alerts.redeliver import Keeper
from tracker.rules.episodes import Alert
from tracker.store.orders import Store
from tracker.store.outbox import resend

pytestmark = pytest.mark.usefixtures("fresh_logs", "quick_backoff")

HOOKED = OFFLINE_CONFIG + '[alerts]\nwebhook_url = "http://127.0.0.1:9/hook"\n'
TGRAM = "alerts.notify[0] (tgram)"  # a notify target the config no longer names


def _alert(store: Store, clock: FakeClock) -> Alert:
    alert = Alert("balance_low", "main: balance 4.20 USD is below 10.00", panel="main")
    return raise_alert(alert, store=store, clock=clock)


def test_the_notes_count_every_undelivered_alert_not_only_the_rows_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_in(tmp_path, monkeypatch, HOOKED, env={"SMM_TEST_KEY": "k" * 24})
    db = Store(tmp_path / "t.db")
    clock = FakeClock()
    keeper = Keeper(db, clock, 3600)
    for _ in range(3):
        keeper.failed(_alert(db, clock), TGRAM, "delivery failed")
    for _ in range(2):
        resend(db, _alert(db, clock).id, clock())  # sent again by hand, waiting
    db.close()

    whole = cli("alerts", "--undelivered")
    cut = cli("alerts", "--undelivered", "--limit", "1")
    assert whole.exit_code == cut.exit_code == 0, cut.output
    assert len(cut.stdout.splitlines()) == 2  # its header and the one row asked for
    notes = [line for line in cut.stderr.splitlines() if "not taken by" in line]
    assert len(notes) == 1 and notes[0].startswith(f"3 not taken by {TGRAM}, "), cut.stderr
    assert "2 sent again by hand" in cut.stderr
    # The same notes as the whole listing's, which doctor's line counts alike.
    assert cut.stderr == whole.stderr
    assert "3 not taken by" in cli("doctor").stdout


def test_the_resend_note_is_said_of_a_given_up_alert_not_among_the_rows_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The note offering `alerts --resend ID` was decided by the rows shown
    # (cut at --limit) where the notes beside it count every row of the
    # window: an alert given up behind the newest rows went unsaid.
    cli = cli_in(tmp_path, monkeypatch, HOOKED, env={"SMM_TEST_KEY": "k" * 24})
    db = Store(tmp_path / "t.db")
    clock = FakeClock()
    keeper = Keeper(db, clock, 3600)
    keeper.failed(_alert(db, clock), "webhook", "HTTP 500")
    clock.advance(3601)
    keeper.expire("webhook", "HTTP 500")  # its window over: given up
    for _ in range(2):
        clock.advance(60)
        keeper.failed(_alert(db, clock), "webhook", "HTTP 500")  # still tried
    db.close()

    cut = cli("alerts", "--undelivered", "--limit", "1")
    assert cut.exit_code == 0, cut.output
    assert len(cut.stdout.splitlines()) == 2 and "gave up" not in cut.stdout
    assert "(alerts --resend ID sends one given up again)" in cut.stderr, cut.stderr
    whole = cli("alerts", "--undelivered")
    assert "gave up" in whole.stdout and cut.stderr == whole.stderr
