"""Multi-refill and cancel answers with a 4xx whose every item is an asked
order's refusal.

A script that sets HTTP 400 (or 404, 422) on the whole answer when any ID in
it is bad sets it too when every ID is: ``[{"order": 5, "refill": {"error":
"Refill is disabled for this service"}}, {"order": 6, "refill": {"error":
"Incorrect order ID"}}]``. Beside a refill ID given or a cancel accepted such
items were read as with a 200 already (tests/test_items_4xx_mixed.py); alone
they were "outcome unknown" for every order: a refill counted as maybe made
(toward ``refill.max_requests``), the panel's words lost. They are read as
with a 200 now, each order's refusal its own, while every item names an
order asked and holds nothing but its error. An item for an order not
asked, anything beside an error, a whole-call error and a single-order
``refill`` stay as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile import json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from scripted_panel import rows
from simconfig import request_refills_once, scripted_panel
from structlog.testing import capture_logs
from test_client import FakePanel, make_client
from test_items_4xx_mixed import answer, told

from tracker.errors import OutcomeUnknownError
from tracker.panel.form import asked_ids, form_body

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

KEY = "items-4xx-refused-Qw7Er5Ty3Ui1"
DISABLED = "Refill is disabled for this service"
BAD_ORDER = "Incorrect order ID"
CANNOT = "This order cannot be canceled"
CODES = [400, 404, 422]


REFILLS = {
    "list": [
        {"order": 5, "refill": {"error": DISABLED}},
        {"order": 6, "refill": {"error": BAD_ORDER}},
    ],
    "object": {"5": {"error": DISABLED}, "6": BAD_ORDER},
}
CANCELS = {
    "list": [
        {"order": 5, "cancel": {"error": CANNOT}},
        {"order": 6, "cancel": {"error": BAD_ORDER}},
    ],
    "object": {"5": {"error": CANNOT}, "6": {"error": BAD_ORDER}},
}


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("shape", ["list", "object"])
def test_a_4xx_multi_refill_of_refusals_alone_is_each_orders_refusal(code, shape):
    fake = FakePanel(answer(code, REFILLS[shape]))
    with capture_logs() as logs:
        got = {r.order_id: r for r in make_client(fake, [], retries=0).refills([5, 6])}
    assert got[5].error == DISABLED and not got[5].unknown and got[5].refill_id is None
    assert got[6].error == BAD_ORDER and not got[6].unknown
    assert len(fake.requests) == 1  # sent once
    assert told(logs) == [("refill", code)]


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("shape", ["list", "object"])
def test_a_4xx_multi_cancel_of_refusals_alone_is_each_orders_refusal(code, shape):
    fake = FakePanel(answer(code, CANCELS[shape]))
    with capture_logs() as logs:
        got = {r.order_id: r for r in make_client(fake, [], retries=0).cancel([5, 6])}
    assert not got[5].ok and got[5].error == CANNOT and not got[5].unknown
    assert not got[6].ok and got[6].error == BAD_ORDER and not got[6].unknown
    assert len(fake.requests) == 1
    assert told(logs) == [("cancel", code)]


def test_an_order_left_out_of_a_4xx_of_refusals_stays_unknown_as_with_a_200():
    fake = FakePanel(answer(400, REFILLS["list"]))
    got = {r.order_id: r for r in make_client(fake, [], retries=0).refills([5, 6, 7])}
    assert got[5].error == DISABLED and not got[5].unknown
    assert 7 not in got  # left out: the job stores it Unknown, never asked again


def test_the_same_words_in_every_item_are_judged_by_the_witness_then_each_orders():
    same = [{"order": 5, "refill": {"error": BAD_ORDER}}, {"order": 6, "refill": BAD_ORDER}]
    fake = FakePanel(answer(400, same), answer(200, {"balance": "5", "currency": "USD"}))
    got = {r.order_id: r for r in make_client(fake, [], retries=0).refills([5, 6])}
    assert [(o, r.error, r.unknown) for o, r in sorted(got.items())] == [
        (5, BAD_ORDER, False),
        (6, BAD_ORDER, False),
    ]
    assert [f["action"] for f in fake.requests] == ["refill", "balance"]


@pytest.mark.parametrize(
    ("act", "body"),
    [
        # an item for an order not asked: which did the panel refuse?
        (lambda c: c.refills([5, 6]), [{"order": 5, "refill": {"error": "a"}}, {"order": 9}]),
        (
            lambda c: c.refills([5, 6]),
            [{"order": 5, "refill": {"error": "a"}}, {"order": 9, "refill": {"error": "b"}}],
        ),
        (lambda c: c.cancel([5, 6]), {"5": {"error": "a"}, "9": {"error": "b"}}),
        (
            lambda c: c.cancel([5, 6]),
            [{"order": 5, "cancel": {"error": "a"}}, {"cancel": {"error": "b"}}],
        ),
        # something beside the error: it may have been done
        (
            lambda c: c.refills([5, 6]),
            [
                {"order": 5, "refill": {"error": "a"}},
                {"order": 6, "refill": {"error": "b"}, "x": 1},
            ],
        ),
        (
            lambda c: c.cancel([5, 6]),
            [{"order": 5, "cancel": {"error": "a"}}, {"order": 6, "cancel": 0}],
        ),
        (lambda c: c.cancel([5, 6]), {"5": {"error": "a"}, "6": "Cancel request accepted"}),
        # filed under one order, naming another
        (lambda c: c.cancel([5, 6]), {"5": {"order": 6, "error": "a"}, "6": {"error": "b"}}),
        # an empty answer names nothing
        (lambda c: c.refills([5, 6]), []),
    ],
)
def test_a_4xx_of_errors_not_each_an_asked_orders_refusal_stays_outcome_unknown(act, body):
    fake = FakePanel(answer(400, body))
    with pytest.raises(OutcomeUnknownError, match="HTTP 400"):
        act(make_client(fake, [], retries=0))
    assert len(fake.requests) == 1


def test_a_4xx_single_order_refill_answered_in_items_stays_outcome_unknown():
    # Asked with order=, not orders=: no order of the items is one asked.
    body = [{"order": 5, "refill": {"error": DISABLED}}]
    fake = FakePanel(answer(400, body))
    with pytest.raises(OutcomeUnknownError, match="HTTP 400"):
        make_client(fake, [], retries=0).refill(5)
    assert len(fake.requests) == 1


def test_the_orders_asked_are_read_back_from_the_request_body():
    # a key holding "&orders=" is quoted: never read for the field
    body = form_body({"key": "k&orders=9", "action": "cancel", "orders": "5,6"})
    assert asked_ids(body) == {5, 6}
    assert asked_ids(form_body({"key": KEY, "action": "refill", "order": "5"})) == set()


# --- what a user sees: the refill round and the cancel command ---


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with scripted_panel(tmp_path, monkeypatch, KEY) as found:
        yield found


REFILL_ROWS = "SELECT order_id, refill_id, status, error FROM refills ORDER BY order_id"


def test_the_refill_round_stores_each_refusal_of_a_400_of_refusals_alone(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "5", "6").exit_code == 0
    replies["refill"] = json_reply(REFILLS["list"], 400)
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6])
    assert rows(tmp_path, REFILL_ROWS) == [
        (5, None, "Refused", DISABLED),
        (6, None, "Refused", BAD_ORDER),
    ]
    assert [f.get("orders") for f in server.requests if f["action"] == "refill"] == ["5,6"]
    shown = cli("refills")
    assert shown.exit_code == 0, shown.output
    assert DISABLED in shown.stdout and BAD_ORDER in shown.stdout
    assert KEY not in shown.output


def test_an_orders_busy_words_among_refusals_of_a_400_are_not_sent(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "5", "6").exit_code == 0
    busy = [
        {"order": 5, "refill": {"error": "Too many requests"}},
        {"order": 6, "refill": {"error": BAD_ORDER}},
    ]
    replies["refill"] = json_reply(busy, 400)
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6])
    # 5: nothing stored, asked again next round, as with a 200; 6 refused.
    assert rows(tmp_path, REFILL_ROWS) == [(6, None, "Refused", BAD_ORDER)]


def test_cancel_prints_and_stores_each_refusal_of_a_400_of_refusals_alone(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "5", "6").exit_code == 0
    replies["cancel"] = json_reply(CANCELS["object"], 400)
    result = cli("cancel", "5", "6")
    assert f"#5  refused: {CANNOT}" in result.stdout, result.output
    assert f"#6  refused: {BAD_ORDER}" in result.stdout
    assert "unknown" not in result.output.lower()
    assert rows(tmp_path, "SELECT order_id, result, error FROM cancels ORDER BY order_id") == [
        (5, "Refused", CANNOT),
        (6, "Refused", BAD_ORDER),
    ]
    assert len([f for f in server.requests if f["action"] == "cancel"]) == 1
    assert KEY not in result.output
