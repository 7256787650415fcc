"""A panel's text inside an alert reaches a phone or a chat as characters, never obeyed.

A hostile panel answers ``balance`` with a currency full of terminal escapes
(ESC[2J, an OSC 8 hyperlink, an OSC 52 clipboard write), a C1 control, a
right-to-left override, CR and NUL. `run --once` raises balance_low and hands
it to a real Apprise ntfy:// target, its POST caught at requests.post: the
body must carry those characters escaped, as every other panel word in an
alert is, and the currency cut short, as the CLI shows it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hostile import HostileServer, json_reply
from simconfig import cli_in, sim_config

from tracker.alerts.alerter import raise_alert
from tracker.rules.episodes import Alert

KEY = "hostile-key-Notify7305"
BAD = "\x9b31m\u202eDSU\u2066\r\x00\x1b[2J\x1b]8;;https://evil.example/\x07click\x1b]52;c;cHduZWQ=\x07"
CURRENCY = "US" + BAD + "C" * 5_000
# What a terminal, a phone's notification or a chat client would obey or hide.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


class _Answer:
    status_code = 200
    content = b"{}"
    text = "{}"
    headers: dict[str, str] = {}


@pytest.fixture
def posted(monkeypatch) -> list[dict[str, Any]]:
    """What Apprise posts (to an unreachable ntfy server), caught at requests.post."""
    pytest.importorskip("apprise", reason="the notify extra: pip install '.[notify]'")
    import requests

    bodies: list[dict[str, Any]] = []

    def post(url: str, *args: Any, **kwargs: Any) -> _Answer:
        bodies.append(json.loads(kwargs.get("data") or "{}"))
        return _Answer()

    monkeypatch.setattr(requests, "post", post)
    return bodies


@pytest.fixture
def cli(tmp_path, monkeypatch):
    def answer(form: dict[str, str]):
        if form.get("action") == "balance":
            return json_reply({"balance": "1.50", "currency": CURRENCY})
        return json_reply([])  # services: none

    with HostileServer(answer) as server:
        config = sim_config(server.url, panel='timeout = "5s"\nretries = 0\nbalance_low = 10')
        config += '[alerts]\nnotify = ["ntfy://ntfy.example/topic"]\n'
        yield cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})


def test_a_currency_of_escapes_reaches_a_notification_escaped_and_cut(cli, posted):
    result = cli("run", "--once")
    assert result.exit_code == 0, result.stdout + result.stderr
    [body] = [b for b in posted if "balance_low" in b.get("title", "")]
    message = body["message"]
    assert UNSAFE.search(message) is None, repr(message)
    # Shown as the CLI shows it: each character there to read, none obeyed.
    assert "US\\x9b31m\\u202eDSU\\u2066\\r\\x00\\x1b[2J\\x1b]8;;https://evil.exam…" in message
    # The currency cut as everywhere else (40 characters), not 1,000 twice.
    assert "CCCCCCCCCCCCCCCCCCCCC" not in message and "…" in message
    assert len(message) < 400, len(message)


def test_every_alert_is_stored_and_sent_with_its_controls_escaped():
    # Whatever rule builds an alert, nothing it carries is obeyed downstream.
    sent: list[Alert] = []

    class Sink:
        def send(self, alert: Alert) -> bool:
            sent.append(alert)
            return True

    raised = raise_alert(Alert("order_canceled", "main: #5 \x1b[31mred\u202eevil\r"), sink=Sink())
    assert raised.message == "main: #5 \\x1b[31mred\\u202eevil\\r"
    assert [a.message for a in sent] == [raised.message]
