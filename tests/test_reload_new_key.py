"""A reload (SIGHUP) that changes a panel's key at the same URL asks again
what was learned of the panel: the new key may be another account on
another version of the script.

What was learned (``panel_capabilities``) is keyed by the panel's URL. A key
changed there kept it: a balance learned missing with the old account's key
was not asked with the new one for a day, and the low-balance alert and
runway stayed off."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from waits import settled

from tracker.config.load import config_from_dict
from tracker.config.model import Secret
from tracker.service.daemon import Scheduler
from tracker.service.notify import Notifier
from tracker.service.process import Service
from tracker.sim.scripts import ScriptQuirks
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.capabilities import note_refusal
from tracker.store.key_marks import key_mark
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("fresh_logs")

OLD = "old-account-key-Qd4Lm8Tx2Rw6"
NEW = "new-account-key-Zk7Hp3Vc9Nb5"
WAIT = 20.0


@pytest.fixture
def panel() -> Iterator[tuple[SimulatedPanel, str]]:
    sim = SimulatedPanel(key=OLD, script=ScriptQuirks(missing_actions=("balance",)))
    with PanelServer(sim) as server:
        yield sim, server.url


def _config(tmp_path: Path, url: str, key: str) -> Any:
    panels = [{"name": "main", "url": url, "key": key, "retries": 0}]
    settings = {"database": {"path": "t.db"}, "panels": panels}
    return config_from_dict(settings, base_dir=tmp_path, env={})


def _until(done: Any, what: str) -> None:
    end = time.monotonic() + WAIT
    while not done():
        assert time.monotonic() < end, what
        time.sleep(0.02)


def _learned(tmp_path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return db.execute("SELECT action, supported FROM panel_capabilities").fetchall()


def _balances(tmp_path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return db.execute("SELECT panel, balance FROM balances").fetchall()


def _reload(tmp_path: Path, sim: SimulatedPanel, url: str, new_key: str) -> list[dict[str, Any]]:
    """Start the daemon with the old key on a script without balance (learned
    missing at its first call: an earlier run's refusal kept), then give the
    panel ``new_key``'s account on a script with it and reload with
    ``new_key``; return the log, once the reload's first runs have ended (or
    the turns it kept are past the test's wait)."""
    first = _config(tmp_path, url, OLD)
    # An earlier run's first refusal of balance kept: the daemon's first
    # balance call, refused again, learns it missing (learned at the second).
    store = Store(tmp_path / "t.db")
    try:
        note_refusal(store, "main", "balance", datetime.now(UTC), url, mark=key_mark(Secret(OLD)))
    finally:
        store.close()
    service = Service(first, load=lambda: first, notifier=Notifier(None))
    scheduler = Scheduler(service.stats)
    try:
        with capture_logs() as logs:
            scheduler.start(service._build(first))
            _until(lambda: _learned(tmp_path) == [("balance", 0)], "balance never learned missing")
            _until(lambda: settled(service.stats, scheduler), "the first runs never ended")
            runs = service.stats.runs_by_job["balance:main"]
            sim.key, sim.script = new_key, ScriptQuirks()  # the new account's script
            after = _config(tmp_path, url, new_key)
            scheduler.replace(service._build(after))
            service.config = after
            if new_key != OLD:
                _until(lambda: service.stats.runs_by_job["balance:main"] > runs, "not asked")
                _until(lambda: not service.stats.busy(), "the reload's runs never ended")
    finally:
        scheduler.shutdown()
    return logs


def test_a_reload_with_a_new_key_asks_the_panel_again(tmp_path, panel):
    sim, url = panel
    logs = _reload(tmp_path, sim, url, NEW)
    forgotten = [e for e in logs if e["event"] == "capabilities_forgotten"]
    assert [(e["panel"], e["actions"]) for e in forgotten] == [("main", ["balance"])]
    assert OLD not in repr(logs) and NEW not in repr(logs)
    # Asked at once (its kept turn was balance_every away), answered, stored.
    assert _balances(tmp_path) == [("main", 100.0)]
    assert ("balance", 0) not in _learned(tmp_path)


def test_a_reload_keeping_the_key_keeps_what_was_learned(tmp_path, panel):
    sim, url = panel
    logs = _reload(tmp_path, sim, url, OLD)
    assert not [e for e in logs if e["event"] == "capabilities_forgotten"]
    assert _learned(tmp_path) == [("balance", 0)]
