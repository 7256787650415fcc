"""Refill answers whose words are not what their place says: a refill_status
"status" that is the panel's refusal in words ("Refill not found")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from refill_world import DAY, H, World

from tracker.panel import parse_refills
from tracker.sim.server import SERVICE_FOLLOWERS, SimulatedPanel


class WordyPanel(SimulatedPanel):
    """Says a lost refill is lost in its ``status`` field, as words, for the
    refill IDs in ``lost``: ``{"refill": 7, "status": "Refill not found"}``."""

    lost: set[str] = set()

    def _refill_status(self, form: Mapping[str, str], now: float) -> Any:
        answer = super()._refill_status(form, now)
        if "refills" in form:
            for item in answer:
                if str(item["refill"]) in self.lost:
                    item["status"] = "Refill not found"
            return answer
        if form.get("refill") in self.lost:
            return {"status": "Refill not found"}
        return answer


def test_refusing_words_as_a_refill_status_close_it_as_unknown(world):
    # Kept as an unknown status, "Refill not found" held the refill open for
    # ever: its order could never be refilled again, and nothing said so.
    w: World = world(panel_class=WordyPanel)
    w.sync_services()
    done, running = (w.order(SERVICE_FOLLOWERS), w.order(SERVICE_FOLLOWERS))
    w.poll()
    w.clock.advance(DAY)
    w.panel.drop(running, 30)
    assert w.round()
    w.clock.advance(90)
    assert w.round()
    refill_id = w.requests(running)[-1]["refill_id"]
    assert w.requests(running)[-1]["status"] == "In progress"
    w.panel.lost = {refill_id}
    for _ in range(3):
        w.clock.advance(H)
        assert w.round()
    row = w.requests(running)[-1]
    assert (row["status"], row["error"]) == ("Unknown", "Refill not found")
    assert w.requests(done)[-1]["status"] == "Rejected"  # it answered that one


def test_a_refill_status_in_refusing_words_is_an_error_not_a_status():
    (multi,) = parse_refills.parse_refill_status_multi(
        ["7"], [{"refill": "7", "status": "Refill not found"}]
    )
    assert (multi.status, multi.error) == (None, "Refill not found")
    keyed = parse_refills.parse_refill_status_multi(["7"], {"7": "Incorrect refill ID"})
    assert keyed[0].error == "Incorrect refill ID"
    single = parse_refills.parse_refill_status_single("7", {"status": "Refill not found"})
    assert single.error == "Refill not found"
    odd = parse_refills.parse_refill_status_single("7", {"status": "Queued at provider"})
    assert (odd.status, odd.known_status) == ("Queued at provider", False)  # verbatim
