"""The simulated panel answering chosen orders in chosen status words, and the
steps the tests of status words share (tests/test_unknown_status_alert.py,
tests/test_status_reason.py)."""

from __future__ import annotations

from typing import Any

from refill_world import World

from tracker.sim.catalogue import SERVICE_FOLLOWERS
from tracker.sim.orders import OrderView
from tracker.sim.server import SimulatedPanel

MINUTE = 60.0


class WordsPanel(SimulatedPanel):
    """The simulator answering the orders in ``words`` with those status words
    (a test gives the panel a dict of its own: ``w.panel.words = {...}``)."""

    words: dict[int, str] = {}

    def _order_item(self, view: OrderView) -> dict[str, Any]:
        item = super()._order_item(view)
        if view.order_id in self.words:
            item["status"] = self.words[view.order_id]
        return item


def in_progress(w: World, n: int) -> list[int]:
    """Seed ``n`` orders pinned In progress on the panel and track them."""
    return [w.order(SERVICE_FOLLOWERS, "In progress") for _ in range(n)]


def poll(w: World) -> None:
    w.clock.advance(MINUTE)
    w.poll()
