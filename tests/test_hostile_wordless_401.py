"""An error of no words (``{"error": true}``, ``{"error": 1}``, ``{"error":
""}``) answered with HTTP 401, through the real CLI and ``run --once`` on a
scripted loopback panel, is the key's refusal, as the same 401 with words
("Invalid API key") is: the ``auth_failed`` alert opens and the panel's
jobs pause, ``add`` says no order was placed and names the key's setting,
``refill`` and ``cancel`` record nothing sent. It was the call's failure
alone, at every poll ("answered an error with no words (HTTP 401)"), or to
``add``, ``refill`` and ``cancel`` an outcome unknown: a revoked key behind
such a panel never reached the user as one. A 403 stays the call's failure
(a firewall's or a bot check's refusal as often as the key's), and an
``{"error": 1}`` to ``add`` stays an order ID for its error (never lost)."""

from __future__ import annotations

import pytest
from envelope_kit import GOING, cancelled, refilled, rows
from hostile import json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import add_panel, scripted_panel, tracked_ids

pytestmark = pytest.mark.usefixtures("fresh_logs")  # its log lines read from the CLI's output

KEY = "hostile-key-Wordless401Zq"
WORDLESS = "answered an error with no words (HTTP 401)"
ORDERS = "SELECT order_id, status, remains, error FROM orders ORDER BY order_id"
ANSWERS = {"true": {"error": True}, "one": {"error": 1}, "empty": {"error": ""}}
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "9"]


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
@pytest.mark.parametrize("action", ["status", "balance"])
def test_a_401_of_no_words_to_a_read_opens_the_key_alert(tmp_path, monkeypatch, action, answer):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"7": GOING})
        assert cli("track", "7").exit_code == 0
        before = rows(tmp_path, ORDERS)
        replies[action] = json_reply(answer, 401)
        run = cli("run", "--once", "--all")
        alerts = rows(tmp_path, "SELECT kind, message FROM alerts")
    assert "Traceback" not in run.output
    assert "paused (key refused)" in run.output, run.output
    [(kind, message)] = alerts
    assert kind == "auth_failed"
    assert "refused the API key" in message and WORDLESS in message, message
    if action == "status":
        assert rows(tmp_path, ORDERS) == before  # no order's row changed


@pytest.mark.parametrize("answer", [{"error": True}, {"error": ""}], ids=["true", "empty"])
def test_a_401_of_no_words_to_add_is_the_keys_refusal(tmp_path, monkeypatch, answer):
    with add_panel(tmp_path, monkeypatch, KEY) as (server, set_reply, cli):
        set_reply(json_reply(answer, 401))
        placed = cli(*ADD)
        assert server.calls("add") == 1  # never sent twice
    assert placed.exit_code != 0
    assert "outcome unknown" not in placed.output
    assert WORDLESS in placed.output
    assert "no order placed; the panel refuses this key" in placed.output, placed.output
    assert tracked_ids(tmp_path) == []


def test_a_401_naming_an_order_id_for_its_error_to_add_stays_unknown(tmp_path, monkeypatch):
    with add_panel(tmp_path, monkeypatch, KEY) as (_, set_reply, cli):
        set_reply(json_reply({"error": 1}, 401))
        placed = cli(*ADD)
    assert placed.exit_code != 0
    assert "outcome unknown" in placed.output  # order #1 maybe placed: never said not


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_a_401_of_no_words_to_cancel_is_the_keys_refusal(tmp_path, monkeypatch, answer):
    exit_code, said, cancels = cancelled(tmp_path, monkeypatch, KEY, answer, 401)
    assert exit_code != 0
    assert cancels == []  # nothing sent: no cancel recorded, never "unknown"
    assert [line for line in said if WORDLESS in line], said
    assert not [line for line in said if "unknown" in line], said


@pytest.mark.parametrize("answer", [{"error": True}, {"error": ""}], ids=["true", "empty"])
def test_a_401_of_no_words_to_refill_is_the_keys_refusal(tmp_path, monkeypatch, answer):
    exit_code, said, refills = refilled(tmp_path, monkeypatch, KEY, answer, 401)
    assert exit_code != 0
    assert refills == []  # not sent, nothing recorded; never an Unknown refill
    assert [line for line in said if "refill not sent" in line and WORDLESS in line], said


@pytest.mark.parametrize("action", ["status", "balance"])
def test_a_403_of_no_words_stays_the_calls_failure(tmp_path, monkeypatch, action):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"7": GOING})
        assert cli("track", "7").exit_code == 0
        replies[action] = json_reply({"error": True}, 403)
        run = cli("run", "--once", "--all")
        alerts = rows(tmp_path, "SELECT kind FROM alerts")
    assert alerts == []
    assert "answered an error with no words (HTTP 403)" in run.output
    assert "key refused" not in run.output
