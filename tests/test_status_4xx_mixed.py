"""A multi-status answer with a 4xx that still carries orders' statuses.

Some panel scripts set HTTP 400 (or 404, 422) on the whole answer when any
ID in it is bad, and still answer every other order's status:
``{"7101": {"status": "In progress", ...}, "7102": {"error": "Incorrect
order ID"}}``. It was a broken answer: the whole batch failed at every poll,
so the good orders beside one bad ID were never tracked again. The statuses
are read now (the bad ID its own error, as with a 200), the code kept as
data and the quirk said once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from blame_panel import asked, status_of
from hostile import Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from scripted_panel import rows, scripted_panels
from structlog.testing import capture_logs
from test_client import FakePanel, make_client

from tracker.errors import AuthError, BadAnswerError

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

KEY = "mixed-4xx-Qw7Er5Ty3Ui9Op"
IDS = [7101, 7102]
BAD = "Incorrect order ID"


def mixed(code: int) -> httpx.Response:
    body = {"7101": status_of(7101), "7102": {"error": BAD}}
    return httpx.Response(code, content=json.dumps(body).encode())


@pytest.mark.parametrize("code", [400, 404, 422])
def test_statuses_beside_an_error_with_a_4xx_are_read(code):
    fake = FakePanel(mixed(code))
    with capture_logs() as logs:
        result = make_client(fake, [], retries=0).statuses(IDS)
    assert result[7101].status == "In progress" and result[7101].remains == 40
    assert result[7101].error is None
    assert result[7102].status is None and result[7102].error == BAD
    assert len(fake.requests) == 1
    told = [e for e in logs if e["event"] == "status_answer_with_error_code"]
    assert [(e["panel"], e["status"]) for e in told] == [("t", code)]


def test_a_4xx_with_no_status_in_any_item_stays_a_broken_answer():
    # Items that are neither statuses nor errors: nothing to read.
    body = {"7101": {"note": "x"}, "7102": {"note": "y"}}
    fake = FakePanel(httpx.Response(400, content=json.dumps(body).encode()))
    with pytest.raises(BadAnswerError, match="HTTP 400"):
        make_client(fake, [], retries=0).statuses(IDS)


def test_the_key_refused_in_every_item_with_a_4xx_is_still_the_keys():
    body = {str(i): {"error": "Invalid API key"} for i in IDS}
    fake = FakePanel(httpx.Response(403, content=json.dumps(body).encode()))
    with pytest.raises(AuthError):
        make_client(fake, [], retries=0).statuses(IDS)


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield from scripted_panels(tmp_path, monkeypatch, KEY, IDS)


def test_the_poll_stores_the_good_orders_beside_a_bad_id_answered_with_a_400(panel, tmp_path):
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "balance":
            return json_reply({"balance": "5.00", "currency": "USD"})
        if form.get("action") != "status":
            return json_reply([])
        ids = asked(form)
        if "orders" not in form:  # asked alone
            return json_reply({"error": BAD} if ids == [7102] else status_of(ids[0]), 400)
        body = {str(i): ({"error": BAD} if i == 7102 else status_of(i)) for i in ids}
        return json_reply(body, 400)

    cli, _server = panel(respond)
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    stored = rows(tmp_path, "SELECT order_id, status, remains, error FROM orders ORDER BY order_id")
    assert stored[0] == (7101, "In progress", 40, None)
    assert stored[1][0] == 7102 and stored[1][1] is None and stored[1][3] == BAD
    told = [ln for ln in result.stderr.splitlines() if "status_answer_with_error_code" in ln]
    assert len(told) == 1 and "warning" in told[0] and "status=400" in told[0]
    assert KEY not in result.output
    # An earlier run told it: the next says it at debug (cron mails it no more).
    again = cli("--log-level", "debug", "run", "--once", "--all")
    assert again.exit_code == 0, again.output
    told = [ln for ln in again.stderr.splitlines() if "status_answer_with_error_code" in ln]
    assert len(told) == 1 and "debug" in told[0]


def test_a_list_of_statuses_beside_an_error_with_a_400_is_read():
    # The list shape ([{order, status, ...}, ...]) some panels answer orders= in.
    body = [{"order": 7101, **status_of(7101)}, {"order": 7102, "error": BAD}]
    fake = FakePanel(httpx.Response(400, content=json.dumps(body).encode()))
    result = make_client(fake, [], retries=0).statuses(IDS)
    assert result[7101].status == "In progress" and result[7101].error is None
    assert result[7102].status is None and result[7102].error == BAD
    assert len(fake.requests) == 1


@pytest.mark.parametrize("named", ["id", "order_id"])
def test_a_list_naming_its_orders_by_id_beside_an_error_with_a_400_is_read(named):
    # Scripts listing their rows name the order by id or order_id (read with
    # a 200 since hostile169); with a 400 the answer was a broken one, the
    # whole batch failed at every poll.
    body = [{named: 7101, **status_of(7101)}, {named: 7102, "error": BAD}]
    fake = FakePanel(httpx.Response(400, content=json.dumps(body).encode()))
    result = make_client(fake, [], retries=0).statuses(IDS)
    assert result[7101].status == "In progress" and result[7101].error is None
    assert result[7102].status is None and result[7102].error == BAD
    assert len(fake.requests) == 1
