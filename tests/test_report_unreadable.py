"""`report` over values a hand edit (or 0.1.0) left where a charge or a
currency goes: a currency stored as bytes is named on stderr in one line
(it was read as unknown without a word), and a charge that is no finite
number (infinity, text) is left out of its currency's spend, the other
charges added up (a text charge lost the whole currency's spend)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner
from test_dashboard_cards import orders_db

from tracker.cli.main import main

INF = float("inf")


def _report(path: Path, *args: str):
    result = CliRunner().invoke(main, ["report", "--database", str(path), *args])
    assert result.exit_code == 0, result.output  # as before: the report is made
    assert "Traceback" not in result.output
    return result


def _hand_edit(path: Path, sql: str, *values: object) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(sql, values)
    conn.close()


def test_a_currency_stored_as_bytes_is_named_on_stderr_in_one_line(tmp_path):
    path = orders_db(tmp_path / "t.db", [("p", 1, 1.0, "USD"), ("p", 2, 2.0, "USD")])
    orders_db(path, [("p", 3, 4.0, "USD")])
    _hand_edit(path, "UPDATE orders SET currency = ? WHERE order_id >= 2", b"US\xffD")
    for args in ((), ("--json",)):
        said = _report(path, *args).stderr.splitlines()
        assert said == [
            "smm-tracker: order p #2: orders.currency holds b'US\\xffD', not text: read as "
            "unknown, its charge in no currency (and 1 more orders so)"
        ]
    [service] = json.loads(_report(path, "--json").stdout)["services"]
    assert service["spend_by_currency"] == [
        {"currency": None, "spend": 6.0},
        {"currency": "USD", "spend": 1.0},
    ]


def test_no_line_when_every_currency_is_text(tmp_path):
    path = orders_db(tmp_path / "t.db", [("p", 1, 1.0, "USD")])
    assert _report(path).stderr == ""


def test_a_currencys_finite_charges_add_up_beside_text_and_infinity(tmp_path):
    orders = [("p", 1, 2.5, "USD"), ("p", 2, 3.0, "USD"), ("p", 3, INF, "USD")]
    path = orders_db(tmp_path / "t.db", [*orders, ("p", 4, 1.0, "USD"), ("p", 5, 1.0, "EUR")])
    _hand_edit(path, "UPDATE orders SET charge = 'NaN' WHERE order_id = 4")
    [service] = json.loads(_report(path, "--json").stdout)["services"]
    assert service["spend_by_currency"] == [  # USD's was left out whole
        {"currency": "USD", "spend": 5.5},
        {"currency": "EUR", "spend": 1.0},
    ]
    shown = _report(path).stdout
    assert "5.50 USD + 2 unknown, 1.00 EUR" in shown  # the two left out said
    assert "inf" not in shown.lower() and "nan" not in shown.lower()
