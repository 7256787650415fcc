"""``refill`` answered with a refill ID for its error (``{"error": 5001}``,
``{"error": {"refill": 5001}}``): ``Unknown``, as an ``add`` answered with
an order ID for its error is outcome unknown (tests/test_add_maybe_placed_words.py).

A panel script that made the refill, then wrote its ID where the error goes,
answers so. Stored ``Refused``, the order got a second request (a second
refill, maybe) at the next round. ``Unknown`` counts toward
``refill.max_requests`` and the cooldown as every unknown outcome does. By
`refill ID` and the rounds' request step alike, through a scripted panel on
loopback; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile import json_reply
from scripted_panel import rows
from simconfig import request_refills_once, scripted_panel

pytestmark = pytest.mark.usefixtures("quick_backoff")

KEY = "refill-idfor-Mn3Bv5Cx7Za9"
REFILLS = "SELECT order_id, refill_id, status, error FROM refills ORDER BY order_id"
ERRORS = [
    ({"error": 5001}, '{"error": 5001}'),
    ({"error": "5001"}, '{"error": "5001"}'),
    ({"error": {"refill": 5001}}, '{"error": {"refill": 5001}}'),
]


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with scripted_panel(tmp_path, monkeypatch, KEY) as found:
        yield found


@pytest.mark.parametrize("code", [200, 400])
@pytest.mark.parametrize(("body", "shown"), ERRORS, ids=["number", "text", "object"])
def test_a_refill_answered_an_id_for_its_error_is_unknown_and_not_asked_again(
    panel, tmp_path, body, shown, code
):
    server, replies, cli = panel
    assert cli("track", "5").exit_code == 0
    replies["refill"] = json_reply(body, status=code)
    result = cli("refill", "5")
    assert result.exit_code == 1, result.output
    assert "the panel refused the refill" not in result.output
    code = " (HTTP 400)" if code == 400 else ""
    why = f"answered a refill ID for its error{code}: {shown}"
    assert why in result.stderr
    assert rows(tmp_path, REFILLS) == [(5, None, "Unknown", why)]
    assert server.calls("balance") + server.calls("services") == 0  # no witness asked
    again = cli("refill", "5")  # counted as a request: the cooldown holds it
    assert again.exit_code == 1 and "not sent" in again.stderr
    assert server.calls("refill") == 1


@pytest.mark.parametrize(("body", "shown"), ERRORS, ids=["number", "text", "object"])
def test_a_multi_refill_answered_an_id_for_its_error_is_unknown_for_every_order(
    panel, tmp_path, body, shown
):
    server, replies, cli = panel
    assert cli("track", "5", "6").exit_code == 0
    replies["refill"] = json_reply(body)
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6])
    why = f"answered a refill ID for its error: {shown}"
    assert rows(tmp_path, REFILLS) == [(5, None, "Unknown", why), (6, None, "Unknown", why)]
    assert server.calls("refill") == 1  # never asked again one order at a time


SEVEN = '{"order": 7, "refill": {"error": {"refill": "73"}}}'


def test_one_orders_refill_item_with_an_id_for_its_error_is_unknown(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "5", "6", "7", "8").exit_code == 0
    body = [
        {"order": 5, "refill": 71},
        {"order": 6, "error": 72},
        {"order": 7, "refill": {"error": {"refill": "73"}}},
        {"order": 8, "error": "Incorrect order ID"},
    ]
    replies["refill"] = json_reply(body)
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6, 7, 8])
    assert rows(tmp_path, REFILLS) == [
        (5, "71", "Pending", None),
        (6, None, "Unknown", 'answered a refill ID for its error: {"order": 6, "error": 72}'),
        (7, None, "Unknown", f"answered a refill ID for its error: {SEVEN}"),
        (8, None, "Refused", "Incorrect order ID"),
    ]
    assert server.calls("refill") == 1


@pytest.mark.parametrize("error", [-5, "5001 not found", {"refill": None}, {"order": 5}])
def test_an_error_that_is_no_refill_id_stays_a_refusal(panel, tmp_path, error):
    server, replies, cli = panel
    assert cli("track", "5").exit_code == 0
    replies["refill"] = json_reply({"error": error})
    cli("refill", "5")
    assert [r[2] for r in rows(tmp_path, REFILLS)] in ([], ["Refused"])


@pytest.mark.parametrize(("body", "shown"), ERRORS, ids=["number", "text", "object"])
def test_a_rate_limit_answer_with_a_refill_id_for_its_error_is_never_sent_again(
    panel, tmp_path, body, shown
):
    # A 429 whose JSON names a refill made is the panel's script's: read as
    # with a 200 (Unknown, counted), never retried as the rate limit's.
    server, replies, cli = panel
    assert cli("track", "5").exit_code == 0
    replies["refill"] = json_reply(body, status=429)
    result = cli("refill", "5")
    assert result.exit_code == 1, result.output
    assert [r[2] for r in rows(tmp_path, REFILLS)] == ["Unknown"]
    assert server.calls("refill") == 1


def test_a_rate_limit_answer_with_one_items_refill_id_for_its_error_is_never_sent_again(
    panel, tmp_path
):
    server, replies, cli = panel
    assert cli("track", "5", "6").exit_code == 0
    body = [{"order": 5, "error": 71}, {"order": 6, "error": "Too many requests"}]
    replies["refill"] = json_reply(body, status=429)
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6])
    assert server.calls("refill") == 1
    assert rows(tmp_path, REFILLS)[0][:3] == (5, None, "Unknown")
