"""Scale regressions that time nothing: the API's call floor, and flat memory.

A poll of N due orders must cost exactly ceil(N/100) status calls, counted by
the simulated panel itself; and the poll's memory must not grow with N (IDs
are streamed from SQLite, answers stored as they come).
"""

from __future__ import annotations

import gc
import math
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracker.clock import utcnow
from tracker.config.model import PanelConfig, Secret
from tracker.jobs.poll import poll_panel
from tracker.panel.client import PanelClient
from tracker.rules.transitions import Cadence
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.orders import Store

KEY = "scale-key-Qw8Er5Ty2Ui7"
CADENCE = Cadence(every=300, max_every=3600)


def panel_config(url: str, concurrency: int = 4) -> PanelConfig:
    return PanelConfig(
        name="sim", url=url, key=Secret(KEY), timeout=10, concurrency=concurrency, retries=0
    )


@pytest.mark.parametrize("n", [1, 99, 100, 101, 250, 1234])
def test_a_poll_of_n_due_orders_costs_exactly_ceil_n_over_100_status_calls(tmp_path, n):
    panel = SimulatedPanel(key=KEY, seed=3)
    ids = panel.seed_orders(n, status="In progress")
    store = Store(tmp_path / "t.db")
    store.track("sim", list(ids), utcnow())
    with PanelServer(panel) as server:
        client = PanelClient(panel_config(server.url))
        try:
            result = poll_panel(store, client, clock=utcnow, cadence=CADENCE)
        finally:
            client.close()
    assert panel.calls["status"] == math.ceil(n / 100) == result.calls
    assert sum(panel.ids_per_call) == n and max(panel.ids_per_call) <= 100
    assert result.checked == n and result.ok
    # Every order was answered and recorded: nothing left due, one transition each.
    assert list(store.due_order_ids("sim", utcnow(), 100)) == []
    assert store.rows("SELECT count(*) AS n FROM transitions")[0]["n"] == n
    store.close()


def test_new_and_overdue_orders_share_full_batches(tmp_path, clock):
    panel = SimulatedPanel(key=KEY, seed=3, clock=lambda: clock().timestamp())
    ids = list(panel.seed_orders(210, status="In progress"))
    store = Store(tmp_path / "t.db")
    store.track("sim", ids[:150], clock())
    with PanelServer(panel) as server:
        client = PanelClient(panel_config(server.url))
        try:
            poll_panel(store, client, clock=clock, cadence=CADENCE)
            clock.advance(300)
            store.track("sim", ids[150:], clock())  # 60 new ones beside 150 due again
            panel.reset_counters()
            result = poll_panel(store, client, clock=clock, cadence=CADENCE)
        finally:
            client.close()
    assert panel.calls["status"] == 3 and sorted(panel.ids_per_call) == [10, 100, 100]
    assert result.checked == 210
    store.close()


def test_a_mature_backlog_costs_only_what_is_due(tmp_path, clock):
    panel = SimulatedPanel(key=KEY, seed=3, clock=lambda: clock().timestamp())
    ids = list(panel.seed_orders(450, status="In progress"))
    store = Store(tmp_path / "t.db")
    store.track("sim", ids, clock())
    with PanelServer(panel) as server:
        client = PanelClient(panel_config(server.url))
        try:
            poll_panel(store, client, clock=clock, cadence=CADENCE)
            clock.advance(300)
            panel.reset_counters()
            assert poll_panel(store, client, clock=clock, cadence=CADENCE).calls == 5
            # Nothing moved for a day: each order now waits the longest interval.
            for _ in range(24 * 12):
                clock.advance(300)
                poll_panel(store, client, clock=clock, cadence=CADENCE)
            panel.reset_counters()
            for _ in range(12):  # the next hour: every order once, no more
                clock.advance(300)
                poll_panel(store, client, clock=clock, cadence=CADENCE)
        finally:
            client.close()
    assert sum(panel.ids_per_call) == 450
    assert panel.calls["status"] == 5
    store.close()


SIM_SCRIPT = """
import sys
from tracker.sim.server import PanelServer, SimulatedPanel
panel = SimulatedPanel(key=sys.argv[1], seed=3)
start = panel.seed_orders(int(sys.argv[2]), status="In progress")[0]
with PanelServer(panel) as server:
    print(server.url, start, flush=True)
    sys.stdin.read()
"""


@pytest.fixture(scope="module")
def remote_panel() -> Iterator[tuple[str, int]]:
    """A simulated panel in another process, so tracemalloc sees the tracker alone."""
    child = subprocess.Popen(
        [sys.executable, "-c", SIM_SCRIPT, KEY, "20000"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        url, start = child.stdout.readline().split()
        yield url, int(start)
    finally:
        child.communicate(timeout=10)


def traced_poll_peak(db: Path, url: str, ids: range) -> int:
    """Track ``ids``, poll them all once; return the poll's peak traced memory."""
    store = Store(db)
    store.track("sim", list(ids), utcnow())
    client = PanelClient(panel_config(url, concurrency=1))
    try:
        gc.collect()
        tracemalloc.start()
        try:
            result = poll_panel(store, client, clock=utcnow, cadence=CADENCE)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    finally:
        client.close()
        store.close()
    assert result.checked == len(ids) and result.ok
    return peak


def test_poll_memory_does_not_grow_with_the_number_of_orders(tmp_path, remote_panel):
    url, start = remote_panel
    traced_poll_peak(tmp_path / "warm.db", url, range(start, start + 200))  # imports, caches
    small = traced_poll_peak(tmp_path / "small.db", url, range(start, start + 2_000))
    large = traced_poll_peak(tmp_path / "large.db", url, range(start, start + 20_000))
    # Ten times the orders, about the same peak (~0.6 MB): a few batches' answers
    # and rows at a time. Holding every ID (~0.7 MB more at 20k) or every row
    # would break this.
    assert large < small * 1.5, f"peak {small // 1024} KB at 2k, {large // 1024} KB at 20k"
