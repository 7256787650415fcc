"""The webhook URL's secret parts are blanked from the start of every
process, as the notify URLs' are: registered where the config is read (the
daemon, `run --once`, every CLI command), not only once the daemon's sender
is made, and piece by piece (a token in the path, a password in the user
part), so a receiver echoing one piece of it is not stored or logged.

The redactor's registry is process-wide: each test here starts from an
empty one, as a fresh process does (else what an earlier test registered
would blank it, and the test would pass or fail by the order it ran in)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from conftest import FakeClock
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.alerts.alerter import raise_alert
from tracker.alerts.redeliver import Keeper
from tracker.config.load import config_from_dict
from tracker.redact.scrub import redact_text
from tracker.rules.episodes import Alert
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("fresh_logs")

TOKEN = "Zk3xQ9mWv7TbR2pLs8Yd4Hn6"  # a Discord- or Slack-like token: the path's last part
PASSWORD = "hunter2pass9"
URL = f"https://bot:{PASSWORD}@hooks.example.com/api/webhooks/1234567890/{TOKEN}"


@pytest.fixture
def fresh_redactor(monkeypatch: pytest.MonkeyPatch) -> None:
    """No secret registered, as in a new process; the registry put back after."""
    import tracker.redact.scrub as scrub

    monkeypatch.setattr(scrub, "_secrets", set())
    monkeypatch.setattr(scrub, "_registered", ())
    monkeypatch.setattr(scrub, "_shortest", 0)


def _config(tmp_path: Path, url: str) -> None:
    text = OFFLINE_CONFIG + f'[alerts]\nwebhook_url = "{url}"\n'
    config_from_dict(tomllib.loads(text), base_dir=tmp_path, env={"SMM_TEST_KEY": "k" * 16})


@pytest.mark.usefixtures("fresh_redactor")
def test_reading_the_config_registers_each_secret_piece_of_the_webhook_url(
    tmp_path: Path,
) -> None:
    _config(tmp_path, URL)
    said = f"unknown webhook {TOKEN}; user bot:{PASSWORD} refused"
    blanked = redact_text(said)
    assert TOKEN not in blanked and PASSWORD not in blanked, blanked
    # Host names and short words stay readable.
    assert redact_text("hooks.example.com said: webhooks api") == (
        "hooks.example.com said: webhooks api"
    )


@pytest.mark.usefixtures("fresh_redactor")
def test_a_delivery_error_echoing_the_token_is_stored_blanked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = OFFLINE_CONFIG + f'[alerts]\nwebhook_url = "{URL}"\n'
    cli = cli_in(tmp_path, monkeypatch, config, env={"SMM_TEST_KEY": None})
    db = Store(tmp_path / "t.db")
    first = cli("alerts", "--undelivered")  # the config read, as at any start
    assert first.exit_code == 0, first.stderr
    clock = FakeClock()
    alert = raise_alert(Alert("balance_low", "low", panel="main"), store=db, clock=clock)
    Keeper(db, clock, 3600).failed(alert, "webhook", f"HTTP 404: no webhook {TOKEN}")
    stored = db.db.execute("SELECT error FROM alert_deliveries").fetchall()
    db.close()
    assert stored and all(TOKEN not in row[0] and "***" in row[0] for row in stored), stored
    listed = cli("alerts", "--undelivered")
    assert TOKEN not in listed.stdout and "no webhook ***" in listed.stdout


@pytest.mark.usefixtures("fresh_redactor")
def test_the_daemons_sender_registers_the_pieces_too(tmp_path: Path) -> None:
    from tracker.alerts.webhook import WebhookSink

    sink = WebhookSink(URL)
    try:
        assert TOKEN not in redact_text(f"bad token {TOKEN}")
        assert PASSWORD not in redact_text(f"password {PASSWORD} refused")
    finally:
        sink.close()
