"""A reseller's panels in two currencies (two in USD, one in RUB) side by
side in one command's table: each figure of money names its currency.
Offline, on a prepared database, through the real CLI."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from ports import closed_port
from simconfig import cli_in, sim_config

from tracker.cli import screen as screen_module
from tracker.clock import iso, utcnow
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.alerts import record_balance
from tracker.store.orders import Store

SIM_KEY = "sim-key-Walk78Rub3Usd"

CONFIG = """
[database]
path = "t.db"
[automation]
reorder = true
daily_cap = 5
daily_cap_panels = { rub = 400 }
[[panels]]
name = "alpha"
url = "http://127.0.0.1:9/api/v2"
key_env = "SMM_TEST_KEY"
[[panels]]
name = "rub"
url = "http://127.0.0.2:9/api/v2"
key_env = "SMM_TEST_KEY"
"""


@pytest.fixture
def cli(tmp_path, monkeypatch):
    return cli_in(tmp_path, monkeypatch, CONFIG, env={"SMM_TEST_KEY": None})


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "t.db")
    yield store
    store.close()


def reordered(store: Store, panel: str, order_id: int, currency: str) -> None:
    """``panel``'s balance is in ``currency``; one re-order of 0.60 placed today."""
    now = utcnow().replace(microsecond=0)
    record_balance(store, panel, now - timedelta(minutes=5), Decimal(1000), currency)
    store.track(panel, [order_id], now)
    with store.write() as db:
        db.execute(
            "INSERT INTO automation_actions (panel, order_id, action, dry_run, status, "
            "quantity, estimated_cost, new_order_id, reason, at, updated_at) "
            "VALUES (?, ?, 'reorder', 0, 'Placed', 500, 0.6, ?, 'Partial', ?, ?)",
            [panel, order_id, order_id + 1, iso(now), iso(now)],
        )


def test_automation_names_each_cost_currency_when_its_panels_have_two(cli, store):
    # The actions table read "0.60" for the rouble panel's re-order and
    # "0.60" for the dollar panel's, in one COST column with no currency.
    reordered(store, "alpha", 233007, "USD")
    reordered(store, "rub", 514007, "RUB")
    result = cli("automation")
    assert result.exit_code == 0, result.output
    rows = {line.split()[1]: line for line in result.stdout.splitlines() if " reorder " in line}
    assert " 0.60 USD " in rows["alpha"]
    assert " 0.60 RUB " in rows["rub"]
    data = json.loads(cli("automation", "--json").stdout)  # as before: a number and its currency
    assert {(a["panel"], a["estimated_cost"], a["currency"]) for a in data["actions"]} == {
        ("alpha", 0.6, "USD"),
        ("rub", 0.6, "RUB"),
    }


def test_automation_of_panels_in_one_currency_shows_costs_bare_as_before(cli, store):
    reordered(store, "alpha", 233007, "USD")
    reordered(store, "rub", 514007, "usd")  # one currency, written in two cases
    rows = [x for x in cli("automation").stdout.splitlines() if " reorder " in x]
    assert len(rows) == 2
    assert all(" 0.60 " in row and "USD" not in row.upper() for row in rows)


def test_automation_on_a_terminal_names_costs_in_a_cur_column_as_orders_does(
    cli, store, monkeypatch
):
    # On a terminal the costs read "0.60 USD" inside COST, where orders, history,
    # report and services name a currency in a CUR column (or once, CHARGE USD).
    reordered(store, "alpha", 233007, "USD")
    reordered(store, "rub", 514007, "RUB")
    both = on_a_terminal(cli, monkeypatch, "automation")
    head = next(line.split() for line in both if line.startswith("AT "))
    assert head[6:9] == ["QTY", "COST", "CUR"]
    rows = {line.split()[1]: line.split() for line in both if " reorder " in line}
    assert (rows["alpha"][6:8], rows["rub"][6:8]) == (["0.60", "USD"], ["0.60", "RUB"])
    one = on_a_terminal(cli, monkeypatch, "automation", "--panel", "rub")
    head = next(line.split() for line in one if line.startswith("AT "))
    assert head[6:9] == ["QTY", "COST", "RUB"] and "CUR" not in head  # one: said once
    assert [line.split()[6:8] for line in one if " reorder " in line] == [["0.60", "Placed"]]


