"""Multi-refill, refill-status and cancel answers with a 4xx that still carry
the panel's word on some items.

A script that sets HTTP 400 (or 404, 422) on the whole answer when any ID in
it is bad still answers every other one: ``[{"refill": 71, "status":
"Completed"}, {"refill": 72, "status": {"error": "Refill not found"}}]``,
``[{"order": 5, "refill": 71}, {"order": 6, "refill": {"error": "Incorrect
order ID"}}]``. The refill statuses were a broken answer (the batch's
refills never updated again while the bad one was in it); the refill IDs
given and the cancels accepted were "outcome unknown" for every order of the
call. They are read as with a 200 now (each item's words its own), as the
multi-status answer is (tests/test_status_4xx_mixed.py), and
``answer_with_error_code`` is said once. What an item does not say stays as
with a 200: an order left out or an item of no readable outcome is Unknown,
never sent again; a 4xx with no refill ID given and no cancel accepted in it
is "outcome unknown" as a whole, as before, unless each of its items is an
asked order's refusal (tests/test_items_4xx_refused.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostile import json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from scripted_panel import rows
from simconfig import follow_refills_once, request_refills_once, scripted_panel
from structlog.testing import capture_logs
from test_client import FakePanel, make_client

from tracker.errors import BadAnswerError, OutcomeUnknownError

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

KEY = "items-4xx-Zx8Cv6Bn4Mq2"
BAD_ORDER = "Incorrect order ID"
NO_REFILL = "Refill not found"
CODES = [400, 404, 422]


def answer(code: int, body: Any) -> httpx.Response:
    return httpx.Response(code, content=json.dumps(body).encode())


def told(logs: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(e["action"], e["status"]) for e in logs if e["event"] == "answer_with_error_code"]


# --- refill_status: a read ---

REFILL_LIST = [
    {"refill": 71, "status": "Completed"},
    {"refill": 72, "status": {"error": NO_REFILL}},
]
REFILL_DICT = {"71": {"status": "Completed"}, "72": {"error": NO_REFILL}}


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("body", [REFILL_LIST, REFILL_DICT], ids=["list", "object"])
def test_refill_statuses_beside_an_error_with_a_4xx_are_read(code, body):
    fake = FakePanel(answer(code, body))
    with capture_logs() as logs:
        got = {
            r.refill_id: r for r in make_client(fake, [], retries=0).refill_statuses(["71", "72"])
        }
    assert got["71"].status == "Completed" and got["71"].error is None
    assert got["72"].status is None and got["72"].error == NO_REFILL
    assert len(fake.requests) == 1
    assert told(logs) == [("refill_status", code)]


def test_a_4xx_refill_status_list_of_errors_alone_stays_a_broken_answer():
    body = [
        {"refill": 71, "status": {"error": NO_REFILL}},
        {"refill": 72, "status": {"error": "x"}},
    ]
    with pytest.raises(BadAnswerError, match="HTTP 400"):
        make_client(FakePanel(answer(400, body)), [], retries=0).refill_statuses(["71", "72"])


# --- refill and cancel: they act ---

REFILLS = [{"order": 5, "refill": 71}, {"order": 6, "refill": {"error": BAD_ORDER}}]
CANCELS = [{"order": 5, "cancel": 1}, {"order": 6, "cancel": {"error": BAD_ORDER}}]


@pytest.mark.parametrize("code", CODES)
def test_a_refill_id_given_beside_an_error_with_a_4xx_is_read(code):
    fake = FakePanel(answer(code, REFILLS))
    with capture_logs() as logs:
        got = {r.order_id: r for r in make_client(fake, [], retries=0).refills([5, 6])}
    assert got[5].refill_id == "71" and got[5].error is None and not got[5].unknown
    assert got[6].refill_id is None and got[6].error == BAD_ORDER and not got[6].unknown
    assert len(fake.requests) == 1  # sent once
    assert told(logs) == [("refill", code)]


@pytest.mark.parametrize("code", CODES)
def test_a_cancel_accepted_beside_an_error_with_a_4xx_is_read(code):
    fake = FakePanel(answer(code, CANCELS))
    with capture_logs() as logs:
        got = {r.order_id: r for r in make_client(fake, [], retries=0).cancel([5, 6])}
    assert got[5].ok and got[5].error is None
    assert not got[6].ok and got[6].error == BAD_ORDER and not got[6].unknown
    assert len(fake.requests) == 1
    assert told(logs) == [("cancel", code)]


def test_an_item_of_no_readable_outcome_stays_unknown_beside_a_refill_id():
    body = [{"order": 5, "refill": 71}, {"order": 6, "refill": "Your refill request is queued"}]
    got = {r.order_id: r for r in make_client(FakePanel(answer(400, body)), []).refills([5, 6])}
    assert got[5].refill_id == "71"
    assert got[6].unknown and got[6].refill_id is None


@pytest.mark.parametrize(
    ("act", "body"),
    [
        (lambda c: c.refills([5, 6]), [{"order": 5, "refill": {"error": "a"}}, {"order": 6}]),
        (lambda c: c.cancel([5, 6]), [{"order": 5, "cancel": 0}, {"order": 6, "cancel": "x"}]),
        # Each an asked order's refusal alone is read: tests/test_items_4xx_refused.py.
        (lambda c: c.cancel([5, 6]), {"5": {"error": "a"}, "6": {"error": "b", "cancel": 1}}),
    ],
)
def test_a_4xx_without_a_refill_id_given_or_a_cancel_accepted_stays_outcome_unknown(act, body):
    fake = FakePanel(answer(400, body))
    with pytest.raises(OutcomeUnknownError, match="HTTP 400"):
        act(make_client(fake, [], retries=0))
    assert len(fake.requests) == 1


# --- what a user sees: the jobs and the cancel command ---


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with scripted_panel(tmp_path, monkeypatch, KEY) as found:
        yield found


REFILL_ROWS = "SELECT order_id, refill_id, status, error FROM refills ORDER BY order_id"


def test_the_refill_round_stores_the_refill_given_and_the_refusal_of_a_400(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "5", "6", "7").exit_code == 0
    # 7 left out of the answer: it may have been refilled, so Unknown, never asked again.
    replies["refill"] = json_reply(REFILLS, 400)
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6, 7])
    found = rows(tmp_path, REFILL_ROWS)
    assert found[0] == (5, "71", "Pending", None)
    assert found[1] == (6, None, "Refused", BAD_ORDER)
    assert found[2][:3] == (7, None, "Unknown")
    assert [f.get("orders") for f in server.requests if f["action"] == "refill"] == ["5,6,7"]


def test_the_refill_follow_stores_the_statuses_beside_a_bad_refill_of_a_400(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "5", "6").exit_code == 0
    replies["refill"] = json_reply([{"order": 5, "refill": 71}, {"order": 6, "refill": 72}])
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6])
    replies["refill_status"] = json_reply(REFILL_LIST, 400)
    follow_refills_once(tmp_path / "t.db", server.url, KEY)
    found = rows(tmp_path, REFILL_ROWS)
    assert found[0] == (5, "71", "Completed", None)
    assert (
        found[1][:2] == (6, "72") and found[1][3] == NO_REFILL
    )  # its error counted, as with a 200


def test_cancel_reads_the_accepted_and_the_refused_of_a_400(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "5", "6").exit_code == 0
    replies["cancel"] = json_reply(CANCELS, 400)
    result = cli("cancel", "5", "6")
    assert "#5  canceled" in result.stdout, result.output
    assert f"#6  refused: {BAD_ORDER}" in result.stdout
    assert rows(tmp_path, "SELECT order_id, result, error FROM cancels ORDER BY order_id") == [
        (5, "Accepted", None),
        (6, "Refused", BAD_ORDER),
    ]
    assert len([f for f in server.requests if f["action"] == "cancel"]) == 1
    assert KEY not in result.output


def test_run_once_tells_the_quirk_once_across_runs(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "5", "6").exit_code == 0
    replies["status"] = json_reply({"5": {"status": "Completed"}, "6": {"status": "Completed"}})
    replies["refill"] = json_reply([{"order": 5, "refill": 71}, {"order": 6, "refill": 72}])
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6])
    replies["refill_status"] = json_reply(REFILL_LIST, 400)
    first = cli("run", "--once", "--all")
    assert first.exit_code == 0, first.output
    said = [ln for ln in first.stderr.splitlines() if "answer_with_error_code" in ln]
    assert len(said) == 1 and "warning" in said[0], first.stderr
    assert "action=refill_status" in said[0] and "status=400" in said[0]
    assert rows(tmp_path, REFILL_ROWS)[0] == (5, "71", "Completed", None)
    again = cli("--log-level", "debug", "run", "--once", "--all")
    said = [ln for ln in again.stderr.splitlines() if "answer_with_error_code" in ln]
    assert len(said) == 1 and "debug" in said[0]  # an earlier run told it
