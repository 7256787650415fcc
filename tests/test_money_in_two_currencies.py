"""A reseller with a dollar panel and a rouble panel reads money in three
more places (walk of money80), each naming its currency now:

- `history ID` of a rouble order printed `CHARGE 0.732` with no currency
  anywhere, where `orders` gives it a CUR;
- `report` ranked spend in two currencies as one number (`61.356 USD`
  above `61.332 RUB`, `0.732 RUB` between `0.864 USD` and `0.45 RUB`);
- the balance_low alert said `balance 938.76236 RUB is below 990.00`: the
  threshold, in the panel's currency, unnamed.

Offline on a prepared database, or against a panel on loopback, through
the real CLI."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config
from test_panels_in_two_currencies import CONFIG  # alpha and rub, on ports nothing answers

import tracker.cli.screen as screen_module
from tracker.clock import iso, utcnow
from tracker.store.alerts import record_balance
from tracker.store.orders import Store


@pytest.fixture
def cli(tmp_path, monkeypatch):
    return cli_in(tmp_path, monkeypatch, CONFIG, env={"SMM_TEST_KEY": None})


@pytest.fixture
def store(tmp_path):
    """The database, each panel's balance checked an hour ago: alpha's in
    USD, rub's in RUB."""
    store = Store(tmp_path / "t.db")
    now = utcnow().replace(microsecond=0)
    record_balance(store, "alpha", now - timedelta(hours=1), Decimal(1000), "USD")
    record_balance(store, "rub", now - timedelta(hours=1), Decimal(1000), "RUB")
    yield store
    store.close()


def completed(
    store: Store, panel: str, order_id: int, charge: float, currency: str | None, service: int = 1
) -> None:
    """An order of ``service`` that went Pending, then Completed, charged
    ``charge`` (in ``currency`` as its status answers said: None, a panel
    script that names none)."""
    now = utcnow().replace(microsecond=0)
    with store.write() as db:
        db.execute(
            "INSERT INTO orders (panel, order_id, service, link, quantity, status, raw_status,"
            " remains, charge, currency, polling, source, created_at, updated_at) VALUES"
            " (?, ?, ?, 'https://x.example/a', 1000, 'Completed', 'Completed', 0, ?, ?, 0,"
            " 'add', ?, ?)",
            [panel, order_id, service, charge, currency, iso(now - timedelta(hours=1)), iso(now)],
        )
        for minutes, before, after in ((20, None, "Pending"), (10, "Pending", "Completed")):
            db.execute(
                "INSERT INTO transitions (panel, order_id, at, from_status, to_status, remains,"
                " charge) VALUES (?, ?, ?, ?, ?, 0, ?)",
                [panel, order_id, iso(now - timedelta(minutes=minutes)), before, after, charge],
            )


def test_history_names_the_currency_of_a_rouble_orders_charge(cli, store, monkeypatch):
    # Only `orders` and --json said RUB: history's CHARGE read 0.732, bare.
    completed(store, "rub", 514006, 0.732, "RUB")
    completed(store, "rub", 514008, 0.45, None)  # its script names none: the panel's, RUB
    completed(store, "alpha", 233006, 0.864, "USD")
    for order_id, charge, currency in (
        (514006, "0.732", "RUB"),
        (514008, "0.45", "RUB"),
        (233006, "0.864", "USD"),
    ):
        piped = cli("history", str(order_id))
        assert piped.exit_code == 0, piped.output
        head, *rows = piped.stdout.splitlines()[1:3]
        assert head.split()[-2:] == ["CHARGE", "CUR"]
        assert rows[0].split()[-2:] == [charge, currency], piped.stdout
    data = json.loads(cli("history", "514006", "--json").stdout)  # as before: it named it
    assert data["order"]["currency"] == "RUB"
    # On a terminal, one currency in every row: said once, as `orders` says it.
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: True)
    shown = cli("history", "514006").stdout.splitlines()
    assert shown[1].split()[-2:] == ["CHARGE", "RUB"], shown
    assert shown[3].split()[-1] == "0.732"


def test_report_ranks_spend_a_currency_at_a_time(cli, store, monkeypatch):
    # Ranked by the bare number: 61.356 USD above 61.332 RUB, and 0.732 RUB
    # between 0.864 USD and 0.45 RUB, as if a rouble were a dollar.
    for panel, order_id, charge, currency, service in (
        ("alpha", 1, 61.356, "USD", 1),
        ("rub", 2, 61.332, "RUB", 1),
        ("alpha", 3, 0.864, "USD", 2),
        ("rub", 4, 0.732, "RUB", 2),
        ("rub", 5, 0.45, "RUB", 3),
    ):
        completed(store, panel, order_id, charge, currency, service)
    ranked = ["61.332 RUB", "0.732 RUB", "0.45 RUB", "61.356 USD", "0.864 USD"]
    piped = cli("report")
    assert piped.exit_code == 0, piped.output
    head, _, *rows = piped.stdout.splitlines()
    assert [" ".join(row.split()[-2:]) for row in rows] == ranked
    assert head.endswith("highest spend first in each currency: RUB, then USD"), head
    services = json.loads(cli("report", "--json").stdout)["services"]
    assert [f"{s['spend']} {s['currency']}" for s in services] == ranked
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: True)
    shown = cli("report").stdout.splitlines()
    named = [line.split(":")[0] for line in shown if " service " in line]
    assert named == ["rub service 1", "rub service 2", "rub service 3", "alpha service 1"] + [
        "alpha service 2"
    ]


KEY = "hostile-key-Money80Rub"


