"""A 429 (or a Cloudflare challenge) whose JSON says what the panel did.

``[{"order": 5, "refill": 71}, {"order": 6, "refill": {"error": "Too many
requests"}}]`` with HTTP 429: the panel's script ran and gave order 5 a
refill, then set 429 for the rest. It was read as "never reached the
panel" and sent again within the call: a second refill (a second cancel,
a second order placed by ``add``) for what the panel had already done.
An answer to ``add``, ``refill`` or ``cancel`` with a 429 carrying a refill
ID given, a cancel accepted or an order placed is read as with a 200 (its
code kept as data, ``answer_with_error_code`` told once); each item's
words its own (busy words: that order not sent). A 429 of errors alone,
and a 429 to a read, stay "rate limited", retried.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostile import Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from scripted_panel import rows
from simconfig import assert_added_once, request_refills_once, scripted_panel
from structlog.testing import capture_logs
from test_client import FakePanel, make_client

from tracker.errors import OutcomeUnknownError, RateLimitedError, TransientError
from tracker.panel.models import NewOrder

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

KEY = "acted-429-Lk3Jh5Gf7Ds9"
BUSY = "Too many requests"
REFILLS = [{"order": 5, "refill": 71}, {"order": 6, "refill": {"error": BUSY}}]
CANCELS = [{"order": 5, "cancel": 1}, {"order": 6, "cancel": {"error": BUSY}}]
CHALLENGE = {"cf-mitigated": "challenge"}
ORDER = NewOrder(service=1, link="https://x.test/a", quantity=100)


def answer(code: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(code, content=json.dumps(body).encode(), headers=headers)


def told(logs: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(e["action"], e["status"]) for e in logs if e["event"] == "answer_with_error_code"]


@pytest.mark.parametrize(
    ("code", "headers"), [(429, {}), (403, CHALLENGE), (429, {"Retry-After": "1"})]
)
def test_a_429_giving_a_refill_id_is_read_never_sent_again(code, headers):
    fake = FakePanel(answer(code, REFILLS, **headers))
    with capture_logs() as logs:
        got = {r.order_id: r for r in make_client(fake, [], retries=2).refills([5, 6])}
    assert len(fake.requests) == 1  # sent once: the panel gave order 5 a refill
    assert got[5].refill_id == "71" and got[5].error is None and not got[5].unknown
    assert got[6].refill_id is None and got[6].error == BUSY
    assert told(logs) == [("refill", code)]


def test_a_429_to_one_refill_giving_its_id_is_read():
    fake = FakePanel(answer(429, {"refill": "71"}))
    got = make_client(fake, [], retries=2).refill(5)
    assert len(fake.requests) == 1
    assert got.refill_id == "71" and got.status == 429


@pytest.mark.parametrize("body", [CANCELS, {"5": 1, "6": BUSY}], ids=["list", "keyed"])
def test_a_429_accepting_a_cancel_is_read_never_sent_again(body):
    fake = FakePanel(answer(429, body))
    got = {r.order_id: r for r in make_client(fake, [], retries=2).cancel([5, 6])}
    assert len(fake.requests) == 1
    assert got[5].ok and not got[6].ok and got[6].error == BUSY


def test_a_429_naming_the_order_placed_is_that_order_never_placed_twice():
    fake = FakePanel(answer(429, {"order": 23501}))
    with capture_logs() as logs:
        assert make_client(fake, [], retries=2).add(ORDER) == 23501
    assert len(fake.requests) == 1
    assert told(logs) == [("add", 429)]


@pytest.mark.parametrize(
    ("act", "body"),
    [
        (lambda c: c.refills([5, 6]), [{"order": o, "refill": {"error": BUSY}} for o in (5, 6)]),
        (lambda c: c.refill(5), {"error": BUSY}),
        (lambda c: c.cancel([5]), [{"order": 5, "cancel": {"error": BUSY}}]),
    ],
)
def test_a_429_saying_nothing_was_done_stays_rate_limited(act, body):
    fake = FakePanel(answer(429, body))
    with pytest.raises(RateLimitedError):
        act(make_client(fake, [], retries=1))
    assert len(fake.requests) == 2  # never reached the panel's work: sent again


def test_a_429_with_an_id_or_a_yes_beside_busy_words_is_unknown_never_sent_again():
    # Said after acting, maybe: as with a 200, the outcome unknown.
    fake = FakePanel(answer(429, {"refill": 71, "error": BUSY}))
    got = make_client(fake, [], retries=2).refill(5)
    assert got.unknown and got.refill_id is None and len(fake.requests) == 1
    fake = FakePanel(answer(429, [{"order": 5, "cancel": 1, "error": BUSY}]))
    (result,) = make_client(fake, [], retries=2).cancel([5])
    assert result.unknown and not result.ok and len(fake.requests) == 1
    fake = FakePanel(answer(429, {"order": 23501, "error": BUSY}))
    with pytest.raises(OutcomeUnknownError):
        make_client(fake, [], retries=2).add(ORDER)
    assert len(fake.requests) == 1


def test_a_429_to_a_read_stays_rate_limited_whatever_it_carries():
    body = [{"refill": 71, "status": "Completed"}]
    fake = FakePanel(answer(429, body))
    with pytest.raises(TransientError):
        make_client(fake, [], retries=1).refill_statuses(["71"])
    assert len(fake.requests) == 2


# --- what a user sees ---


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with scripted_panel(tmp_path, monkeypatch, KEY) as found:
        yield found


def test_the_refill_round_stores_the_refill_a_429_gave_and_asks_the_busy_order_again(
    panel, tmp_path
):
    server, replies, cli = panel
    assert cli("track", "5", "6").exit_code == 0
    replies["refill"] = json_reply(REFILLS, 429)
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6])
    sql = "SELECT order_id, refill_id, status FROM refills ORDER BY order_id"
    assert rows(tmp_path, sql) == [(5, "71", "Pending")]  # 6: not sent, nothing stored
    assert [f.get("orders") for f in server.requests if f["action"] == "refill"] == ["5,6"]


def test_cancel_reads_the_cancel_a_429_accepted(panel, tmp_path):
    server, replies, cli = panel
    replies["cancel"] = json_reply(CANCELS, 429)
    result = cli("cancel", "--yes", "5", "6")
    assert "#5  canceled" in result.stdout, result.output
    assert f"#6  not sent: panel busy: {BUSY} - try again later" in result.stdout
    sql = "SELECT order_id, result FROM cancels ORDER BY order_id"
    assert rows(tmp_path, sql) == [(5, "Accepted")]
    assert len([f for f in server.requests if f["action"] == "cancel"]) == 1
    assert KEY not in result.output


def test_add_reads_the_order_a_429_names(panel, tmp_path):
    server, replies, cli = panel
    replies["add"] = Reply(b'{"order": 23501}', 429, {"Content-Type": "application/json"})
    add = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
    assert_added_once(server, cli(*add), tmp_path, 23501)
