"""Busy words in one item of a multi ``refill`` or ``cancel`` answer.

``[{"order": 5, "refill": 71}, {"order": 6, "refill": {"error": "Too many
requests"}}]``: the panel was too busy for order 6, it did not refuse its
refill. The same words at the top of a call are "not sent, try again
later"; in an item they were stored as the order's refusal (``Refused``):
the refill round then left the order alone for a whole ``refill.cooldown``
(``refill 6`` said "cooldown; not sent"), a cancel showed "refused". Now an
item's busy words mean what they mean at the top, for that order alone:
not sent, nothing stored, asked again as any request not sent is. Busy
words beside a refill ID or a yes stay "outcome unknown" (a panel may say
busy after acting), as in a one-order answer.
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

from tracker.errors import PanelAnswerError
from tracker.panel import cancel_groups as g
from tracker.panel.models import CancelResult
from tracker.sim.orders import SimRefusal
from tracker.sim.server import SERVICE_FOLLOWERS, SimulatedPanel
from tracker.store import automation as automation_sql

H = 3600.0
CANCEL = """
cancel_pending = true
cancel_pending_after = "24h"
"""

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

KEY = "busy-items-Qw7Er5Ty3Ui1"
BUSY = "Too many requests"
BAD_ORDER = "Incorrect order ID"


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with scripted_panel(tmp_path, monkeypatch, KEY) as found:
        yield found


REFILLS = "SELECT order_id, refill_id, status, error FROM refills ORDER BY order_id"
CANCELS = "SELECT order_id, result, error FROM cancels ORDER BY order_id"


@pytest.mark.parametrize(
    "body",
    [
        [
            {"order": 5, "refill": 71},
            {"order": 6, "refill": {"error": BUSY}},
            {"order": 7, "refill": {"error": BAD_ORDER}},
        ],
        {"5": {"refill": 71}, "6": {"error": BUSY}, "7": {"error": BAD_ORDER}},
        {"5": {"refill": 71}, "6": BUSY, "7": BAD_ORDER},
    ],
    ids=["list", "keyed", "bare"],
)
def test_a_busy_item_of_a_multi_refill_is_not_sent_and_asked_again(panel, tmp_path, body):
    server, replies, cli = panel
    assert cli("track", "5", "6", "7").exit_code == 0
    replies["refill"] = json_reply(body)
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6, 7])
    # 6: no refusal stored, nothing recorded; 5 and 7 as the panel said.
    assert rows(tmp_path, REFILLS) == [
        (5, "71", "Pending", None),
        (7, None, "Refused", BAD_ORDER),
    ]
    # No cooldown holds it: `refill 6` sends it at once, as after any request not sent.
    replies["refill"] = json_reply({"refill": 72})
    again = cli("refill", "6")
    assert again.exit_code == 0, again.output
    assert "refill 72 requested for order 6" in again.stdout
    assert rows(tmp_path, REFILLS)[1] == (6, "72", "Pending", None)


def test_every_item_of_a_multi_refill_busy_refuses_no_order(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "5", "6").exit_code == 0
    replies["refill"] = json_reply([{"order": o, "refill": {"error": BUSY}} for o in (5, 6)])
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6])
    assert rows(tmp_path, REFILLS) == []  # both eligible at the next round
    replies["refill"] = json_reply([{"order": 5, "refill": 8}, {"order": 6, "refill": 9}])
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6])
    assert [r[:3] for r in rows(tmp_path, REFILLS)] == [(5, "8", "Pending"), (6, "9", "Pending")]


def test_busy_words_beside_a_refill_id_stay_unknown(panel, tmp_path):
    # Said after acting, maybe: never sent again, as in a one-order answer.
    server, replies, cli = panel
    assert cli("track", "5", "6").exit_code == 0
    body = [{"order": 5, "refill": 71}, {"order": 6, "refill": 72, "error": BUSY}]
    replies["refill"] = json_reply(body)
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6])
    assert [r[:3] for r in rows(tmp_path, REFILLS)] == [(5, "71", "Pending"), (6, None, "Unknown")]


@pytest.mark.parametrize(
    "body",
    [
        [{"order": 5, "cancel": 1}, {"order": 6, "cancel": {"error": BUSY}}],
        [{"order": 5, "cancel": 1}, {"order": 6, "error": BUSY}],
        {"5": 1, "6": BUSY},
    ],
    ids=["list", "item-error", "keyed"],
)
def test_a_busy_item_of_a_cancel_answer_is_not_sent(panel, tmp_path, body):
    server, replies, cli = panel
    replies["cancel"] = json_reply(body)
    result = cli("cancel", "--yes", "5", "6")
    assert result.exit_code == 1
    assert "#5  canceled" in result.stdout, result.output
    assert f"#6  not sent: panel busy: {BUSY} - try again later" in result.stdout
    assert rows(tmp_path, CANCELS) == [(5, "Accepted", None)]  # no refusal of 6 stored
    assert len([f for f in server.requests if f["action"] == "cancel"]) == 1


def test_a_cancel_yes_beside_busy_words_stays_unknown(panel, tmp_path):
    server, replies, cli = panel
    replies["cancel"] = json_reply([{"order": 5, "cancel": 1, "error": BUSY}])
    result = cli("cancel", "--yes", "5")
    assert result.exit_code == 1
    assert [r[:2] for r in rows(tmp_path, CANCELS)] == [(5, "Unknown")]


# --- the splitter the `cancel` command and the automation share ---


class Judge:
    def refusal(self, action: str, exc: PanelAnswerError) -> PanelAnswerError:
        raise AssertionError("no whole-call refusal here")

    def refused_as_missing(self, action: str, words: str) -> bool:
        return False


def results(order_ids: list[int], *answers: CancelResult) -> list[g.Settled]:
    return list(g.cancel_in_groups(order_ids, lambda group: list(answers), Judge()))


def test_the_splitter_keeps_no_refusal_of_an_order_the_panel_was_too_busy_for():
    settled = results(
        [1, 2, 3, 4],
        CancelResult(order_id=1, ok=True),
        CancelResult(order_id=2, ok=False, error=BUSY),
        CancelResult(order_id=3, ok=False, error=BAD_ORDER),
        CancelResult(order_id=4, ok=False, error="Rate limit exceeded"),
    )
    assert [(s.order_ids, s.kind) for s in settled] == [((1, 2, 3, 4), g.ANSWERED)]
    assert settled[0].busy == {2: BUSY, 4: "Rate limit exceeded"}
    assert settled[0].results() == [(1, g.ACCEPTED, None), (3, g.REFUSED, BAD_ORDER)]


def test_the_splitter_reads_every_order_busy_as_the_call_answered_busy():
    settled = results([1, 2], *(CancelResult(order_id=o, ok=False, error=BUSY) for o in (1, 2)))
    assert [(s.order_ids, s.kind, s.detail) for s in settled] == [((1, 2), g.BUSY, BUSY)]
    assert settled[0].results() == []


# --- the automation's stale-Pending cancels ---


class BusyForOneCancelPanel(SimulatedPanel):
    """Answers the first order of its first cancel call "Too many requests"
    as its item (the others canceled), then cancels as usual."""

    busy = 1

    def _cancel_one(self, token: str, now: float) -> int:
        if self.busy:
            self.busy -= 1
            raise SimRefusal(BUSY)
        return super()._cancel_one(token, now)


def test_the_automation_asks_again_next_round_an_order_the_panel_was_too_busy_to_cancel(world):
    w = world(automation=CANCEL, panel_class=BusyForOneCancelPanel)
    w.sync_services()
    first, second = (w.order(SERVICE_FOLLOWERS, "Pending") for _ in range(2))
    w.poll()
    w.clock.advance(25 * H)
    w.poll()
    assert not w.jobs["automation:sim"].run()  # a call failed for one order
    assert w.panel.calls["cancel"] == 1
    assert [(a["order_id"], a["status"]) for a in cancel_actions(w)] == [(second, "Requested")]
    assert [r["order_id"] for r in w.store.rows("SELECT order_id FROM cancels")] == [second]
    w.clock.advance(600)
    w.poll()
    assert w.jobs["automation:sim"].run()
    assert w.panel.calls["cancel"] == 2
    done = sorted((a["order_id"], a["status"]) for a in cancel_actions(w))
    assert done == [(first, "Requested"), (second, "Requested")]
    w.poll()
    assert w.store.order("sim", first)["status"] == "Canceled"


def cancel_actions(w: Any) -> list[dict[str, Any]]:
    return [a for a in automation_sql.actions(w.store) if a["action"] == "cancel"]
