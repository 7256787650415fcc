"""An error of no words (``{"error": true}``, 1, "true", ``""``, null,
``[]``, ``{}``) answered to any action, through the real CLI (or the refill
job's steps) and a scripted panel on loopback, reaches the user as
"answered an error with no words: <the answer as JSON>", never as the bare
token: "status refused for every order asked: true", "services: true",
"HTTP 500: true", a refill's status error "true". To a read it is the
call's failure: no order's row or refill's row changes, no alert opens. An
answer said in a message is written as JSON, never as Python's repr
(``{'error': ''}``)."""

from __future__ import annotations

from typing import Any

import pytest
from envelope_kit import GOING, rows
from hostile import json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import follow_refills_once, request_refills_once, scripted_panel
from structlog.testing import capture_logs

pytestmark = pytest.mark.usefixtures("fresh_logs")  # its log lines read from the CLI's output

KEY = "hostile-key-Everywhere199Zq"
WORDLESS = "answered an error with no words"
TOKENS = {"true", "1", "None", "null", "[]", "{}", "''", '""'}
ORDERS = "SELECT order_id, status, remains, error FROM orders ORDER BY order_id"
REFILLS = "SELECT order_id, refill_id, status, error FROM refills ORDER BY order_id"
ACTIONS = [
    "add",
    "status",
    "multi status",
    "refill",
    "multi refill",
    "refill_status",
    "cancel",
    "balance",
    "services",
]
READS = ("status", "multi status", "refill_status", "balance", "services")
ANSWERS = {
    "true": {"error": True},
    "one": {"error": 1},
    "true-text": {"error": "true"},
    "empty": {"error": ""},
    "null": {"error": None},
    "list": {"error": []},
    "object": {"error": {}},
}


def _acted(
    tmp_path: Any, monkeypatch: Any, action: str, reply: Any, failed: bool = True
) -> list[str]:
    """The panel answers ``action`` with ``reply`` (the rest as a panel
    does): what the user reads of it (the command's lines, the job's log
    events' words, the rows' errors, the alerts' messages). A read changes
    no order's or refill's row when it ``failed``."""
    logs: list[dict[str, Any]] = []
    two = action in ("multi status", "multi refill")
    name = action.split()[-1]
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["status"] = json_reply({"7": GOING, "8": GOING} if two else GOING)
        replies["refill"] = json_reply({"refill": 55})
        if action != "add":
            assert cli("track", *(["7", "8"] if two else ["7"])).exit_code == 0
        if action == "refill_status":
            assert cli("refill", "7").exit_code == 0
        if action == "balance":
            assert cli("run", "--once", "--all").exit_code == 0
        before = [rows(tmp_path, ORDERS), rows(tmp_path, REFILLS)] if action != "add" else []
        replies[name] = reply
        result = None
        if action == "add":
            place = ["--service", "1", "--link", "https://x.test/p", "--quantity", "9"]
            result = cli("add", *place)
        elif action in ("status", "multi status", "balance"):
            result = cli("run", "--once", "--all")
        elif action == "services":
            result = cli("services", "--refresh")
        elif action == "cancel":
            result = cli("cancel", "--yes", "--force", "7")
        elif action == "refill":
            result = cli("refill", "7")
        elif action == "multi refill":
            with capture_logs() as logs:
                request_refills_once(tmp_path / "t.db", server.url, KEY, [7, 8])
        else:
            with capture_logs() as logs:
                follow_refills_once(tmp_path / "t.db", server.url, KEY)
        if action in READS and failed:
            assert [rows(tmp_path, ORDERS), rows(tmp_path, REFILLS)] == before
        stored = rows(tmp_path, REFILLS) if action != "add" else []
        alerts = rows(tmp_path, "SELECT kind, message FROM alerts") if action != "add" else []
    assert result is None or "Traceback" not in result.output
    texts = result.output.splitlines() if result is not None else []
    texts += [v for event in logs for v in event.values() if isinstance(v, str)]
    texts += [v for row in stored + alerts for v in row if isinstance(v, str)]
    if action in READS and failed:
        assert not alerts  # no auth_failed, no panel_unreachable: the call failed alone
    return texts


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
@pytest.mark.parametrize("action", ACTIONS)
def test_an_error_of_no_words_is_never_said_as_its_token(tmp_path, monkeypatch, action, answer):
    texts = _acted(tmp_path, monkeypatch, action, json_reply(answer))
    assert not [t for t in texts if t.rsplit(": ", 1)[-1].strip(" '") in TOKENS], texts
    assert not [t for t in texts if "{'" in t], texts  # Python's rendering of the answer
    if answer != {"error": 1} or action not in ("add", "refill", "multi refill"):  # 1: an ID
        assert [t for t in texts if WORDLESS in t], texts


# A 401 is the key's refusal, words or none: test_hostile_wordless_401.py.
@pytest.mark.parametrize("code", [400, 403, 500])
@pytest.mark.parametrize("action", ["status", "balance", "services", "refill_status"])
def test_an_error_of_no_words_with_an_error_code_is_no_refusal(tmp_path, monkeypatch, action, code):
    texts = _acted(tmp_path, monkeypatch, action, json_reply({"error": True}, code))
    assert [t for t in texts if WORDLESS in t and str(code) in t], texts
    assert not [t for t in texts if t.rstrip("'").endswith(": true")], texts


@pytest.mark.parametrize(
    ("action", "answer", "said"),
    [
        ("services", {"services": "none"}, '{"services": "none"}'),
        ("multi status", {"x": 1}, '{"x": 1}'),
        ("balance", {"balance": "lots"}, '{"balance": "lots"}'),
        ("status", {"status": None, "x": 1}, '"x": 1'),
        ("refill_status", {"status": {"code": "x"}}, '{"code": "x"}'),
        ("refill", {"refill": [5]}, '{"refill": [5]}'),
    ],
)
def test_an_answer_said_in_a_message_is_written_as_json(
    tmp_path, monkeypatch, action, answer, said
):
    texts = _acted(tmp_path, monkeypatch, action, json_reply(answer), failed=False)
    assert [t for t in texts if said in t], texts
    assert not [t for t in texts if "{'" in t], texts  # was {'services': 'none'}


def test_a_multi_refill_answered_an_error_of_no_words_is_each_orders_unknown(tmp_path, monkeypatch):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["status"] = json_reply({"7": GOING, "8": GOING})
        assert cli("track", "7", "8").exit_code == 0
        replies["refill"] = json_reply({"error": True})
        request_refills_once(tmp_path / "t.db", server.url, KEY, [7, 8])
        asked = server.calls("refill")
    said = f'{WORDLESS}: {{"error": true}}'
    assert rows(tmp_path, REFILLS) == [(7, None, "Unknown", said), (8, None, "Unknown", said)]
    assert asked == 1  # never refused "true", then each order asked again alone
