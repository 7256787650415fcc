"""Huge finite figures (a panel's 1e308 charges, kept as they are: each a
figure `orders` shows, "1e+308") added up beyond what a float holds: the
sum is written as `orders` writes a figure, and `--json`, whose numbers are
floats to every reader, says null (no figure), as the views do since m050;
it wrote Infinity, which no JSON reader takes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from test_dashboard_cards import orders_db

from tracker.cli.main import main


def _strict(text: str) -> object:
    def refuse(constant: str) -> object:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def database(tmp_path):
    return orders_db(tmp_path / "t.db", [("p", oid, 1e308, "USD") for oid in (1, 2, 3)])


def test_report_json_says_no_figure_for_a_spend_beyond_a_float(database):
    result = CliRunner().invoke(main, ["report", "--json", "--database", str(database)])
    assert result.exit_code == 0, result.output
    [service] = _strict(result.stdout)["services"]  # was "spend": Infinity
    assert service["orders"] == 3
    assert service["spend"] is None
    assert service["spend_by_currency"] == [{"currency": "USD", "spend": None}]


def test_report_writes_a_huge_spend_as_orders_writes_a_charge(database):
    result = CliRunner().invoke(main, ["report", "--database", str(database)])
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith(" 3e+308 USD"), result.stdout  # was 3.00000e+308
    shown = CliRunner().invoke(main, ["orders", "--database", str(database)]).stdout
    assert " 1e+308 " in shown  # each charge, as before
