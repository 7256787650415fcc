"""doctor says a line for `[alerts] webhook_url` as it does for each notify
URL: its scheme and host:port (never its path or query, which may hold a
token), whether a TCP connection to it opens (nothing is sent: a check must
not notify anyone), and each target's outage the daemon keeps in the
database, with how many alerts wait for it. It said nothing of the webhook,
even with its receiver down."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from conftest import FakeClock
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.alerts.alerter import raise_alert
from tracker.alerts.deliveries import WEBHOOK
from tracker.alerts.outages_kept import KeptOutages
from tracker.alerts.redeliver import Keeper
from tracker.rules.episodes import Alert
from tracker.store.orders import Store

# quick_backoff: doctor asks the panel too (127.0.0.1:9, refused), a retry's
# 1-2 s backoff at every run, no part of the webhook's line.
pytestmark = pytest.mark.usefixtures("fresh_logs", "quick_backoff")

TOKEN = "T0kenXq9Zr7Lm2Np6Vb4"
KEY = {"SMM_TEST_KEY": "k" * 24}


def hooked(url: str) -> str:
    return OFFLINE_CONFIG + f'[alerts]\nwebhook_url = "{url}"\nwebhook_timeout = "5s"\n'


def webhook_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "alerts.webhook:" in line]


def test_a_receiver_that_listens_is_ok_and_is_sent_nothing(tmp_path, monkeypatch):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        url = f"http://127.0.0.1:{port}/hooks/{TOKEN}?secret={TOKEN}"
        cli = cli_in(tmp_path, monkeypatch, hooked(url), env=KEY)
        result = cli("doctor")
        assert webhook_lines(result.stdout) == [
            f"ok   alerts.webhook: http://127.0.0.1:{port} opens a TCP connection (no alert sent)"
        ]
        assert TOKEN not in result.stdout + result.stderr
        server.settimeout(5)
        connection, _ = server.accept()  # doctor's, closed: not one byte sent on it
        with connection:
            connection.settimeout(5)
            assert connection.recv(100) == b""


def test_a_receiver_that_is_down_now_is_a_warning_not_a_failure(tmp_path, monkeypatch):
    # It was a FAIL, exit 1, while the tracker tracks orders without the
    # webhook and keeps every alert it does not take to try it again: a
    # `doctor && systemctl start smm-tracker` left the tracker stopped, no
    # order tracked and no alert sent at all. A warn, exit 0 (the panel
    # answers); the line says the same.
    from simconfig import sim_config

    from tracker.sim.server import PanelServer, SimulatedPanel

    with socket.socket() as spare:  # a port nothing listens on
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    server = PanelServer(SimulatedPanel(key=KEY["SMM_TEST_KEY"], seed=1)).start()
    try:
        config = sim_config(server.url, key_env="SMM_TEST_KEY")
        config += f'[alerts]\nwebhook_url = "http://127.0.0.1:{port}/{TOKEN}"\n'
        config += 'webhook_timeout = "5s"\n'
        result = cli_in(tmp_path, monkeypatch, config, env=KEY)("doctor")
    finally:
        server.stop()
    assert webhook_lines(result.stdout) == [
        # An instant refusal: "no TCP connection within 5s" read as a wait (polish200).
        f"warn alerts.webhook: http://127.0.0.1:{port}: connection refused at once (nothing "
        "listens at that host and port): alerts sent there fail and are kept to be tried "
        "again; is the receiver up, and the port in alerts.webhook_url right?"
    ]
    assert result.exit_code == 0, result.stdout
    assert TOKEN not in result.stdout + result.stderr


def test_a_receiver_silent_until_the_timeout_is_said_so(monkeypatch):
    # A connection never answered (a firewall dropping it) takes the whole
    # timeout: its line says so, as a refusal's no more does.
    from tracker.panel import lookups
    from tracker.service import doctor_webhook

    def silent(addresses, port, deadline):
        raise TimeoutError("timed out")

    monkeypatch.setattr(lookups, "resolve", lambda host, port, timeout: ["127.0.0.1"])
    monkeypatch.setattr(doctor_webhook, "_connect", silent)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    check = doctor_webhook.webhook_check(f"http://127.0.0.1:9/{TOKEN}", 5.0)
    assert check.detail == (
        "http://127.0.0.1:9: no TCP connection within 5s (timed out): alerts sent there "
        "fail and are kept to be tried again; is the receiver up?"
    )


def test_a_webhook_host_that_does_not_exist_still_fails(tmp_path, monkeypatch):
    # The resolver says no such host: the URL is wrong, no alert will ever
    # go there; a FAIL, exit 1, as before.
    import httpcore

    from tracker.panel import lookups

    def no_such_host(host: str, port: int, timeout: float) -> list[str]:
        raise httpcore.ConnectError("[Errno -2] Name or service not known")

    monkeypatch.setattr(lookups, "resolve", no_such_host)
    url = f"https://hooks.invalid/{TOKEN}"
    cli = cli_in(tmp_path, monkeypatch, hooked(url), env={**KEY, "HTTPS_PROXY": None})
    result = cli("doctor")
    assert webhook_lines(result.stdout) == [
        "FAIL alerts.webhook: https://hooks.invalid:443: host not found ([Errno -2] Name or "
        "service not known): check alerts.webhook_url"
    ]
    assert result.exit_code == 1


def _outage(db: Store, clock: FakeClock, url: str, waiting: int) -> None:
    kept = KeptOutages(db, clock, {WEBHOOK: url})
    kept.failed(WEBHOOK)
    clock.advance(3 * 3600)
    kept.failed(WEBHOOK)  # its latest, stored hourly at most
    keeper = Keeper(db, clock, 86400)
    for _ in range(waiting):
        alert = Alert("balance_low", "main: balance 4.20 USD is below 10.00", panel="main")
        keeper.failed(raise_alert(alert, store=db, clock=clock), WEBHOOK, "HTTP 502")


def test_an_outage_the_daemon_keeps_is_said_with_the_alerts_waiting(tmp_path: Path, monkeypatch):
    url = f"http://127.0.0.1:9/{TOKEN}"
    cli = cli_in(tmp_path, monkeypatch, hooked(url), env=KEY)
    db = Store(tmp_path / "t.db")
    _outage(db, FakeClock(), url, waiting=2)
    db.close()
    lines = webhook_lines(cli("doctor").stdout)
    assert lines[1:] == [
        "warn alerts.webhook: has not taken an alert since 2026-11-01T12:00:00+00:00 (the "
        "tracker's sends to it failing since then, as recorded in the database; latest "
        "failure 2026-11-01T15:00:00+00:00): 2 alerts kept to send again wait for it"
    ]
    # The receiver's outage the tracker recorded, not an outage of the daemon (ops95).
    assert "daemon's outage" not in lines[1]


def test_the_outage_of_another_url_at_its_place_is_not_said(tmp_path: Path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, hooked(f"http://127.0.0.1:9/{TOKEN}"), env=KEY)
    db = Store(tmp_path / "t.db")
    _outage(db, FakeClock(), "http://127.0.0.1:9/an-older-url", waiting=0)
    db.close()
    lines = webhook_lines(cli("doctor").stdout)
    assert len(lines) == 1 and lines[0].startswith("warn alerts.webhook: http://127.0.0.1:9:")


def test_a_webhook_a_proxy_carries_is_not_tried_directly(tmp_path, monkeypatch):
    url = f"https://hooks.example.com/services/{TOKEN}"
    env = {**KEY, "HTTPS_PROXY": "http://127.0.0.1:3128", "NO_PROXY": None, "no_proxy": None}
    cli = cli_in(tmp_path, monkeypatch, hooked(url), env=env)
    assert webhook_lines(cli("doctor").stdout) == [
        "skip alerts.webhook: https://hooks.example.com:443 is reached through the proxy "
        "127.0.0.1:3128: connection not tried"
    ]


def test_a_notify_targets_outage_is_said_too(tmp_path: Path, monkeypatch):
    notify = "json://127.0.0.1:9/notify"
    config = OFFLINE_CONFIG + f'[alerts]\nnotify = ["{notify}"]\n'
    cli = cli_in(tmp_path, monkeypatch, config, env=KEY)
    target = "alerts.notify[0] (json)"
    db = Store(tmp_path / "t.db")
    KeptOutages(db, FakeClock(), {target: notify}).failed(target)
    db.close()
    said = [
        line for line in cli("doctor").stdout.splitlines() if line.startswith("warn alerts.notify")
    ]
    assert said == [
        f"warn alerts.notify: {target} has not taken an alert since 2026-11-01T12:00:00+00:00 "
        "(the tracker's sends to it failing since then, as recorded in the database): "
        "no alert waits for it"
    ]
