"""`alerts --undelivered` as a script reads it: a listing cut at its default
newest 100 says so on stderr, as `alerts`, `orders` and `refills` do (none
with --limit given); piped, the LAST ERROR is whole, escaped, as automation's
REASON is: it says what to fix (before, cut at 60 characters with '…')."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeClock
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.alerts.alerter import raise_alert
from tracker.alerts.redeliver import Keeper
from tracker.rules.episodes import Alert
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("fresh_logs")

CONFIG = OFFLINE_CONFIG + '[alerts]\nwebhook_url = "http://127.0.0.1:9/hook"\n'
CUT = "(the newest 100 shown; --limit N for more)"


def _undelivered(tmp_path: Path, count: int, error: str = "HTTP 502: Bad Gateway") -> None:
    db = Store(tmp_path / "t.db")
    clock = FakeClock()
    keeper = Keeper(db, clock, 3600)
    for n in range(count):
        alert = raise_alert(Alert("balance_low", f"n{n}", panel="main"), store=db, clock=clock)
        keeper.failed(alert, "webhook", error)
        clock.advance(1)
    db.close()


def test_a_listing_cut_at_its_default_says_so_as_alerts_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_in(tmp_path, monkeypatch, CONFIG, env={"SMM_TEST_KEY": None})
    _undelivered(tmp_path, 103)
    listed = cli("alerts", "--undelivered")
    assert listed.exit_code == 0
    assert len(listed.stdout.splitlines()) == 101  # the header, the newest 100
    assert listed.stdout.splitlines()[-1].endswith("n102")
    assert CUT in listed.stderr.splitlines()
    as_json = cli("alerts", "--undelivered", "--json")
    rows = json.loads(as_json.stdout)["undelivered"]
    assert [r["message"] for r in rows] == [f"n{n}" for n in range(3, 103)]
    assert CUT in as_json.stderr.splitlines()
    # A limit asked for is no surprise: nothing said, in the table or JSON.
    for asked in (["--limit", "100"], ["--limit", "200"], ["--json", "--limit", "100"]):
        assert CUT not in cli("alerts", "--undelivered", *asked).stderr


def test_a_listing_that_fits_says_nothing_of_a_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_in(tmp_path, monkeypatch, CONFIG, env={"SMM_TEST_KEY": None})
    _undelivered(tmp_path, 100)
    listed = cli("alerts", "--undelivered")
    assert len(listed.stdout.splitlines()) == 101
    assert CUT not in listed.stderr


def test_piped_the_last_error_is_whole_and_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_in(tmp_path, monkeypatch, CONFIG, env={"SMM_TEST_KEY": None})
    error = (
        "HTTP 503: Service Unavailable (the receiver is down for maintenance until "
        "the evening)\x1b[2J"
    )
    _undelivered(tmp_path, 1, error)
    listed = cli("alerts", "--undelivered")
    assert listed.exit_code == 0
    header, row = listed.stdout.splitlines()
    shown = error.replace("\x1b", "\\x1b")
    assert shown in row and "…" not in row and "\x1b" not in listed.stdout
    assert row.endswith(f"{shown}  n0")  # MESSAGE still last, after it
    assert header.index("MESSAGE") == row.index("n0")  # the columns still aligned
