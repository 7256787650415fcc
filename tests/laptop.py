"""A Tracker on a Resumable clock (a laptop that sleeps) and a simulated panel
over loopback HTTP, for tests of sleeps and clock steps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from resumable import Resumable

from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-01234567"


@contextmanager
def laptop(
    tmp_path: Path, start: datetime, *, boot: bool = False, **sections: Any
) -> Iterator[tuple[Resumable, SimulatedPanel, Tracker, list[Any]]]:
    """Yield the clock, the panel (one open order tracked), the Tracker (the
    clock's boot twin passed when ``boot``; config ``sections`` added) and
    its status and balance jobs."""
    clock = Resumable(start)
    panel = SimulatedPanel(clock=lambda: clock().timestamp(), key=KEY, quirks=False)
    server = PanelServer(panel).start()
    data = {
        "database": {"path": str(tmp_path / "tracker.db")},
        "panels": [{"name": "main", "url": server.url, "key": KEY, "retries": 0}],
        "refill": {"enabled": False},
        "alerts": {"unreachable_after": "15m"},
        **sections,
    }
    config = config_from_dict(data, base_dir=tmp_path, env={})
    boottime = {"boottime": clock.boottime} if boot else {}
    tracker = Tracker(config, clock=clock, monotonic=clock.monotonic, **boottime)
    try:
        tracker.store.track("main", panel.seed_orders(1, status="In progress"), clock())
        tracker.everything = True
        jobs = [j for j in tracker.jobs() if j.name in ("status:main", "balance:main")]
        yield clock, panel, tracker, jobs
    finally:
        tracker.close()
        server.stop()
