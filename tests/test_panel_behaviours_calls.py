"""End to end: how the tracker calls a panel, and the answers to `add` and
`refill` shared/api-v2.md lists, that no test drove through the CLI before
(see docs/real-panels.md, "Every behaviour and its test").

A scripted panel on loopback (tests/hostile.py) answers each action as the
document says; the real CLI runs against it."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config

import tracker

KEY = "sim-key-Jm3Vc8Rt1Yq6Pw0e"
ADD = ("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100")


def _rows(tmp_path: Any, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute(sql))


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Yield (server, replies, cli): ``replies[action]`` is the answer to an
    action (balance and services answered; any other action refused)."""
    replies: dict[str, Any] = {
        "balance": json_reply({"balance": "10.5", "currency": "USD"}),
        "services": json_reply([]),
    }

    def respond(form: dict[str, str]) -> Reply:
        return replies.get(form.get("action", "")) or json_reply({"error": "Incorrect request"})

    server = HostileServer(respond).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 3')
    yield server, replies, cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    server.stop()


def test_every_call_says_who_is_calling_in_an_honest_user_agent(tmp_path, monkeypatch):
    # Some WAFs block unusual User-Agents: the panel sees name/version on every call.
    seen: list[str | None] = []
    answers = {
        "balance": {"balance": "5", "currency": "USD"},
        "services": [],
        "status": {"7": {"status": "In progress", "remains": "40", "charge": "0.5"}},
    }

    def respond(form: dict[str, str]) -> Any:
        def write(handler: Any) -> None:
            seen.append(handler.headers.get("User-Agent"))
            body = json.dumps(answers.get(form.get("action", ""), {"error": "x"})).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        return write

    with HostileServer(respond) as server:
        config = sim_config(server.url, panel='timeout = "5s"')
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        assert cli("track", "7").exit_code == 0
        result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    assert {f["action"] for f in server.requests} >= {"status", "balance", "services"}
    assert len(seen) == len(server.requests)
    assert set(seen) == {f"smm-tracker/{tracker.__version__}"}
    assert _rows(tmp_path, "SELECT order_id, status, remains FROM orders") == [
        (7, "In progress", 40)
    ]


@pytest.mark.parametrize(
    "words",
    [
        "Not enough funds on balance",
        "You have insufficient balance",
        "Bad Link",
        "Incorrect service ID",
        "neworder.error.not_enough_funds",
        "neworder.error.link_duplicate",
        "error.incorrect_service_id",
        "neworder.error.min_quantity",
    ],
)
def test_an_add_refused_in_the_words_panels_send_is_one_line_and_nothing_tracked(
    panel, tmp_path, words
):
    server, replies, cli = panel
    replies["add"] = json_reply({"error": words})
    result = cli(*ADD)
    assert result.exit_code == 1
    said = [line for line in result.stderr.splitlines() if line.startswith("smm-tracker:")]
    assert len(said) == 1, result.output  # its hint, if any, on that line (services --refresh)
    assert said[0].startswith(f"smm-tracker: sim: add: {words}; no order placed"), result.output
    assert "Traceback" not in result.output and "outcome unknown" not in result.output
    assert _rows(tmp_path, "SELECT count(*) FROM orders") == [(0,)]
    assert [f["action"] for f in server.requests].count("add") == 1  # never resent


@pytest.mark.parametrize("refill", ["12345", 12345])
def test_a_refill_accepted_with_words_beside_its_id_is_that_refill(panel, tmp_path, refill):
    # {"success": "Your order will be refill asap", "refill": 12345}
    _server, replies, cli = panel
    replies["add"] = json_reply({"order": 5})
    assert cli(*ADD).exit_code == 0
    replies["refill"] = json_reply({"success": "Your order will be refill asap", "refill": refill})
    result = cli("refill", "5")
    assert result.exit_code == 0, result.output
    assert result.stdout == "refill 12345 requested for order 5 on sim\n"
    stored = "SELECT order_id, refill_id, status, error FROM refills"
    assert _rows(tmp_path, stored) == [(5, "12345", "Pending", None)]


def test_numbers_as_strings_or_numbers_and_a_null_start_count_are_stored_as_numbers(
    panel, tmp_path
):
    # Within one answer: strings and JSON numbers; start_count null while Pending.
    _server, replies, cli = panel
    replies["status"] = json_reply(
        {
            "7": {"charge": 0.08011655652, "start_count": None, "status": "Pending",
                  "remains": "100", "currency": "USD"},
            "8": {"charge": "0.27819", "start_count": 157, "status": "In progress",
                  "remains": 40, "currency": "USD"},
        }
    )  # fmt: skip
    assert cli("track", "7", "8").exit_code == 0
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    stored = "SELECT order_id, status, charge, start_count, remains, error FROM orders"
    assert _rows(tmp_path, stored + " ORDER BY order_id") == [
        (7, "Pending", 0.08011655652, None, 100, None),
        (8, "In progress", 0.27819, 157, 40, None),
    ]
