"""A whole-answer refusal wrapped in one key (``{"data": {"error": ...}}``,
``{"result": {"error": ...}}``), as the scripts that wrap every answer write
it, judged exactly as the same refusal unwrapped: the key refused in words
the tracker does not know (told by the witness, ``balance`` refused alike),
with a 200 or a 403; a refill_status refused with a 403 (its code in the
refusal's words); a cancel refused as a whole. Through the real CLI and a
scripted panel on loopback: the same exit, the same words printed, the
same alerts and rows stored."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import pytest
from hostile import json_reply
from simconfig import scripted_panel

KEY = "hostile-key-Wrapped156Zq"
DONE = {"status": "Completed", "remains": "0", "charge": "0.5", "start_count": "10"}
KEY_WORDS = "Access for this account is suspended by the administrator"


def _answer(error: str, wrapper: str | None) -> dict[str, Any]:
    return {"error": error} if wrapper is None else {wrapper: {"error": error}}


def _rows(tmp_path: Any, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute(sql))


# What differs from run to run: times, durations.
_VARYING = [
    (r"\d{4}-\d\d-\d\dT[\d:.]+(?:\+00:00|Z)?", "T"),
    (r"\b(cpu_s|wall_s|write_s)=[\d.]+", r"\1=N"),
]


def _said(*runs: Any) -> list[str]:
    """The lines printed, what varies from run to run taken out, in order."""
    text = "\n".join(run.stdout + run.stderr for run in runs)
    for pattern, put in _VARYING:
        text = re.sub(pattern, put, text)
    return sorted(text.splitlines())


def _key_refused(tmp_path: Any, monkeypatch: Any, wrapper: str | None, code: int) -> Any:
    """Track order 7, then answer every action refusing the key in words no
    key phrasing holds; run `run --once`; return what was printed and stored."""
    tmp_path.mkdir()
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"7": {"status": "In progress", "remains": "5"}})
        assert cli("track", "7").exit_code == 0
        refusal = json_reply(_answer(KEY_WORDS, wrapper), code)
        replies.update(status=refusal, balance=refusal, services=refusal)
        run = cli("run", "--once", "--all")
    alerts = _rows(tmp_path, "SELECT kind, severity, message FROM alerts ORDER BY id")
    # Which job's call met the refusal first varies (the jobs run at once):
    # "(status: Access ...)" or "(Access ...)".
    alerts = [(k, s, re.sub(r"\((?:status|balance|services): ", "(", m)) for k, s, m in alerts]
    orders = _rows(tmp_path, "SELECT order_id, status, error FROM orders")
    return run.exit_code, run.stdout, alerts, orders


@pytest.mark.parametrize("code", [200, 403])
@pytest.mark.parametrize("wrapper", ["data", "result"])
def test_a_wrapped_key_refusal_is_judged_as_the_plain_one(tmp_path, monkeypatch, wrapper, code):
    plain = _key_refused(tmp_path / "plain", monkeypatch, None, code)
    wrapped = _key_refused(tmp_path / "wrapped", monkeypatch, wrapper, code)
    assert wrapped == plain
    _, _, alerts, _ = plain
    assert [kind for kind, _, _ in alerts] == ["auth_failed"], alerts
    said = f"HTTP {code}: {KEY_WORDS}" if code != 200 else f"({KEY_WORDS})"
    assert said in alerts[0][2], alerts


def _refill_refused(tmp_path: Any, monkeypatch: Any, wrapper: str | None, words: str) -> Any:
    """Ask refill 77 of order 5, then answer its refill_status with a 403
    refusing it in ``words``; run `run --once` twice; return what was
    printed and stored."""
    tmp_path.mkdir()
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"5": DONE})
        replies["refill"] = json_reply({"refill": "77"})
        assert cli("track", "5").exit_code == 0
        assert cli("refill", "5").exit_code == 0
        replies["refill_status"] = json_reply(_answer(words, wrapper), 403)
        runs = [cli("run", "--once", "--all") for _ in range(2)]
    refills = _rows(tmp_path, "SELECT refill_id, status, error FROM refills")
    alerts = _rows(tmp_path, "SELECT kind, severity, message FROM alerts ORDER BY id")
    return [run.exit_code for run in runs], _said(*runs), refills, alerts


@pytest.mark.parametrize(
    "words",
    ["Refill not found", "Service is under maintenance", "Refill is disabled for this service"],
)
def test_a_wrapped_refill_status_refusal_keeps_its_http_code(
    tmp_path, monkeypatch, quick_backoff, words
):
    # quick_backoff: "Service is under maintenance" is a busy panel's words,
    # retried until the call's budget is spent (~35 s of 1-2 s doubling
    # backoffs for the four runs); the point here is what is told and kept.
    plain = _refill_refused(tmp_path / "plain", monkeypatch, None, words)
    wrapped = _refill_refused(tmp_path / "wrapped", monkeypatch, "data", words)
    assert wrapped == plain
    assert any("HTTP 403" in line for line in plain[1]) or any(
        "HTTP 403" in str(row) for row in plain[2] + plain[3]
    ), plain


@pytest.mark.parametrize("wrapper", ["data", "result"])
def test_a_cancel_wrapped_around_an_error_is_the_calls_refusal(tmp_path, monkeypatch, wrapper):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"7": {"status": "In progress", "remains": "5"}})
        replies["cancel"] = json_reply({wrapper: {"error": "Cancel is disabled for this service"}})
        assert cli("track", "7").exit_code == 0
        result = cli("cancel", "--yes", "--force", "7")
    assert result.exit_code != 0, result.output
    assert "Cancel is disabled for this service" in result.output
    assert "Traceback" not in result.output
    canceled = _rows(tmp_path, "SELECT order_id FROM cancels WHERE result = 'Accepted'")
    assert canceled == []
    assert ("Canceled",) not in _rows(tmp_path, "SELECT status FROM orders")


def test_only_a_key_that_could_be_a_wrapper_is_read_through():
    from tracker.panel.script_shapes import error_inside

    inner = {"error": "Invalid API key"}
    assert error_inside("balance", {"data": inner}) == inner
    assert error_inside("refill_status", {"result": inner}) == inner
    kept = [
        ("status", {"125": inner}, ()),  # an order's
        ("refill_status", {"R78": inner}, ()),  # a refill's: a digit in it
        ("refill_status", {"abc": inner}, ("abc",)),  # the refill asked
        ("balance", {"error": inner}, ()),
        ("balance", {"balance": inner}, ()),  # the action's own field
        ("balance", {"data": {"balance": "5"}}, ()),  # no error inside
        ("balance", {"data": inner, "x": 1}, ()),
        ("add", {"data": {"order": 77, **inner}}, ()),  # an order ID beside it
    ]
    for action, answer, asked in kept:
        assert error_inside(action, answer, asked) is answer, answer
