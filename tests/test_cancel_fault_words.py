"""``cancel`` answered in the words of the panel's server failing
("SQLSTATE...", "Internal server error"): outcome unknown, as an ``add`` so
answered is (tests/test_add_maybe_placed_words.py).

A panel script that fails after acting answers its server's fault. A cancel
so answered printed "not canceled: SQLSTATE... (and the panel failed a
balance check)", though no balance check was made and the orders may have
been canceled; the automation asked the same orders again next round; one
order's item so answered was "refused". Through the real CLI and a scripted
panel on loopback, and the simulated panel's automation; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hostile import FAULTS, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from scripted_panel import rows
from simconfig import scripted_panel

from tracker.sim.orders import SimRefusal
from tracker.sim.server import SERVICE_FOLLOWERS, SimulatedPanel
from tracker.store import automation as automation_sql

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

KEY = "cancel-fault-Zx8Cv6Bn4Mq2"
H = 3600.0
MAYBE = "may or may not be canceled: check the panel; the next poll sees its status"
CANCELS = "SELECT order_id, result, error FROM cancels ORDER BY order_id"
CANCEL = """
cancel_pending = true
cancel_pending_after = "24h"
"""


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with scripted_panel(tmp_path, monkeypatch, KEY) as found:
        yield found


@pytest.mark.parametrize("code", [200, 400])
@pytest.mark.parametrize("words", FAULTS)
@pytest.mark.parametrize("ids", [["5"], ["5", "6"]], ids=["one", "two"])
def test_a_cancel_answered_fault_words_may_or_may_not_have_canceled(
    panel, tmp_path, words, code, ids
):
    server, replies, cli = panel
    replies["cancel"] = json_reply({"error": words}, status=code)
    result = cli("cancel", "--yes", *ids)
    assert result.exit_code == 1, result.output
    said = f"{'HTTP 400: ' if code == 400 else ''}{words} ({MAYBE})"
    assert result.stdout.splitlines() == [f"#{order_id}  unknown: {said}" for order_id in ids]
    assert "balance check" not in result.output and "not canceled" not in result.output
    assert "try again later" not in result.output
    # Stored as any cancel of unknown outcome; sent once, never split, no balance asked.
    assert rows(tmp_path, CANCELS) == [(int(o), "Unknown", said) for o in ids]
    assert server.calls("cancel") == 1 and server.calls("balance") == 0


@pytest.mark.parametrize(
    "body",
    [
        [{"order": 5, "cancel": 1}, {"order": 6, "cancel": {"error": FAULTS[0]}}],
        [{"order": 5, "cancel": 1}, {"order": 6, "error": FAULTS[0]}],
        {"5": 1, "6": {"error": FAULTS[0]}},
    ],
    ids=["list", "item-error", "keyed"],
)
def test_one_orders_cancel_answered_fault_words_is_unknown_not_refused(panel, tmp_path, body):
    server, replies, cli = panel
    replies["cancel"] = json_reply(body)
    result = cli("cancel", "--yes", "5", "6")
    assert result.exit_code == 1, result.output
    assert "#5  canceled" in result.stdout, result.output
    assert f"#6  unknown: {FAULTS[0]} ({MAYBE})" in result.stdout, result.output
    assert "refused" not in result.stdout
    assert rows(tmp_path, CANCELS) == [
        (5, "Accepted", None),
        (6, "Unknown", f"{FAULTS[0]} ({MAYBE})"),
    ]


def test_a_cancel_refused_in_the_panels_words_is_still_refused(panel, tmp_path):
    server, replies, cli = panel
    replies["cancel"] = json_reply([{"order": 5, "cancel": {"error": "Incorrect order ID"}}])
    result = cli("cancel", "--yes", "5")
    assert "#5  refused: Incorrect order ID" in result.stdout, result.output
    assert rows(tmp_path, CANCELS) == [(5, "Refused", "Incorrect order ID")]


class CancelsThenFailsPanel(SimulatedPanel):
    """Cancels the orders asked, then answers its server's fault: a script
    failing after acting."""

    def _cancel(self, form: Mapping[str, str], now: float) -> Any:
        super()._cancel(form, now)
        raise SimRefusal(FAULTS[0])


def test_the_automation_never_cancels_again_what_a_fault_answer_may_have_canceled(world):
    w = world(automation=CANCEL, panel_class=CancelsThenFailsPanel)
    w.sync_services()
    order = w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    w.clock.advance(25 * H)
    w.poll()
    w.jobs["automation:sim"].run()
    assert w.panel.calls["cancel"] == 1 and w.panel.calls["balance"] == 0
    (action,) = [a for a in automation_sql.actions(w.store) if a["action"] == "cancel"]
    assert (action["order_id"], action["status"]) == (order, "Unknown")
    stored = w.store.rows("SELECT order_id, result FROM cancels")
    assert [(r["order_id"], r["result"]) for r in stored] == [(order, "Unknown")]
    w.clock.advance(600)
    w.jobs["automation:sim"].run()
    assert w.panel.calls["cancel"] == 1  # never sent again
    w.poll()  # the next poll sees what the panel did
    assert w.store.order("sim", order)["status"] == "Canceled"