def test_the_low_balance_alert_names_the_thresholds_currency(tmp_path, monkeypatch):
    # "balance 938.76236 RUB is below 990.00": 990 what? The panel's roubles.
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "balance":
            return json_reply({"balance": "938.76236", "currency": "RUB"})
        return json_reply({"error": "Incorrect request"})

    with HostileServer(respond) as server:
        config = sim_config(server.url, panel='timeout = "5s"\nretries = 0\nbalance_low = 990')
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        cli("run", "--once")  # its balance answered (the other actions refused: exit 1)
    alerts = cli("alerts")
    assert "sim: balance 938.76236 RUB is below 990.00 RUB;" in alerts.stdout, alerts.stdout
    listed = json.loads(cli("alerts", "--json").stdout)["alerts"]
    [alert] = [a for a in listed if a["kind"] == "balance_low"]
    assert (alert["data"]["low"], alert["data"]["currency"]) == (990.0, "RUB")


def test_balance_names_the_currency_of_its_threshold_and_runway(tmp_path, monkeypatch):
    # `balance` on a rouble panel said `ok (alert below 990.00)` and `at
    # 96/day` beside `1038.76 RUB`: 990 what, 96 what? The panel's roubles.
    cli = cli_in(tmp_path, monkeypatch, CONFIG + "balance_low = 990\n", env={"SMM_TEST_KEY": None})
    store = Store(tmp_path / "t.db")
    now = utcnow().replace(microsecond=0)
    for i in range(13):  # 3 hours, 1.00 spent per 15 minutes: 96 a day
        at = now - timedelta(minutes=15 * (12 - i))
        record_balance(store, "rub", at, Decimal("1050.76") - i, "RUB")
    store.close()
    piped = cli("balance", "--panel", "rub")
    assert piped.exit_code == 0, piped.output
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: True)
    shown = cli("balance", "--panel", "rub")
    for said in (piped.stdout, shown.stdout):
        lines = said.splitlines()
        assert lines[0].startswith("rub: 1038.76 RUB  (checked "), said
        assert lines[1] == "  state:  ok (alert below 990.00 RUB)", said
        assert lines[2].startswith("  runway: about ") and lines[2].endswith(" at 96 RUB/day")
    (info,) = json.loads(cli("balance", "--panel", "rub", "--json").stdout)["panels"]
    # `currency` names the money of balance, low, recover_above and the runway.
    assert (info["balance"], info["low"], info["currency"]) == (1038.76, 990, "RUB")
    assert info["runway"]["text"].endswith(" at 96 RUB/day")


def _checks(said: str) -> list[list[str]]:
    """`balance`'s table of checks, each line's words but its time's (piped an
    ISO stamp; on a terminal ``15:04``, or ``Dec 07 23:12`` for a check of
    another day: the tests run at any hour)."""
    lines = said.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  CHECKED"))
    rows = [
        re.sub(r"^\s*(?:\d{4}-\d\d-\d\dT\S+|(?:[A-Z][a-z]{2} \d\d )?\d\d:\d\d)\s", "", line)
        for line in lines[start + 1 :]
    ]
    return [lines[start].split()[1:], *(row.split() for row in rows)]


def test_balances_checks_on_a_terminal_name_their_currency_as_a_charge_does(
    cli, store, monkeypatch
):
    # ux194: the checks under `rub: 1000.00 RUB` were headed `BALANCE` on a
    # terminal, `CHARGE RUB` in `orders`: now `BALANCE RUB`, per row for a
    # panel that changed currency; piped as before (the panel's line says it).
    record_balance(store, "rub", utcnow().replace(microsecond=0), Decimal(12), "USD")
    piped = cli("balance", "--panel", "rub")
    assert piped.exit_code == 0, piped.output
    assert _checks(piped.stdout) == [["BALANCE"], ["1000.00", "RUB"], ["12.00"]], piped.stdout
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: True)
    shown = cli("balance", "--panel", "rub")
    assert _checks(shown.stdout) == [
        ["UTC", "BALANCE", "CUR"],
        ["1000.00", "RUB"],
        ["12.00", "USD"],
    ], shown.stdout
    alpha = cli("balance", "--panel", "alpha")  # one currency: said once, in the header
    assert _checks(alpha.stdout) == [["UTC", "BALANCE", "USD"], ["1000.00"]], alpha.stdout


def test_history_names_the_currency_of_a_refund_as_its_table_does(cli, store, monkeypatch):
    # A rouble panel's script that names no currency: the table's CUR said
    # RUB (the panel's, from its balance), the `charge now` line said 0.40
    # bare, and --json's order.currency null with nothing naming RUB.
    completed(store, "rub", 514009, 0.45, None)
    with store.write() as db:  # a late check: the panel refunded part of it
        db.execute("UPDATE orders SET charge = 0.40 WHERE order_id = 514009")
    said = (
        "charge now 0.40 RUB (0.45 at its last status change: a refund the panel made"
        " since; orders and report count 0.40)"
    )
    piped = cli("history", "514009")
    assert piped.exit_code == 0, piped.output
    lines = piped.stdout.splitlines()
    assert [row.split()[-1] for row in lines[2:4]] == ["RUB", "RUB"], piped.stdout
    assert said in lines, piped.stdout
    data = json.loads(cli("history", "514009", "--json").stdout)
    order = data["order"]
    assert (order["currency"], order["currency_shown"]) == (None, "RUB")  # as stored, as shown
    shown = [(t["currency"], t["currency_shown"]) for t in data["transitions"]]
    assert shown == [(None, "RUB"), (None, "RUB")]
    # Named by the panel: the same as stored.
    completed(store, "alpha", 233007, 0.864, "USD")
    order = json.loads(cli("history", "233007", "--json").stdout)["order"]
    assert (order["currency"], order["currency_shown"]) == ("USD", "USD")
