"""A reload (SIGHUP) while the database cannot be written carries the outage
on: no second store_unwritable for it, and its store_writable once writes work."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.jobs.health import STORE_UNWRITABLE, STORE_WRITABLE, StoreHealth
from tracker.jobs.tracker import Tracker
from tracker.service import process
from tracker.service.notify import Notifier
from tracker.service.process import Service

READ_ONLY = "database t.db is read-only: user u cannot write t.db (owner u, mode 0444)"


def make_service(tmp_path: Path) -> Service:
    config = config_from_dict(
        {
            "database": {"path": "t.db"},
            "panels": [{"name": "p", "url": "http://127.0.0.1:9/api/v2", "key": "k" * 12}],
        },
        base_dir=tmp_path,
        env={},
    )
    return Service(config, load=lambda: config, notifier=Notifier(None))


def recorded_healths(monkeypatch) -> list[StoreHealth]:
    """Have each generation the service builds note its store health, in order."""
    healths: list[StoreHealth] = []

    class Recorded(Tracker):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            healths.append(self.watch.store_health)

    monkeypatch.setattr(process, "Tracker", Recorded)
    return healths


def alerts(logs: list[dict]) -> list[str]:
    return [entry["alert"] for entry in logs if entry.get("event") == "alert"]


@pytest.mark.usefixtures("fresh_logs")
def test_a_reload_during_a_store_outage_neither_raises_it_again_nor_leaves_it_open(
    tmp_path, monkeypatch
):
    # Soak: chmod 0444 + SIGHUP raised store_unwritable; a second SIGHUP raised
    # it again; the fix and a SIGHUP left it open for good (no store_writable,
    # the outage never in the alerts table).
    healths = recorded_healths(monkeypatch)
    service = make_service(tmp_path)
    generations = [service._build(service.config)]
    with capture_logs() as logs:
        healths[0].record("status:p", READ_ONLY)
        generations.append(service._build(service.config))  # the reload
        healths[1].record("status:p", READ_ONLY)  # still failing after it
        healths[0].record("balance:p", READ_ONLY)  # the old generation's last run
        assert alerts(logs) == [STORE_UNWRITABLE]
        generations.append(service._build(service.config))  # fixed, then reloaded
        healths[2].record("status:p", None)
        assert alerts(logs) == [STORE_UNWRITABLE, STORE_WRITABLE]
    for generation in generations:
        generation.close()
    conn = sqlite3.connect(tmp_path / "t.db")  # the outage is in the alerts table too
    try:
        kinds = [kind for (kind,) in conn.execute("SELECT kind FROM alerts ORDER BY id")]
    finally:
        conn.close()
    assert kinds == [STORE_UNWRITABLE, STORE_WRITABLE]


@pytest.mark.usefixtures("fresh_logs")
def test_the_writable_gauge_follows_the_outage_across_a_reload(tmp_path, monkeypatch):
    # An operator saw a full disk on the metrics endpoint only as failures of
    # every job: smm_tracker_database_writable says it, 0 while store_unwritable
    # is open (a reload carrying it on), 1 once a job writes again.
    from tracker.service.metrics import render

    healths = recorded_healths(monkeypatch)
    service = make_service(tmp_path)
    generations = [service._build(service.config)]

    def writable() -> str:
        [line] = [
            line
            for line in render(service._snapshot()).splitlines()
            if line.startswith("smm_tracker_database_writable ")
        ]
        return line.split()[1]

    try:
        assert writable() == "1.0"
        healths[0].record("status:p", READ_ONLY)
        assert writable() == "0.0"
        generations.append(service._build(service.config))  # the reload carries it on
        assert writable() == "0.0"
        healths[1].record("status:p", None)  # a job wrote again
        assert writable() == "1.0"
    finally:
        for generation in generations:
            generation.close()
