"""Adaptive polling: quiet orders back off, active ones are seen every interval.

Driven by an injected clock against the simulated panel (which reads the same
clock), so hours of five-minute polls run in a moment.
"""

from __future__ import annotations

import math
from datetime import timedelta

from tracker.clock import iso, parse_iso
from tracker.config.model import PanelConfig, Secret
from tracker.jobs.poll import poll_panel
from tracker.panel.client import PanelClient
from tracker.panel.models import OrderStatus
from tracker.rules.transitions import Cadence, apply_report
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.orders import Store

KEY = "adaptive-key-Zx4Cv8Bn1M"
CADENCE = Cadence(every=300, max_every=3600)


def test_the_next_check_counts_from_the_start_of_the_poll(clock):
    # A poll that started at T answered this order 200 s in: the next poll
    # starts at T + 300, and the order must be due by then.
    polled_at = clock()
    clock.advance(200)
    row = {"panel": "p", "order_id": 1, "status": "Pending", "remains": 10}
    out = apply_report(
        row, OrderStatus(1, status="In progress", remains=5), clock(), CADENCE, polled_at=polled_at
    )
    assert out.changes["last_checked_at"] == iso(clock())  # stamped when answered
    due = parse_iso(out.changes["next_check_at"])
    assert polled_at + timedelta(seconds=240) <= due <= polled_at + timedelta(seconds=300)


def test_active_orders_are_checked_every_interval_while_the_backlog_backs_off(tmp_path, clock):
    # A slow panel: each call takes 20 s of the (injected) clock, so a poll
    # through the whole backlog lasts well past the next-check slack.
    panel = SimulatedPanel(key=KEY, seed=5, speed=900, clock=lambda: clock().timestamp())
    quiet = list(panel.seed_orders(400, status="In progress"))
    store = Store(tmp_path / "t.db")
    store.track("sim", quiet, clock())
    active: list[int] = []
    finished: set[int] = set()
    calls: list[int] = []
    with PanelServer(panel) as server:
        config = PanelConfig(name="sim", url=server.url, key=Secret(KEY), concurrency=2, retries=0)
        client = PanelClient(config, limiter=lambda: clock.advance(20))
        try:
            for cycle in range(12 * 12):  # twelve hours of polls, one every 5 minutes
                start = clock()
                if cycle % 6 == 0:  # a new order every half hour; each takes ~1 h
                    active += panel.seed_orders(1)
                    store.track("sim", active[-1:], start)
                before = panel.calls["status"]
                poll_panel(store, client, clock=clock, cadence=CADENCE)
                calls.append(panel.calls["status"] - before)
                for order_id in set(active) - finished:
                    row = store.order("sim", order_id)
                    # Checked in this very poll, so whatever it did since the
                    # last one was seen within one status interval.
                    assert parse_iso(row["last_checked_at"]) >= start, (cycle, order_id)
                    assert row["status"] == panel.order(order_id).status or not row["polling"]
                    if not row["polling"]:
                        finished.add(order_id)
                clock.now = start + timedelta(seconds=300)
        finally:
            client.close()
    assert len(finished) >= 20  # the active orders really did run their course
    tracked = len(quiet) + len(active)
    # The mature backlog (last four hours): far below one sweep per poll...
    assert sum(calls[-48:]) / 48 < math.ceil(tracked / 100) / 2
    # ...yet no quiet order waits longer than status_max_every (+ one poll).
    oldest = min(parse_iso(store.order("sim", i)["last_checked_at"]) for i in quiet)
    assert clock() - oldest <= timedelta(seconds=3600 + 300)
    store.close()
