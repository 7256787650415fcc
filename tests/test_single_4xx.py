"""One order's or one refill's status answered with a 4xx (400, 404, 422): a
script that sets an error code on every answer whose ID it did not like
before, or on every answer at all, still saying the status.

The multi calls' items so answered are read (tests/test_status_4xx_mixed.py,
tests/test_items_4xx_mixed.py); the single calls (``order=ID``, ``refill=ID``)
were a broken answer, "HTTP 400: {...}", at every poll: the refill's status
never read, the order asked alone never updated. A known status word is now
read as with a 200, the quirk told once; error words, Error/Fail/Failed and
unknown words with a 4xx stay as they were.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from blame_panel import status_of
from hostile import Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from scripted_panel import rows, scripted_panels
from structlog.testing import capture_logs
from test_client import FakePanel, make_client

from tracker.errors import BadAnswerError

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

CODES = [400, 404, 422]
KEY = "single-4xx-Lk3Jh8Gf2Ds6"
IDS = [7101, 7102]


def answer(code: int, body: Any) -> httpx.Response:
    return httpx.Response(code, content=json.dumps(body).encode())


def told(logs: list[dict[str, Any]], event: str) -> list[int]:
    return [e["status"] for e in logs if e["event"] == event]


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize(
    "body", [{"status": "Completed"}, {"refill": 71, "status": "Completed"}, "Completed"]
)
def test_one_refills_known_status_with_a_4xx_is_read_as_with_a_200(code, body):
    fake = FakePanel(answer(code, body))
    client = make_client(fake, [], retries=0)
    with capture_logs() as logs:
        read = [client.refill_status("71") for _ in range(2)]
    # Before: BadAnswerError "HTTP 400: {"status": "Completed"}" at every poll.
    for one in read:
        assert (one.status, one.known_status, one.error) == ("Completed", True, None)
    assert len(fake.requests) == 2  # one call each, no retry
    assert told(logs, "answer_with_error_code") == [code]  # once per code


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("named", [{}, {"order": 1001}])
def test_one_orders_known_status_with_a_4xx_is_read_as_with_a_200(code, named):
    body = {**named, "status": "In progress", "charge": "1.20", "remains": "40"}
    client = make_client(FakePanel(answer(code, body)), [], retries=0)
    with capture_logs() as logs:
        read = [client.status(1001) for _ in range(2)]
    for one in read:
        assert (one.status, one.remains, one.error) == ("In progress", 40, None)
    assert told(logs, "status_answer_with_error_code") == [code]


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield from scripted_panels(tmp_path, monkeypatch, KEY, IDS)


def test_an_order_left_out_and_asked_alone_is_stored_from_a_4xx(panel, tmp_path):
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "balance":
            return json_reply({"balance": "5.00", "currency": "USD"})
        if form.get("action") != "status":
            return json_reply([])
        if "orders" in form:  # 7102 left out: asked alone, answered with a 404
            return json_reply({"7101": status_of(7101)})
        return json_reply({**status_of(7102), "status": "Partial", "remains": "7"}, 404)

    cli, _server = panel(respond)
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    stored = rows(tmp_path, "SELECT order_id, status, remains, error FROM orders ORDER BY order_id")
    # Before: 7102 kept no status, "HTTP 404 from ...: {...}" at every poll.
    assert stored == [(7101, "In progress", 40, None), (7102, "Partial", 7, None)]
    said = [ln for ln in result.stderr.splitlines() if "status_answer_with_error_code" in ln]
    assert len(said) == 1 and "status=404" in said[0]
    assert KEY not in result.output


@pytest.mark.parametrize(
    "body",
    [
        {"status": "Error"},
        {"status": "Failed"},
        {"status": "Stuck somewhere"},
        {"status": ""},
        {"message": "Completed"},
    ],
)
def test_error_words_or_unknown_words_with_a_4xx_stay_a_broken_answer(body):
    with capture_logs() as logs:
        with pytest.raises(BadAnswerError, match="HTTP 400"):
            make_client(FakePanel(answer(400, body)), [], retries=0).refill_status("71")
        with pytest.raises(BadAnswerError, match="HTTP 400"):
            make_client(FakePanel(answer(400, body)), [], retries=0).status(1001)
    assert not [e for e in logs if e["event"].endswith("answer_with_error_code")]


def test_a_refusal_in_status_and_message_with_a_4xx_is_judged_as_its_error():
    # {"status": "error", "message": ...} is a refusal as JSON APIs write one
    # (script_shapes.error_said): to status, judged as {"error": ...} with
    # the same code; to refill_status (a status alone is its plain answer)
    # a broken answer, as before.
    def outcome(body: dict[str, Any]) -> tuple[type, str]:
        with pytest.raises(Exception) as raised:
            make_client(FakePanel(answer(400, body)), [], retries=0).status(1001)
        return type(raised.value), str(raised.value)

    words = {"status": "error", "message": "Invalid ID"}
    assert outcome(words) == outcome({"error": "Invalid ID"})
    with pytest.raises(BadAnswerError, match="HTTP 400"):
        make_client(FakePanel(answer(400, words)), [], retries=0).refill_status("71")


def test_a_status_beside_an_error_with_a_4xx_is_the_error_as_before():
    body = {"status": "Completed", "error": "Refill not found"}
    with capture_logs() as logs:
        read = make_client(FakePanel(answer(400, body)), [], retries=0).refill_status("71")
    assert read.status is None and read.error == "HTTP 400: Refill not found"
    assert not [e for e in logs if e["event"].endswith("answer_with_error_code")]
