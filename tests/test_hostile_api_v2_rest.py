"""shared/api-v2.md's shapes that no test drove through a scripted panel
(hostile172's read of it): a multi-order refill accepted with the panel's
words beside each refill ID (``{"order": 5, "refill": 71, "success": "Your
order will be refill asap"}``), and so in a success envelope; an order
status in capitals, ``ERROR``. Through the refill job's request step and
the real CLI against a scripted panel on loopback."""

from __future__ import annotations

import pytest
from hostile import json_reply
from scripted_panel import rows
from simconfig import request_refills_once, scripted_panel

KEY = "hostile-key-ApiRest172Zq"
GOING = {"status": "In progress", "remains": "5", "charge": "0.5", "start_count": "10"}
ASAP = "Your order will be refill asap"
ITEMS = [
    {"order": 5, "refill": 71, "success": ASAP},
    {"order": 6, "success": ASAP, "refill": "72"},
    {"order": 7, "refill": {"error": "Incorrect order ID"}},
]
REFILLS = "SELECT order_id, refill_id, status, error FROM refills ORDER BY order_id"


@pytest.mark.parametrize(
    "body",
    [ITEMS, {"status": "success", "data": ITEMS}, {"success": True, "result": ITEMS}],
    ids=["list", "status-envelope", "success-envelope"],
)
def test_a_multi_refill_accepted_with_words_beside_each_id_is_each_refill(
    tmp_path, monkeypatch, body
):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        assert cli("track", "5", "6", "7").exit_code == 0
        replies["refill"] = json_reply(body)
        request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6, 7])
    assert rows(tmp_path, REFILLS) == [
        (5, "71", "Pending", None),
        (6, "72", "Pending", None),
        (7, None, "Refused", "Incorrect order ID"),
    ]


def test_an_order_status_in_capitals_error_is_failed_and_still_polled(tmp_path, monkeypatch):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"7": GOING, "8": GOING})
        assert cli("track", "7", "8").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        replies["status"] = json_reply({"7": {"status": "ERROR"}, "8": {"status": "FAIL"}})
        run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    assert rows(tmp_path, "SELECT order_id, status, raw_status, polling, error FROM orders") == [
        (7, "Failed", "ERROR", 1, None),
        (8, "Failed", "FAIL", 1, None),
    ]