def listed(store: Store, panel: str, currency: str, rate: float = 0.9) -> None:
    """``panel``'s balance is in ``currency``; then its services synced: service 1 at ``rate``."""
    now = utcnow().replace(microsecond=0)
    record_balance(store, panel, now - timedelta(minutes=5), Decimal(1000), currency)
    with store.write() as db:
        db.execute(
            "INSERT INTO services (panel, service, name, type, rate, min, max, updated_at) "
            "VALUES (?, 1, 'Instagram Followers', 'Default', ?, 100, 100000, ?)",
            [panel, rate, iso(now)],
        )


def test_services_name_each_rate_currency_in_a_cur_column_as_orders_does(cli, store):
    # RATE read "0.9" for the dollar panel's followers and "0.9" for the
    # rouble panel's: the same price to the eye, 90 times apart. Then "0.9
    # USD" in the RATE cell, where orders and history have a CUR column.
    listed(store, "alpha", "USD")
    listed(store, "rub", "RUB", rate=15.0)
    result = cli("services")
    assert result.exit_code == 0, result.output
    header, *lines = result.stdout.splitlines()
    # Piped: new last columns (then GUARANTEE, "-": no refill).
    assert header.split()[-3:] == ["SYNCED", "CUR", "GUARANTEE"]
    rows = {line.split()[0]: line.split() for line in lines}
    assert (rows["alpha"][-2], rows["rub"][-2]) == ("USD", "RUB")
    assert "0.90" in rows["alpha"] and "15.00" in rows["rub"]  # RATE a bare number, as money
    data = json.loads(cli("services", "--json").stdout)  # a field added: rate stays a number
    assert [(s["panel"], s["rate"], s["currency"]) for s in data] == [
        ("alpha", 0.9, "USD"),
        ("rub", 15.0, "RUB"),
    ]


def test_services_of_panels_in_one_currency_name_it_in_the_cur_column(cli, store):
    listed(store, "alpha", "USD")
    listed(store, "rub", "USD")
    lines = cli("services").stdout.splitlines()[1:]
    assert len(lines) == 2 and all(x.split()[-2] == "USD" and " 0.90 " in x for x in lines)


def on_a_terminal(cli, monkeypatch, *args: str) -> list[str]:
    """What ``args`` print on an 80-column terminal, line by line."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: True)
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_services_on_a_terminal_say_one_currency_in_the_rate_header(cli, store, monkeypatch):
    # As orders' CHARGE USD: a currency the same in every row is said once.
    listed(store, "alpha", "USD")
    listed(store, "rub", "RUB", rate=15.0)
    one = on_a_terminal(cli, monkeypatch, "services", "--panel", "alpha")
    # RATE/1K (ux194): the price of 1000, as API v2 gives it ("RATE USD 0.90": each?).
    assert one[0].split()[4:6] == ["RATE/1K", "USD"] and "CUR" not in one[0].split()
    assert one[1].split()[4] == "0.90"
    both = on_a_terminal(cli, monkeypatch, "services")
    assert both[0].split()[4:6] == ["RATE/1K", "CUR"]  # two: a CUR column beside RATE
    rows = {line.split()[0]: line.split() for line in both if line.startswith(("alpha", "rub"))}
    assert (rows["alpha"][4:6], rows["rub"][4:6]) == (["0.90", "USD"], ["15.00", "RUB"])


DOCTOR_CONFIG = """
[database]
path = "t.db"
[balance]
low = 50
[automation]
reorder = true
daily_cap = 5
[[panels]]
name = "alpha"
url = "http://127.0.0.1:9/api/v2"
key_env = "SMM_TEST_KEY"
[[panels]]
name = "beta"
url = "http://127.0.0.2:9/api/v2"
key_env = "SMM_TEST_KEY"
[[panels]]
name = "rub"
url = "http://127.0.0.3:9/api/v2"
key_env = "SMM_TEST_KEY"
"""


def warnings(cli, *args: str) -> list[str]:
    """doctor's warn lines (the panels, on a port nothing answers, fail apart)."""
    return [x for x in cli(*args, "doctor").stdout.splitlines() if x.startswith("warn ")]


