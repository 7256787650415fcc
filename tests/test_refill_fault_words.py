"""``refill`` answered in the words of the panel's server failing
("SQLSTATE...", "Internal server error"): ``Unknown``, as an ``add`` so
answered is outcome unknown (tests/test_add_maybe_placed_words.py).

A panel script that fails after creating the refill answers its server's
fault. Stored ``Refused``, the order got a second request (a second refill,
maybe) at the next round, by `refill ID` at once. ``Unknown`` counts toward
``refill.max_requests`` and the cooldown as every unknown outcome does.
Through the real CLI and a scripted panel on loopback, and the simulated
panel's refill rounds; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hostile import FAULTS, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from scripted_panel import rows
from simconfig import request_refills_once, scripted_panel

from tracker.sim.orders import SimRefusal
from tracker.sim.server import SimulatedPanel

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

KEY = "refill-fault-Pl4Ok8Ij2Uh6"
H = 3600.0
REFILLS = "SELECT order_id, refill_id, status, error FROM refills ORDER BY order_id"


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with scripted_panel(tmp_path, monkeypatch, KEY) as found:
        yield found


@pytest.mark.parametrize("code", [200, 400])
@pytest.mark.parametrize("words", FAULTS)
def test_a_refill_answered_fault_words_is_unknown_and_not_asked_again(panel, tmp_path, words, code):
    server, replies, cli = panel
    assert cli("track", "5").exit_code == 0
    replies["refill"] = json_reply({"error": words}, status=code)
    result = cli("refill", "5")
    assert result.exit_code == 1, result.output
    said = f"{'HTTP 400: ' if code == 400 else ''}{words}"
    assert "the panel refused the refill" not in result.output
    assert (
        f"order 5: the refill request may have reached the panel but its answer gave no usable "
        f"refill ID ({said})" in result.stderr
    )
    assert rows(tmp_path, REFILLS) == [(5, None, "Unknown", said)]
    assert server.calls("balance") == 0
    again = cli("refill", "5")  # counted as a request: the cooldown holds it
    assert server.calls("refill") == 1, again.output


@pytest.mark.parametrize("words", FAULTS)
def test_a_multi_refill_answered_fault_words_is_unknown_for_every_order(panel, tmp_path, words):
    server, replies, cli = panel
    assert cli("track", "5", "6").exit_code == 0
    replies["refill"] = json_reply({"error": words})
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6])
    assert rows(tmp_path, REFILLS) == [(5, None, "Unknown", words), (6, None, "Unknown", words)]
    assert server.calls("refill") == 1  # never asked again one order at a time


def test_one_orders_refill_item_of_fault_words_is_unknown(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "5", "6", "7").exit_code == 0
    body = [
        {"order": 5, "refill": 71},
        {"order": 6, "refill": {"error": FAULTS[0]}},
        {"order": 7, "error": "Incorrect order ID"},
    ]
    replies["refill"] = json_reply(body)
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6, 7])
    assert rows(tmp_path, REFILLS) == [
        (5, "71", "Pending", None),
        (6, None, "Unknown", FAULTS[0]),
        (7, None, "Refused", "Incorrect order ID"),
    ]


class RefillsThenFailsPanel(SimulatedPanel):
    """Creates the refills asked, then answers its server's fault."""

    def _refill(self, form: Mapping[str, str], now: float) -> Any:
        super()._refill(form, now)
        raise SimRefusal(FAULTS[0])


def test_a_refill_round_answered_fault_words_sends_no_second_request(world):
    w = world(panel_class=RefillsThenFailsPanel)
    ids = w.dropped(2)
    w.round()
    assert w.panel.calls["refill"] == 1
    for order_id in ids:
        assert [(r["status"], r["error"]) for r in w.requests(order_id)] == [("Unknown", FAULTS[0])]
    w.clock.advance(H)
    w.round()
    assert w.panel.calls["refill"] == 1  # counted, as any unknown outcome: not asked again
