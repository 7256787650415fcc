"""Numbers too large for the database, through the real CLI: refused before
anything is sent or written (one line, exit 2), never a traceback after a paid
order was placed; and the store's own refusal when one reaches it anyway."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from simconfig import cli_in, sim_config

from tracker.errors import StoreError
from tracker.sim.catalogue import SERVICE_FOLLOWERS, SERVICE_VIEWS
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.orders import Store
from tracker.store.tracking import track_orders

KEY = "sim-key-BigNum5Tq8Wz3Lp"
HUGE = "99999999999999999999999"  # past SQLite's 2**63 - 1
LINK = "https://instagram.com/p/abc"


@pytest.fixture
def sim(tmp_path, monkeypatch):
    panel = SimulatedPanel(key=KEY, seed=6, speed=60.0)
    server = PanelServer(panel).start()
    config = sim_config(server.url, panel='timeout = "5s"')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})

    assert cli("track", "101", "102").exit_code == 0  # already stored, must survive
    yield panel, cli
    server.stop()
    listed = json.loads(cli("orders", "--json").output)
    assert sorted(r["order_id"] for r in listed) == [101, 102]


def one_line(result, *phrases: str) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("smm-tracker: ") and "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--service", str(SERVICE_FOLLOWERS), "--link", LINK, "--quantity", HUGE], "--quantity"),
        (
            ["--service", str(SERVICE_VIEWS), "--link", LINK, "--quantity", "100"]
            + ["--runs", HUGE, "--interval", "5"],
            "--runs",
        ),
        (
            ["--service", str(SERVICE_VIEWS), "--link", LINK, "--quantity", "100"]
            + ["--runs", "2", "--interval", HUGE],
            "--interval",
        ),
        (["--service", HUGE, "--link", LINK, "--quantity", "100"], "--service"),
    ],
)
def test_add_refuses_a_number_the_database_cannot_hold_before_sending(sim, args, option):
    panel, cli = sim
    one_line(cli("add", *args), option, HUGE, str(2**63 - 1))
    assert panel.calls["add"] == 0  # no paid order the tracker could not then store


@pytest.mark.parametrize("option", ["--quantity", "--interval", "--runs", "--service"])
def test_track_refuses_a_number_the_database_cannot_hold(sim, option):
    panel, cli = sim
    one_line(cli("track", "7777", option, HUGE), option, HUGE)
    assert "7777" not in cli("orders").output


@pytest.mark.parametrize(
    "args",
    [
        ("refills", "--order", "99999999999999999999"),
        ("refills", "--limit", "99999999999999999999"),
        ("alerts", "--limit", "99999999999999999999"),
        ("automation", "--limit", "99999999999999999999"),
        ("orders", "--limit", "99999999999999999999"),
    ],
)
def test_listing_options_are_bounded(sim, args):
    _, cli = sim
    line = one_line(cli(*args), args[1], args[2])
    assert "database" not in line  # the number is wrong, not the database


def test_the_store_refuses_a_number_it_cannot_hold_and_keeps_what_it_has(tmp_path):
    store = Store(tmp_path / "t.db")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    track_orders(store, "main", [5], now)
    with pytest.raises(StoreError, match="larger than SQLite's largest integer"):
        track_orders(store, "main", [6], now, details={"quantity": 10**30})
    with pytest.raises(StoreError, match="larger than SQLite's largest integer"):
        track_orders(store, "main", [10**30], now)
    assert [row["order_id"] for row in store.rows("SELECT order_id FROM orders")] == [5]
    store.close()
