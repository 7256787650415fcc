"""`alerts --resend ID` names alerts by ID: every listing option beside it
is a one-line usage error (exit 2), nothing resent. Before, `--limit` was
taken and silently ignored (the alert resent)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeClock
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.alerts.alerter import raise_alert
from tracker.alerts.redeliver import Keeper
from tracker.rules.episodes import Alert
from tracker.store.orders import Store
from tracker.store.outbox import waiting

HOOKED = OFFLINE_CONFIG + '[alerts]\nwebhook_url = "http://127.0.0.1:9/hook"\n'


def _undelivered(path: Path) -> tuple[Alert, object]:
    """An alert the webhook did not take, stored in the database at ``path``;
    return it and what waits to be sent."""
    db = Store(path)
    clock = FakeClock()
    alert = raise_alert(Alert("balance_low", "balance low", panel="main"), store=db, clock=clock)
    Keeper(db, clock, 3600).failed(alert, "webhook", "HTTP 502")
    before = waiting(db)
    db.close()
    return alert, before


@pytest.mark.parametrize(
    ("given", "named"),
    [
        (["--limit", "3"], "--limit"),
        (["--limit", "100"], "--limit"),  # the default's value, given: refused all the same
        (["--limit", "3", "--panel", "main"], "--panel, --limit"),
    ],
)
def test_resend_refuses_a_listing_option_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: list[str], named: str
) -> None:
    cli = cli_in(tmp_path, monkeypatch, HOOKED, env={"SMM_TEST_KEY": "k" * 24})
    alert, before = _undelivered(tmp_path / "t.db")

    said = cli("alerts", "--resend", str(alert.id), *given)
    assert said.exit_code == 2 and said.stdout == ""
    (line,) = said.stderr.splitlines()  # one line (its program name: the runner's)
    assert line.startswith(
        f"smm-tracker: --resend names alerts by ID: it takes no {named} (list them first) (see '"
    )
    db = Store(tmp_path / "t.db")
    assert waiting(db) == before  # nothing resent
    db.close()

    alone = cli("alerts", "--resend", str(alert.id))
    assert alone.exit_code == 0 and alone.stdout.startswith(f"alert {alert.id}: sent again")


def test_resend_refuses_database_the_daemon_never_reads_and_writes_nothing_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `--resend 1 --database copy.db` wrote its mark into the copy and said
    # "sent again by the next run": the daemon reads database.path, never it.
    cli = cli_in(tmp_path, monkeypatch, HOOKED, env={"SMM_TEST_KEY": "k" * 24})
    alert, before = _undelivered(tmp_path / "copy.db")

    said = cli("alerts", "--resend", str(alert.id), "--database", str(tmp_path / "copy.db"))
    assert said.exit_code == 2 and said.stdout == ""
    (line,) = said.stderr.splitlines()
    assert line.startswith(
        "smm-tracker: --resend sets alerts to go again from the daemon's database "
        "(database.path): it takes no --database (see '"
    )
    db = Store(tmp_path / "copy.db")
    assert waiting(db) == before  # nothing marked in the file named
    db.close()
