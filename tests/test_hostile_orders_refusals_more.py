"""A refusal of a whole refill or cancel call written under the field it
asks by (``{"orders": {"error": "Incorrect API key"}}``), and the panel's
words alone under one wrapper key (``{"data": "Incorrect API key"}``) to a
status, refill or cancel call: judged exactly as the same refusal
unwrapped (the key refused: auth_failed, nothing stored as done), no
longer a broken answer. Through the real CLI and a scripted panel on
loopback: the same exit, the same words printed, the same rows stored."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import pytest
from hostile import json_reply
from simconfig import scripted_panel
from test_hostile_orders_refusals import status_refused

# "Service is under maintenance" is a busy panel's words: its calls are retried
# (retries = 3), 10 ms apart, not after 1-2 s doubling backoffs (~17 s a test).
pytestmark = pytest.mark.usefixtures("quick_backoff")

KEY = "hostile-key-OrdersMore169Zq"
GOING = {"status": "In progress", "remains": "5", "charge": "0.5", "start_count": "10"}
DONE = {"status": "Completed", "remains": "0", "charge": "0.5", "start_count": "10"}
WORDS = ["Incorrect API key", "Service is under maintenance"]


def _rows(directory: Any, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(directory / "t.db") as db:
        return list(db.execute(sql))


def _same(text: str) -> str:
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+(?:\+00:00|Z)?", "T", text)  # times vary
    return re.sub(r"paused \(key refused\):.*", "paused (key refused)", text)


def _canceled(directory: Any, monkeypatch: Any, answer: Any) -> Any:
    """Track orders 7 and 8 (In progress), answer ``cancel`` with ``answer``
    and cancel both; return the exit code, what was printed, the alerts and
    what was stored."""
    directory.mkdir()
    with scripted_panel(directory, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"7": GOING, "8": GOING})
        assert cli("track", "7", "8").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        replies["cancel"] = json_reply(answer)
        run = cli("cancel", "--yes", "--force", "7", "8")
    assert "Traceback" not in run.output
    alerts = _rows(directory, "SELECT kind, severity, message FROM alerts ORDER BY id")
    orders = _rows(directory, "SELECT order_id, status, error FROM orders ORDER BY 1")
    cancels = _rows(directory, "SELECT order_id, result FROM cancels ORDER BY 1")
    return run.exit_code, _same(run.output), alerts, orders, cancels


@pytest.mark.parametrize("words", WORDS)
@pytest.mark.parametrize("shape", ["orders-object", "orders-string", "data-string"])
def test_a_cancel_refused_under_a_wrapper_is_the_plain_refusal(tmp_path, monkeypatch, words, shape):
    if shape == "orders-object":
        plain_answer, answer = {"error": words}, {"orders": {"error": words}}
    else:
        plain_answer, answer = words, {shape.split("-")[0]: words}
    plain = _canceled(tmp_path / "plain", monkeypatch, plain_answer)
    under = _canceled(tmp_path / "under", monkeypatch, answer)
    assert under == plain
    exit_code, said, _, orders, _ = under
    assert exit_code != 0
    assert orders == [(7, "In progress", None), (8, "In progress", None)]
    assert words in said


def _refused(answer: Any) -> str:
    from test_client import FakePanel, make_client, ok

    client = make_client(FakePanel(ok(answer)), retries=0)
    with pytest.raises(Exception) as raised:  # noqa: PT011 (compared with the plain one's)
        client.refills([7, 8])
    return f"{type(raised.value).__name__}: {raised.value}"


@pytest.mark.parametrize("words", WORDS)
def test_a_multi_refill_refused_under_a_wrapper_is_the_plain_refusal(words):
    assert _refused({"orders": {"error": words}}) == _refused({"error": words})
    assert _refused({"orders": words}) == _refused(words)
    assert _refused({"data": words}) == _refused(words)
    if words == "Incorrect API key":
        assert _refused({"data": words}).startswith("AuthError")


@pytest.mark.parametrize("words", WORDS)
def test_a_status_call_refused_in_words_under_data_is_the_bare_refusal(
    tmp_path, monkeypatch, words
):
    plain = status_refused(tmp_path / "plain", monkeypatch, words)
    under = status_refused(tmp_path / "under", monkeypatch, {"data": words})
    assert under == plain
    exit_code, said, alerts, orders = under
    assert exit_code != 0
    assert "answered none" not in said
    assert orders == [(7, "In progress", 5, None), (8, "In progress", 5, None)]
    if words == "Incorrect API key":
        assert [kind for kind, _, _ in alerts] == ["auth_failed"], alerts


def test_only_words_under_a_wrapper_are_read_through():
    from tracker.panel.script_shapes import error_inside

    assert error_inside("refill", {"orders": {"error": "x y"}}) == {"error": "x y"}
    assert error_inside("cancel", {"data": "Invalid API key"}) == "Invalid API key"
    kept = [
        ("status", {"data": "Completed"}),  # a status word: whose?
        ("status", {"status": "Invalid API key"}),  # the action's own field
        ("status", {"data": "12,13"}),
        ("status", {"R1": "Invalid API key"}),
        ("refill", {"message": "Unauthenticated."}),  # words read with their HTTP code
        ("refill", {"refill": "Invalid API key"}),
        ("refill", {"orders": {"error": "x", "refill": 5}}),
        ("add", {"data": "Invalid API key"}),
        ("balance", {"data": "Invalid API key"}),
    ]
    for action, answer in kept:
        assert error_inside(action, answer) is answer, (action, answer)
