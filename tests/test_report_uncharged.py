"""`report`'s text, a service none of whose orders has a charge yet (the
panel has not said one: NULL): the table said 0.00 ("it cost nothing"),
while `orders` shows each such charge "-" (spend161 noted it). It says "-"
now, as `orders` does; one known charge among them gives its sum, as ever,
and a charge of 0 is still 0.00. `--json` and the views say 0.0, as ever
(public)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from test_report_unknown_spend import _database, _lines, _terminal
from test_wide_report import run

from tracker.cli.main import main

# (order_id, service, charge, currency)
ORDERS = [
    (1, 10, None, None),  # service 10: no charge said yet
    (2, 10, None, None),
    (3, 20, None, "USD"),  # service 20: one said, one not yet
    (4, 20, 1.5, "USD"),
    (5, 30, 0.0, "USD"),  # service 30: charged nothing
    (6, 40, None, "USD"),  # service 40: its currency said, its charge not yet
]


def test_report_says_a_spend_no_charge_is_said_of_yet_as_orders_says_the_charge(
    tmp_path, monkeypatch
):
    path = _database(tmp_path, ORDERS)
    piped, _ = run(["report", "--database", str(path)], monkeypatch, False)
    rows = _lines(piped)
    assert rows["10"].split()[-2:] == ["0%", "-"], rows  # was 0.00
    assert rows["20"].endswith(" 1.50 USD"), rows
    assert rows["30"].endswith(" 0.00 USD"), rows
    assert rows["40"].endswith(" - USD"), rows  # was 0.00 USD
    charges = CliRunner().invoke(main, ["orders", "--database", str(path)]).stdout
    assert {line.split()[1]: line.split()[5] for line in charges.splitlines()[1:]} == {
        "1": "-",
        "2": "-",
        "3": "-",
        "4": "1.50",
        "5": "0.00",
        "6": "-",
    }
    told = json.loads(
        CliRunner().invoke(main, ["report", "--json", "--database", str(path)]).stdout
    )["services"]
    assert {s["service"]: s["spend"] for s in told} == {10: 0.0, 20: 1.5, 30: 0.0, 40: 0.0}


def test_report_on_a_terminal_says_a_spend_no_charge_is_said_of_yet(tmp_path, monkeypatch):
    lines, figures = _terminal(tmp_path, monkeypatch, [(7, 50, 1.0, "USD"), *ORDERS[:2]])
    assert lines[1].split()[-2:] == ["SPEND", "USD"], lines  # "-": no figure in any currency
    assert figures["50"][-1] == "1.00" and figures["10"][-1] == "-", lines  # was 0.00