@pytest.mark.usefixtures("quick_backoff")  # the refused panels' retries: not the point
def test_doctor_warns_of_one_low_and_one_cap_for_panels_in_two_currencies(
    tmp_path, monkeypatch, store
):
    # balance.low = 50 alerted at 50 USD on the dollar panels and at 50 RUB
    # (well under a dollar) on the rouble one; daily_cap = 5 let the rouble
    # panel re-order 5 RUB a day: nothing said either, anywhere.
    cli = cli_in(tmp_path, monkeypatch, DOCTOR_CONFIG, env={"SMM_TEST_KEY": "k" * 16})
    now = utcnow().replace(microsecond=0)
    for panel, currency in [("alpha", "USD"), ("beta", "usd"), ("rub", "RUB")]:
        record_balance(store, panel, now, Decimal(1000), currency)
    assert warnings(cli) == [
        "warn balance.low: 50.00 is 50.00 USD on alpha, beta and 50.00 RUB on rub (each "
        "panel's own money): give rub its own balance_low in its [[panels]]",
        "warn automation.daily_cap: 5.00 is 5.00 USD on alpha, beta and 5.00 RUB on rub "
        "(each panel's own money): give rub its own cap in automation.daily_cap_panels",
    ]
    # Each given its own, or the cap in one currency for all: nothing to say.
    own = DOCTOR_CONFIG.replace('name = "rub"\n', 'name = "rub"\nbalance_low = 4000\n').replace(
        "daily_cap = 5\n", "daily_cap = 5\ndaily_cap_panels = { rub = 400 }\n"
    )
    (tmp_path / "own.toml").write_text(own)
    assert warnings(cli, "--config", "own.toml") == []
    usd = DOCTOR_CONFIG.replace("daily_cap = 5\n", 'daily_cap = 5\ndaily_cap_currency = "USD"\n')
    (tmp_path / "usd.toml").write_text(usd)
    assert [x.split(":")[0] for x in warnings(cli, "--config", "usd.toml")] == ["warn balance.low"]


@pytest.mark.usefixtures("quick_backoff")  # the refused panels' retries: not the point
def test_doctor_says_nothing_of_panels_in_one_currency_or_not_known(tmp_path, monkeypatch, store):
    cli = cli_in(tmp_path, monkeypatch, DOCTOR_CONFIG, env={"SMM_TEST_KEY": "k" * 16})
    now = utcnow().replace(microsecond=0)
    record_balance(store, "alpha", now, Decimal(1000), "USD")
    record_balance(store, "beta", now, Decimal(1000), "USD")
    record_balance(store, "rub", now, Decimal(1000), None)  # no currency named yet
    assert warnings(cli) == []


@pytest.mark.usefixtures("quick_backoff")  # what is retried, not the wait
def test_services_refresh_with_one_panel_down_lists_the_others(tmp_path, monkeypatch):
    # With beta down, `services --refresh` printed beta's error alone, exit 1:
    # alpha's catalogue, fetched and stored, was not listed.
    server = PanelServer(SimulatedPanel(key=SIM_KEY, seed=5)).start()
    down = f"http://127.0.0.1:{closed_port()}/api/v2"
    beta = f'[[panels]]\nname = "beta"\nurl = "{down}"\nkey_env = "SIM_KEY"\nretries = 0\n'
    cli = cli_in(tmp_path, monkeypatch, sim_config(server.url) + beta, env={"SIM_KEY": SIM_KEY})
    try:
        result = cli("services", "--refresh")
    finally:
        server.stop()
    assert result.exit_code == 1
    listed = result.stdout.splitlines()
    assert listed[0].split()[:2] == ["PANEL", "SERVICE"]
    assert len(listed) > 1 and all(x.split()[0] == "sim" for x in listed[1:])
    said = [x for x in result.stderr.splitlines() if x.startswith("smm-tracker:")]
    assert said == [f"smm-tracker: beta: services: connection refused by {down.split('/')[2]}"]
    alone = cli("services", "--refresh", "--panel", "beta")  # none answering: the error alone
    assert alone.exit_code == 1 and alone.stdout == ""
