"""The verdicts judged ahead in the poll's waits are the watch's own.

What a user checks: after a poll and the stall watch's pass, ``order_watch``
(each order's eta, baseline, stall episode, recheck time and what it was
judged by) holds exactly what the pass alone stores, whether or not the
poll judged its changed orders ahead (:mod:`tracker.jobs.prejudge`), and
the same alerts are raised.
"""

from __future__ import annotations

from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import H, World

from tracker.jobs.prejudge import Prejudge
from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_LIKES
from tracker.store.alerts import alerts_since

pytestmark = pytest.mark.usefixtures("fresh_logs")

STEP = 600.0


def _watch(w: World) -> list[tuple[Any, ...]]:
    """Return every ``order_watch`` row, in order (IDs are the same in both worlds)."""
    return w.store.tuples("SELECT * FROM order_watch ORDER BY panel, order_id")


def _alerts(w: World) -> list[tuple[str, list[int]]]:
    found = alerts_since(w.store, None, limit=1000)
    return [(a["kind"], [o["order_id"] for o in a["data"].get("orders", [])]) for a in found]


def _orders(w: World) -> dict[str, list[int]]:
    """Seed the same orders in a world: completed ones (their service's
    median), ones that will stall, move, stay or finish."""
    done = [w.order(SERVICE_LIKES, "Completed") for _ in range(3)]
    return {
        "done": done,
        "stuck": [w.order(SERVICE_FOLLOWERS, "Pending") for _ in range(2)],
        "moving": [w.order(SERVICE_LIKES, "Pending") for _ in range(6)],
        "still": [w.order(SERVICE_FOLLOWERS, "In progress") for _ in range(3)],
        "ending": [w.order(SERVICE_LIKES, "In progress") for _ in range(2)],
    }


def _round(w: World, prejudge: Prejudge | None) -> None:
    """One poll, its changed orders judged ahead when ``prejudge`` is given, then the pass."""
    w.poll()
    if prejudge is not None:
        while prejudge.step():
            pass
    assert w.jobs["automation:sim"].run()


def test_order_watch_after_judging_ahead_is_what_the_pass_alone_stores(tmp_path, clock):
    (tmp_path / "ahead").mkdir()
    (tmp_path / "alone").mkdir()
    ahead, alone = World(tmp_path / "ahead", clock), World(tmp_path / "alone", clock)
    try:
        worlds = [ahead, alone]
        seeded = [_orders(w) for w in worlds]
        assert seeded[0] == seeded[1]
        ids = seeded[0]
        prejudge = Prejudge(ahead.store, "sim", ahead.config.automation, ahead.clock)
        ahead.tracker.transition_listeners.append(prejudge.changed)
        for w in worlds:  # the first pass judges every open order
            _round(w, None)
        judged_ahead = 0
        for step in range(int(14 * H / STEP)):
            clock.advance(STEP)
            for w in worlds:
                if step == 30:  # some move on, a stalled one among them later
                    for order_id in ids["moving"]:
                        w.panel.pin(order_id, "In progress")
                if step == 40:
                    for order_id in ids["ending"]:
                        w.panel.pin(order_id, "Completed")
                    for order_id in ids["moving"][:3]:
                        w.panel.pin(order_id, "Processing")
                if step == 80:  # stalled by now: its move is an event, the pass's
                    w.panel.pin(ids["stuck"][0], "In progress")
            before = prejudge.judged
            _round(ahead, prejudge)
            judged_ahead += prejudge.judged - before
            _round(alone, None)
            assert _watch(ahead) == _watch(alone), step
        assert judged_ahead > 0  # the poll did judge ahead
        assert _alerts(ahead) == _alerts(alone)
        assert {kind for kind, _ in _alerts(ahead)} >= {"order_stalled", "order_moving"}
    finally:
        for w in worlds:
            w.close()
