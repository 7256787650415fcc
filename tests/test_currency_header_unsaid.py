"""A header names one currency ("CHARGE USD", "RATE USD", "COST USD") only
when every row shown is in it: `orders`, `history`, `services` and
`automation` on a terminal said CHARGE USD over a 2.00 whose currency the
panel never gave, as `report` said SPEND USD (ux163). Then each figure says
its own currency in its cell under a plain header ("1.00 USD"), this one
none ("2.00"), as `report` says a spend; a row charged nothing (0.00 is
0.00 in any) keeps the one header. Piped, the columns as ever. Offline, on
prepared databases, through the real CLI."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from simconfig import cli_in
from test_dashboard_cards import orders_db
from test_panels_in_two_currencies import CONFIG, listed, reordered

from tracker.cli import screen as screen_module
from tracker.cli.orders import ORDER_SCREEN
from tracker.cli.render import layout_of
from tracker.cli.table_fit import IN_CELLS
from tracker.clock import iso, utcnow
from tracker.store.orders import Store


@pytest.fixture
def cli(tmp_path, monkeypatch):
    return cli_in(tmp_path, monkeypatch, CONFIG, env={"SMM_TEST_KEY": None})


def shown(cli, monkeypatch, terminal: bool, *args: str) -> list[str]:
    """What ``args`` print on an 80-column terminal (or piped), by line."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: terminal)
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def _orders(tmp_path: Path, unknown: float | None) -> None:
    """alpha's order 1 charged 1.00 USD, order 2 ``unknown`` with no currency."""
    orders_db(tmp_path / "t.db", [("alpha", 1, 1.0, "USD"), ("alpha", 2, unknown, None)])


def test_orders_name_no_currency_over_a_charge_whose_currency_is_unknown(
    tmp_path, cli, monkeypatch
):
    _orders(tmp_path, 2.0)
    head, *lines = shown(cli, monkeypatch, True, "orders")
    assert head.split()[3:] == ["CHARGE"], head  # was CHARGE USD over 2.00
    rows = {line.split()[1]: line.split()[3:] for line in lines}
    assert rows == {"1": ["1.00", "USD"], "2": ["2.00"]}, lines
    head, *lines = shown(cli, monkeypatch, False, "orders")  # piped: as ever
    assert head.split()[5:7] == ["CHARGE", "CUR"], head
    assert {line.split()[1]: line.split()[5:7] for line in lines}["2"] == ["2.00", "-"]


def test_orders_keep_one_currency_in_their_header_over_nothing_charged(tmp_path, cli, monkeypatch):
    _orders(tmp_path, 0.0)
    head, *lines = shown(cli, monkeypatch, True, "orders")
    assert head.split()[3:5] == ["CHARGE", "USD"], head
    assert {line.split()[1]: line.split()[3] for line in lines} == {"1": "1.00", "2": "0.00"}


def test_a_long_listing_laid_out_first_says_no_unit_over_a_figure_with_none():
    # orders past one chunk lay out the whole listing first (layout_of).
    rows = [{"charge": 1.0, "currency": "USD"}, {"charge": 2.0, "currency": None}]
    columns = ["charge", "currency"]
    assert layout_of(rows, columns, ORDER_SCREEN).units == {"currency": IN_CELLS}  # was USD
    rows[1]["charge"] = 0.0
    assert layout_of(rows, columns, ORDER_SCREEN).units == {"currency": "USD"}


def test_history_names_no_currency_over_a_change_charged_in_none(tmp_path, cli, monkeypatch):
    store = Store(tmp_path / "t.db")
    now = utcnow().replace(microsecond=0)
    store.track("alpha", [5], now - timedelta(hours=1))
    store.close()
    with sqlite3.connect(tmp_path / "t.db") as db:
        for minute, to, charge, currency in [
            (10, "In progress", 1.5, "USD"),
            (5, "Partial", 0.5, None),
        ]:
            db.execute(
                "INSERT INTO transitions (panel, order_id, at, to_status, charge, currency) "
                "VALUES ('alpha', 5, ?, ?, ?, ?)",
                [iso(now - timedelta(minutes=minute)), to, charge, currency],
            )
    lines = shown(cli, monkeypatch, True, "history", "5", "--panel", "alpha")
    head = next(line.split() for line in lines if line.startswith("AT "))
    assert head[-1] == "CHARGE", lines  # was CHARGE USD over 0.50
    assert [line.split()[-1] for line in lines if "Partial" in line] == ["0.50"], lines
    assert [line.split()[-2:] for line in lines if "In progress" in line] == [["1.50", "USD"]]


def test_services_name_no_currency_over_a_rate_whose_currency_is_unknown(
    tmp_path, cli, monkeypatch
):
    store = Store(tmp_path / "t.db")
    listed(store, "alpha", "USD")
    with store.write() as db:  # rub: no balance read yet, its currency unknown
        db.execute(
            "INSERT INTO services (panel, service, name, type, rate, min, max, updated_at) "
            "VALUES ('rub', 1, 'Followers', 'Default', 15.0, 100, 1000, ?)",
            [iso(utcnow())],
        )
    store.close()
    lines = shown(cli, monkeypatch, True, "services")
    assert lines[0].split()[4:6] == ["RATE/1K", "MIN"], lines  # was RATE USD over 15.00
    rows = {
        line.split()[0]: line.split()[4:6] for line in lines if line.startswith(("alpha", "rub"))
    }
    assert rows == {"alpha": ["0.90", "USD"], "rub": ["15.00", "100"]}, lines


def test_automation_names_no_currency_over_a_cost_whose_currency_is_unknown(
    tmp_path, cli, monkeypatch
):
    store = Store(tmp_path / "t.db")
    reordered(store, "alpha", 233007, "USD")
    reordered(store, "rub", 514007, "USD")
    with store.write() as db:  # rub's balance gone: what its cost was in, unknown
        db.execute("DELETE FROM balances WHERE panel = 'rub'")
    store.close()
    lines = shown(cli, monkeypatch, True, "automation")
    head = next(line.split() for line in lines if line.startswith("AT "))
    assert head[6:9] == ["QTY", "COST", "STATUS"], lines  # was COST USD over rub's 0.60
    rows = {line.split()[1]: line.split()[6:8] for line in lines if " reorder " in line}
    assert rows == {"alpha": ["0.60", "USD"], "rub": ["0.60", "Placed"]}, lines
