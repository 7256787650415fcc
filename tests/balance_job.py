"""The balance job of one panel ("main") against the simulated panel on
loopback, with an injected clock, and the `balance` command reading the
database it wrote: for the tests of what the job logs and the command says."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in

from tracker.config.load import config_from_dict
from tracker.jobs.base import Job
from tracker.jobs.tracker import Tracker
from tracker.sim.server import PanelServer, SimulatedPanel


@contextmanager
def balance_job(tmp_path: Path, clock: Any, key: str) -> Iterator[tuple[SimulatedPanel, Job]]:
    """Yield the simulated panel and the Tracker's ``balance:main`` job, its
    database ``tmp_path/tracker.db``; both closed at the end."""
    panel = SimulatedPanel(clock=lambda: clock().timestamp(), key=key, quirks=False)
    server = PanelServer(panel).start()
    data = {
        "database": {"path": str(tmp_path / "tracker.db")},
        "panels": [{"name": "main", "url": server.url, "key": key, "retries": 0}],
        "refill": {"enabled": False},
    }
    tracker = Tracker(config_from_dict(data, base_dir=tmp_path, env={}), clock=clock)
    try:
        yield panel, {job.name: job for job in tracker.jobs()}["balance:main"]
    finally:
        tracker.close()
        server.stop()


def balance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """Return what `smm-tracker balance ARGS` prints of ``tmp_path/tracker.db``."""
    config = OFFLINE_CONFIG.replace('"t.db"', '"tracker.db"')  # "main", never called
    cli = cli_in(tmp_path, monkeypatch, config, env={"SMM_TEST_KEY": TEST_KEY})
    return cli("balance", *args).stdout
