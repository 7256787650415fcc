"""`[alerts] notify`: alerts through Apprise, beside the webhook, never in a poll's way.

A real Apprise `json://` target posts to an HTTP server on 127.0.0.1; a
second server holds its requests until the test lets go, to show a hanging
service does not hold up the next poll.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from click.testing import CliRunner
from logcapture import fresh_logs  # noqa: F401  (fixture)
from quiet_server import QuietServer
from structlog.testing import capture_logs

from tracker.cli.main import main
from tracker.config.load import config_from_dict
from tracker.errors import ConfigError
from tracker.jobs.tracker import Tracker
from tracker.rules.episodes import Alert
from tracker.service.runs import run_once
from tracker.sim.server import PanelServer, SimulatedPanel

pytest.importorskip("apprise", reason="the notify extra: pip install '.[notify]'")

KEY = "notify-key-Hs4Jd8Kf2Lg6"
TOKEN = "hookToken9Xq2Wm7Zr4Tp"


class Receiver:
    """An HTTP server on 127.0.0.1 keeping each POST body; ``hold`` makes it
    wait (without answering) until released."""

    def __init__(self, *, hold: bool = False):
        self.bodies: list[dict[str, object]] = []
        self.arrived = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                receiver.arrived.set()
                receiver.release.wait(30)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # gave up first
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = QuietServer(Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/{TOKEN}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def world(tmp_path, monkeypatch) -> Iterator[tuple[SimulatedPanel, PanelServer]]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # Apprise goes through requests
    panel = SimulatedPanel(key=KEY, seed=4, speed=600.0)
    with PanelServer(panel) as server:
        yield panel, server


def make_config(tmp_path, server: PanelServer, notify: list[str], **alerts: object):
    return config_from_dict(
        {
            "database": {"path": "t.db"},
            "panels": [{"name": "sim", "url": server.url, "key": KEY, "timeout": "5s"}],
            "refill": {"enabled": False},
            "alerts": {"notify": notify, **alerts},
        },
        base_dir=tmp_path,
        env={},
    )


@pytest.mark.usefixtures("fresh_logs")
def test_an_alert_reaches_an_apprise_json_target(world, tmp_path):
    _, server = world
    receiver = Receiver()
    tracker = Tracker(make_config(tmp_path, server, [receiver.url]))
    try:
        sink = tracker.watch.sink
        assert sink is not None
        with capture_logs() as logs:
            tracker.watch.alerter.raise_alert(
                Alert("balance_low", "sim: balance 1.00 USD is below 5.00", panel="sim")
            )
            assert sink.flush(30)
    finally:
        tracker.close()
        receiver.close()
    [body] = receiver.bodies
    assert body["title"] == "smm-tracker: balance_low"
    assert body["message"] == "sim: balance 1.00 USD is below 5.00"
    assert body["type"] == "warning"
    assert sink.notified == 1 and sink.notify_failed == 0
    assert TOKEN not in repr(logs)


def test_an_alert_reaches_a_target_named_in_notify_file_from_the_credentials_dir(world, tmp_path):
    # The unit's way: the URL in a root-only file handed over by LoadCredential=.
    _, server = world
    receiver = Receiver()
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "notify").write_text(f"# the team's phone\n{receiver.url}\n")
    config = config_from_dict(
        {
            "database": {"path": "t.db"},
            "panels": [{"name": "sim", "url": server.url, "key": KEY, "timeout": "5s"}],
            "refill": {"enabled": False},
            "alerts": {"notify_file": "notify"},
        },
        base_dir=tmp_path,
        env={"CREDENTIALS_DIRECTORY": str(creds)},
    )
    tracker = Tracker(config)
    try:
        sink = tracker.watch.sink
        assert sink is not None
        with capture_logs() as logs:
            tracker.watch.alerter.raise_alert(Alert("order_lost", "sim: #5 lost", panel="sim"))
            assert sink.flush(30)
    finally:
        tracker.close()
        receiver.close()
    assert [body["message"] for body in receiver.bodies] == ["sim: #5 lost"]
    assert TOKEN not in repr(logs)


@pytest.mark.usefixtures("fresh_logs")
def test_a_hanging_target_does_not_hold_up_the_next_poll(world, tmp_path):
    panel, server = world
    hanging = Receiver(hold=True)
    config = make_config(tmp_path, server, [hanging.url], webhook_timeout="1m")
    tracker = Tracker(config)
    try:
        ids = panel.seed_orders(20, status="In progress")
        tracker.store.track("sim", ids, tracker.clock())
        tracker.watch.alerter.raise_alert(Alert("panel_unreachable", "sim: no answer", "sim"))
        assert hanging.arrived.wait(30)  # the notification is on the wire, unanswered
        status = [job for job in tracker.jobs() if job.name == "status:sim"]

        assert run_once(status)  # the poll runs to its end meanwhile

        assert not hanging.release.is_set() and tracker.watch.sink is not None
        assert tracker.watch.sink.notified == 0  # still hanging when the poll finished
        checked = tracker.store.db.execute(
            "SELECT count(*) FROM orders WHERE last_checked_at IS NOT NULL"
        ).fetchone()[0]
        assert checked == 20
    finally:
        hanging.release.set()
        tracker.close()
        hanging.close()


def test_a_target_past_its_deadline_is_one_line_and_skipped_until_it_returns(world):
    from tracker.alerts.notify import NotifyTarget

    hanging = Receiver(hold=True)
    target = NotifyTarget(hanging.url, 0, timeout=0.5)
    try:
        assert target.deliver(Alert("balance_low", "low")) == "no answer within 0.5s"
        assert target.deliver(Alert("balance_low", "low")) == (
            "the previous notification is still running"
        )
        assert target.name == "alerts.notify[0] (json)"
    finally:
        hanging.close()


def test_notify_without_apprise_fails_validation_with_the_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "apprise", None)  # as if the extra were not installed
    with pytest.raises(ConfigError) as caught:
        config_from_dict(
            {
                "database": {"path": "t.db"},
                "panels": [{"name": "m", "url": "https://p.invalid/api/v2", "key": KEY}],
                "alerts": {"notify": [f"tgram://123456:{TOKEN}/-100123"]},
            },
            base_dir=tmp_path,
            env={},
        )
    python = shlex.quote(sys.executable)  # its pip: a bare `pip` is often another Python's
    assert caught.value.problems == [
        f"at 'alerts.notify': needs Apprise: {python} -m pip install 'smm-tracker[notify]'"
    ]


@pytest.mark.parametrize(
    ("notify", "problem"),
    [
        ("tgram://x", "must be a list of Apprise URLs"),
        ([f"not a url {TOKEN}"], "at 'alerts.notify[0]': must be an Apprise URL"),
    ],
)
def test_bad_notify_values_are_named_but_never_echoed(tmp_path, notify, problem):
    with pytest.raises(ConfigError) as caught:
        config_from_dict(
            {
                "database": {"path": "t.db"},
                "panels": [{"name": "m", "url": "https://p.invalid/api/v2", "key": KEY}],
                "alerts": {"notify": notify},
            },
            base_dir=tmp_path,
            env={},
        )
    assert problem in str(caught.value) and TOKEN not in str(caught.value)


@pytest.mark.usefixtures("fresh_logs")
def test_an_url_apprise_does_not_know_is_one_line_without_the_url(world, tmp_path):
    _, server = world
    with capture_logs() as logs:
        tracker = Tracker(make_config(tmp_path, server, [f"nosuchservice://{TOKEN}/x"]))
        tracker.close()
    [line] = [e for e in logs if e["event"] == "notify_target_invalid"]
    assert line["error"] == "alerts.notify[0] (nosuchservice): Apprise does not understand this URL"
    assert TOKEN not in repr(logs)


def test_doctor_fails_a_notify_url_apprise_does_not_know_and_never_shows_it(world, tmp_path):
    _, server = world
    config = tmp_path / "tracker.toml"
    good = "json://127.0.0.1:9/okToken5Rt"
    body = (
        f'[database]\npath = "t.db"\n[[panels]]\nname = "sim"\nurl = "{server.url}"\n'
        f'key = "{KEY}"\n[alerts]\nnotify = ["{good}", "nosuchservice://{TOKEN}/x"]\n'
    )
    config.write_text(body)
    result = CliRunner().invoke(main, ["--config", str(config), "doctor"])
    assert result.exit_code == 1, result.output
    assert (
        "FAIL alerts.notify: alerts.notify[1] (nosuchservice): Apprise does not understand "
        "this URL: no alert is sent there"
    ) in result.output.splitlines()
    assert TOKEN not in result.output and "okToken5Rt" not in result.output
    config.write_text(body.replace(f', "nosuchservice://{TOKEN}/x"', ""))
    result = CliRunner().invoke(main, ["--config", str(config), "doctor"])
    assert "ok   alerts.notify: 1 URL understood by Apprise (none sent)" in result.output


def test_doctor_says_a_notify_url_pasted_with_the_examples_placeholders(world, tmp_path):
    # The README's tgram://BOT_TOKEN/CHAT_ID saved as written: Apprise does not
    # understand it, and "does not understand this URL" sent the user looking
    # for a typo. The placeholder itself stays blanked (the URL's secret part).
    _, server = world
    config = tmp_path / "tracker.toml"
    config.write_text(
        f'[database]\npath = "t.db"\n[[panels]]\nname = "sim"\nurl = "{server.url}"\n'
        f'key = "{KEY}"\n[alerts]\nnotify = ["tgram://BOT_TOKEN/CHAT_ID"]\n'
    )
    result = CliRunner().invoke(main, ["--config", str(config), "doctor"])
    assert result.exit_code == 1, result.output
    assert (
        "FAIL alerts.notify: alerts.notify[0] (tgram): Apprise does not understand this URL "
        "(it holds the example's placeholders: put your own bot token and chat ID there): "
        "no alert is sent there"
    ) in result.output.splitlines()
    assert "BOT_TOKEN" not in result.output


def test_a_host_whose_port_is_not_ascii_digits_is_kept_out_of_logs(monkeypatch):
    # A host part that is no host name may carry a token (tgram://TOKEN/CHAT):
    # "hooks.example:١٢٣٤" is none (a port is ASCII digits), so it is a secret.
    from tracker.config import notify

    registered: list[str] = []
    monkeypatch.setattr(notify, "register_secret", registered.append)
    notify.register_urls(["json://hooks.example:١٢٣٤/x", "json://hooks.example:8443/x"])
    assert "hooks.example:١٢٣٤" in registered
    assert "hooks.example:8443" not in registered  # a host name and its port: readable


@pytest.mark.usefixtures("fresh_logs")
def test_a_failing_webhook_does_not_hold_up_the_notify_targets(monkeypatch):
    # A webhook that hangs is retried within its budget (a minute): the
    # Telegram message, say, went out only after all of it, alert after alert.
    from tracker.alerts.notify import NotifyTarget
    from tracker.alerts.webhook import WebhookSink

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    hook, target = Receiver(hold=True), Receiver()
    hook_url = f"http://127.0.0.1:{hook.server.server_address[1]}/hook"
    # The webhook's deadline, 30 s, outlasts the wait for the target: the
    # target's message reached while the webhook's first try is still held.
    sink = WebhookSink(
        hook_url, timeout=30.0, budget=30.0, notify=[NotifyTarget(target.url, 0, timeout=20.0)]
    )
    try:
        sink.send(Alert("balance_low", "sim: balance 1.00 USD is below 5.00", panel="sim"))
        assert target.arrived.wait(20)  # not after the webhook's tries
        assert hook.arrived.wait(20) and sink.failed == 0  # the POST still on the wire
        assert [b["title"] for b in target.bodies] == ["smm-tracker: balance_low"]
        hook.release.set()
        assert sink.flush(30)
        assert sink.notified == 1 and sink.sent == 1
    finally:
        sink.close(1)
        hook.close()
        target.close()
