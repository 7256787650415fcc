"""The alerts kept with no target left in [alerts] (the webhook and every
notify URL removed): the daemon and `run --once` give them up at once, each
said (`alert_given_up`) and kept with why, as doctor and `alerts
--undelivered` say beforehand.

Before, with no target the daemon made no alert sink, so those rows were
never looked at again, while doctor said they were "given up at the next
try": they stayed "still tried" for good."""

from __future__ import annotations

from pathlib import Path

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import OFFLINE_CONFIG, cli_in
from structlog.testing import capture_logs

from tracker.alerts.alerter import raise_alert
from tracker.alerts.redeliver import Keeper
from tracker.clock import utcnow
from tracker.config.load import load_config
from tracker.jobs.tracker import Tracker
from tracker.rules.episodes import Alert
from tracker.store.orders import Store
from tracker.store.outbox import resend, waiting

# quick_backoff: doctor and the run ask the panel (127.0.0.1:9, refused), a
# retry's 1-2 s backoff each time, no part of what is given up.
pytestmark = pytest.mark.usefixtures("fresh_logs", "quick_backoff")

KEY = {"SMM_TEST_KEY": "k" * 24}
NO_TARGET = "no webhook or notify target configured"
AT_START = "given up at the daemon's next start or reload or the next `run --once`"


def _keep(tmp_path: Path) -> tuple[int, int]:
    """A webhook's alert still tried (its next try a minute ahead, by the real
    clock) and one sent again by hand; return their IDs."""
    db = Store(tmp_path / "t.db")
    kept, again = (
        raise_alert(Alert("balance_low", m, panel="main"), store=db, clock=utcnow)
        for m in ("balance low", "resent")
    )
    Keeper(db, utcnow, 3600).failed(kept, "webhook", "HTTP 502: Bad Gateway")
    resend(db, again.id or 0, utcnow())
    db.close()
    return kept.id or 0, again.id or 0


def _rows(tmp_path: Path) -> list[tuple[int, str, int, str, bool]]:
    db = Store(tmp_path / "t.db")
    try:
        return [
            (r["id"], r["target"], r["failures"], r["error"], bool(r["gave_up_at"]))
            for r in waiting(db)
        ]
    finally:
        db.close()


def test_the_daemon_gives_up_what_no_target_is_left_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env=KEY)  # no [alerts] at all
    kept, again = _keep(tmp_path)

    # Beforehand, doctor and the listing say what the daemon will do.
    (line,) = [x for x in cli("doctor").stdout.splitlines() if " alerts: " in x]
    listed = cli("alerts", "--undelivered")
    for said in (
        f"1 not taken by webhook, no longer in the config, and never sent there: 1 still "
        f"tried, {AT_START}",
        f"1 sent again by hand (`alerts --resend`), no target to send them to: {AT_START}",
    ):
        assert said in line and said in listed.stderr

    with capture_logs() as logs:
        tracker = Tracker(load_config(str(tmp_path / "tracker.toml"), KEY))  # a start
        tracker.close()
    # Given up untried: their failures as they were (1 at the webhook, none resent).
    assert _rows(tmp_path) == [
        (kept, "webhook", 1, NO_TARGET, True),
        (again, "*", 0, NO_TARGET, True),
    ]
    told = [e for e in logs if e["event"] == "alert_given_up"]
    assert [(e["alert_id"], e["target"], e["error"]) for e in told] == [
        (kept, "webhook", NO_TARGET),
        (again, "*", NO_TARGET),
    ]
    (line,) = [x for x in cli("doctor").stdout.splitlines() if " alerts: " in x]
    assert "never sent there: 1 given up; no other target configured" in line
    assert "still tried" not in line


def test_run_once_gives_them_up_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The panel refuses every connection: no retries, the run over in a moment.
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env=KEY)
    kept, again = _keep(tmp_path)
    cli("run", "--once")
    # Given up untried: their failures as they were (1 at the webhook, none resent).
    assert _rows(tmp_path) == [
        (kept, "webhook", 1, NO_TARGET, True),
        (again, "*", 0, NO_TARGET, True),
    ]


NOT_KEPT = "alerts.redeliver_for is 0: not sent again"
NEVER_AGAIN = '[alerts]\nwebhook_url = "http://127.0.0.1:9/hook"\nredeliver_for = "0s"\n'


def test_redeliver_for_0_gives_up_what_was_kept_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With a target but `alerts.redeliver_for = 0`, the alerts kept before
    # were never looked at again (the look asks for none), while doctor
    # said "1 tried again": still tried for good.
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG + NEVER_AGAIN, env=KEY)
    kept, again = _keep(tmp_path)
    (line,) = [x for x in cli("doctor").stdout.splitlines() if " alerts: " in x]
    assert f"1 kept from before `alerts.redeliver_for = 0`, {AT_START}" in line
    assert "tried again" not in line
    listed = cli("alerts", "--undelivered").stderr
    for said in (
        f"1 kept from before `alerts.redeliver_for = 0`, {AT_START}",
        f"1 sent again by hand (`alerts --resend`), kept from before "
        f"`alerts.redeliver_for = 0`, {AT_START}",
    ):
        assert said in line and said in listed, (said, line, listed)

    with capture_logs() as logs:
        tracker = Tracker(load_config(str(tmp_path / "tracker.toml"), KEY))  # a start
        tracker.close()
    assert _rows(tmp_path) == [
        (kept, "webhook", 1, NOT_KEPT, True),
        (again, "*", 0, NOT_KEPT, True),
    ]
    told = [e for e in logs if e["event"] == "alert_given_up"]
    assert [(e["alert_id"], e["target"], e["error"]) for e in told] == [
        (kept, "webhook", NOT_KEPT),
        (again, "*", NOT_KEPT),
    ]
    (line,) = [x for x in cli("doctor").stdout.splitlines() if " alerts: " in x]
    assert "2 given up; last error: " + NOT_KEPT in line
    assert "kept from before" not in line and "--resend" not in line
    assert "--resend" not in cli("alerts", "--undelivered").stderr  # it refuses with 0
