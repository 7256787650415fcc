"""prune keeps each panel's newest finite balance check (money157).

It kept each panel's newest check by time only. 0.1.0 stored a panel's
"1e400" as infinity: that check the newest, the finite ones before it
pruned, the `smm_tracker_balance` gauge and `balance` (which pass over a
balance that is no finite number) had no balance left to show.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from simconfig import cli_in, sim_config

from tracker.clock import iso, utcnow
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.orders import Store
from tracker.store.readings import latest_balances

KEY = "sim-key-prune-finite-57"
NOW = utcnow()


def _at(days: int) -> str:
    return iso(NOW - timedelta(days=days))


@pytest.fixture
def cli(tmp_path, monkeypatch):
    server = PanelServer(SimulatedPanel(key=KEY, seed=3)).start()
    yield cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
    server.stop()


def _checks(db, rows: list[tuple[str, str, float]]) -> None:
    Store(db).close()
    with sqlite3.connect(db) as c:
        c.executemany("INSERT INTO balances VALUES (?, ?, ?, 'USD')", rows)
    c.close()


def _left(db) -> list[tuple[str, float]]:
    with sqlite3.connect(db) as c:
        found = c.execute("SELECT panel, balance FROM balances ORDER BY panel, rowid").fetchall()
    c.close()
    return found


def test_an_infinite_newest_check_keeps_the_newest_finite_one_too(cli, tmp_path):
    db = tmp_path / "t.db"
    inf = float("inf")
    _checks(
        db,
        [
            ("sim", _at(420), 40.0),  # goes
            ("sim", _at(410), 50.0),  # the newest finite: kept
            ("sim", _at(400), inf),  # the newest, 0.1.0's "1e400": kept
            ("other", _at(410), 7.0),  # goes: a finite newest after it
            ("other", _at(400), 8.0),
            ("none", _at(410), inf),  # goes: no finite check to keep
            ("none", _at(400), inf),
        ],
    )
    done = cli("prune", "--older-than", "365d", "--yes")
    assert done.exit_code == 0, done.output
    assert _left(db) == [("none", inf), ("other", 8.0), ("sim", 50.0), ("sim", inf)]
    store = Store(db)
    try:
        assert sorted(latest_balances(store)) == [("other", "USD", 8.0), ("sim", "USD", 50.0)]
    finally:
        store.close()
    shown = cli("balance", "--json")
    assert shown.exit_code == 0, shown.output
    sim = [p for p in json.loads(shown.stdout)["panels"] if p["panel"] == "sim"]
    assert [(p["balance"], p["currency"]) for p in sim] == [(50.0, "USD")]


def test_the_dry_run_counts_the_newest_finite_check_as_kept(cli, tmp_path):
    db = tmp_path / "t.db"
    _checks(db, [("sim", _at(410), 50.0), ("sim", _at(400), float("-inf"))])
    counted = cli("prune", "--older-than", "365d", "--dry-run")
    assert counted.exit_code == 0, counted.output
    assert counted.output.splitlines()[-1] == "nothing to delete"
    assert len(_left(db)) == 2
