"""Money as the user reads it, through the real CLI against a scripted panel
on loopback: a float a panel computed (0.1 + 0.2 sent as 0.30000000000000004)
is stored and shown as 0.3, and every charge is shown to the cent at least,
never cut to six digits (12345.67 read "12345.7") nor as an exponent.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config

KEY = "hostile-key-Money0dd42"


def panel(answer: dict[str, Any], balance: Any) -> Any:
    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action")
        if action == "status":
            return json_reply({i: answer[i] for i in form["orders"].split(",")})
        if action == "balance":
            return json_reply({"balance": balance, "currency": "USD"})
        if action == "services":
            return json_reply([])
        return json_reply({"error": "Incorrect request"})

    return respond


def test_a_float_a_panel_computed_is_read_as_the_amount_it_meant(tmp_path, monkeypatch):
    # PHP's json_encode(0.1 + 0.2): 0.30000000000000004, a charge and a balance.
    answer = {
        "1": {"status": "Completed", "remains": 0, "charge": 0.1 + 0.2, "currency": "USD"},
        "2": {"status": "Completed", "remains": 0, "charge": 0.08011655652, "currency": "USD"},
    }
    with HostileServer(panel(answer, 0.1 + 0.2)) as server:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        assert cli("track", *answer).exit_code == 0
        assert cli("run", "--once").exit_code == 0
        listed = json.loads(cli("orders", "--json").output)
        table = cli("orders").stdout  # the rows (a note may follow on stderr)
        balance = cli("balance").output
        balance_json = json.loads(cli("balance", "--json").output)
    assert {o["order_id"]: o["charge"] for o in listed} == {1: 0.3, 2: 0.08011655652}
    assert "0.30000000000000004" not in table + balance
    assert balance.startswith("sim: 0.30 USD")
    assert balance_json["panels"][0]["balance"] == 0.3
    with sqlite3.connect(tmp_path / "t.db") as db:
        assert db.execute("SELECT balance FROM balances").fetchall() == [(0.3,)]


def test_charges_are_shown_to_the_cent_never_cut_to_six_digits(tmp_path, monkeypatch):
    answer = {
        "1": {"status": "Completed", "remains": "0", "charge": "12345.67", "currency": "RUB"},
        "2": {"status": "Partial", "remains": "10", "charge": "1234567.89", "currency": "RUB"},
        "3": {"status": "Completed", "remains": "0", "charge": "3", "currency": "RUB"},
        "4": {"status": "Completed", "remains": "0", "charge": "0.0001234", "currency": "RUB"},
    }
    with HostileServer(panel(answer, "100")) as server:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        assert cli("track", *answer).exit_code == 0
        run = cli("run", "--once")
        table = cli("orders").stdout  # the rows (a note may follow on stderr)
        history = cli("history", "2").output
        alerts = cli("alerts").output
    assert run.exit_code == 0, run.output
    charges = {line.split()[1]: line.split()[5] for line in table.splitlines()[1:]}
    assert charges == {"1": "12345.67", "2": "1234567.89", "3": "3.00", "4": "0.0001234"}
    assert history.splitlines()[-1].split()[-2:] == ["1234567.89", "RUB"]  # CHARGE, CUR
    assert "order #2 partial (remains 10, charge 1234567.89 RUB)" in alerts


def test_the_change_line_of_run_and_demo_shows_the_whole_charge():
    from tracker.cli.render import transition_line

    change = {"panel": "main", "order_id": 7, "from_status": "In progress", "at": "T" * 11}
    line = transition_line({**change, "to_status": "Completed", "remains": 0, "charge": 12345.67})
    assert line.endswith("(remains 0, charge 12345.67)")
    # In its currency when the panel gave one, as the alert line beside it
    # says it ("charge 0.27819" above "charge 0.19195 USD, was 0.27819 USD").
    given = {**change, "to_status": "Completed", "charge": 0.27819, "currency": "USD"}
    assert transition_line(given).endswith("(charge 0.27819 USD)")
    odd = transition_line({**given, "currency": "U\x1b[2JSD"})
    assert "\x1b" not in odd and odd.endswith("(charge 0.27819 U\\x1b[2JSD)")


def test_a_charge_the_panel_changes_counts_once_at_its_latest_and_is_logged(tmp_path, monkeypatch):
    answer = {"1": {"status": "In progress", "remains": "10", "charge": "3.00", "currency": "USD"}}
    with HostileServer(panel(answer, "100")) as server:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        assert cli("track", "1").exit_code == 0
        first = cli("run", "--once", "--all").output
        answer["1"] = {**answer["1"], "charge": "2.50"}  # the panel re-priced it
        repriced = cli("run", "--once", "--all").output
        again = cli("run", "--once", "--all").output
        report = json.loads(cli("report", "--json").output)
    assert "order_charge_changed" not in first + again
    changed = [line for line in repriced.splitlines() if "order_charge_changed" in line]
    assert len(changed) == 1, repriced
    assert "before=3.0" in changed[0] and "after=2.5" in changed[0] and "order=1" in changed[0]
    assert report["services"][0]["spend_by_currency"] == [{"currency": "USD", "spend": 2.5}]
