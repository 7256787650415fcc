"""The dashboard's amounts as the CLI writes them (tracker.rules.money): the
Spend card, the scorecard table, the spend_by_service and order_history
canned queries, their SQL run as Datasette runs it, with the SQL functions
the dashboard's plugin adds (tracker/cli/datasette_money.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from test_dashboard_cards import card, orders_db, panel_of
from test_dashboard_no_service import query

from tracker.cli.datasette_money import ExactTotal, money_grouped_text, money_text
from tracker.clock import utcnow
from tracker.rules.money import money, money_grouped, ranked_currencies
from tracker.store.orders import Store
from tracker.store.reports import scorecard

# Two orders of a satoshi-priced service (0.000002 BTC in all) and four in
# USD, one with six decimals: 1.123456 + 3 x 0.477 = 2.554456.
ORDERS = [
    ("btc", 1, 0.000001, "BTC"),
    ("btc", 2, 0.000001, "BTC"),
    ("usd", 3, 1.123456, "USD"),
    ("usd", 4, 0.477, "USD"),
    ("usd", 5, 0.477, "USD"),
    ("usd", 6, 0.477, "USD"),
]


def test_a_tiny_total_is_not_zero_and_every_decimal_shows_as_report_writes_it(tmp_path):
    # printf('%.5f'): the two BTC orders' 0.000002 read "0.00 BTC" (a service
    # charged nothing), and 2.554456 USD read "2.55446 USD" where `report`
    # shows 2.554456.
    db = orders_db(tmp_path / "t.db", ORDERS)
    assert card(db, "overview", "spend-30d") == [{"spend": "2.554456\xa0USD<br>0.000002\xa0BTC"}]
    spends = {panel_of(r): r["Spend"] for r in card(db, "services", "scorecard")}
    assert spends == {"usd": "2.554456\xa0USD", "btc": "0.000002\xa0BTC"}
    rows = query(db, "spend_by_service", days="")
    assert [(r["panel"], r["spend"], r["currency"]) for r in rows] == [
        ("btc", "0.000002", "BTC"),
        ("usd", "2.554456", "USD"),
    ]
    # As `report` writes them: its exact sums, through the CLI's money().
    rows = _report_rows(db)
    assert {r["panel"]: f"{money(r['spend'])}\xa0{r['currency']}" for r in rows} == spends


def test_a_scorecard_spend_in_several_currencies_keeps_each_figures_decimals(tmp_path):
    db = orders_db(
        tmp_path / "t.db",
        [("p", 1, 12.3, "USD"), ("p", 2, 0.000003, "btc"), ("p", 3, 0.000001, "BTC")],
    )
    [row] = card(db, "services", "scorecard")
    assert row["Spend"] == "12.30\xa0USD<br>0.000004\xa0BTC"  # "btc" and "BTC" one currency


def test_money_in_sql_is_the_clis_money_and_never_fails_on_an_odd_value():
    assert money_text(21.0) == "21.00" == money(Decimal(21))
    assert money_text(1.4309999999999998) == "1.4309999999999998"  # a charge as written
    assert money_text("0.000002") == "0.000002"
    assert money_text(None) is None
    assert money_text("abc") is None  # text an older row holds: no error, no figure
    assert money_text(float("inf")) is None  # no figure (test_dashboard_infinite_money)
    total = ExactTotal()
    for value in (0.477, 0.477, 0.477, None, 2):
        total.step(value)
    assert total.finalize() == "3.431"  # not 3.4309999999999996


def test_an_orders_history_writes_each_charge_as_the_history_command_does(tmp_path):
    # The order_history canned query gave the raw REAL: `1.2` where
    # `smm-tracker history` writes 1.20, and `1e-06` for a satoshi charge.
    store = Store(tmp_path / "t.db")
    now = utcnow()
    store.track("main", [7], now - timedelta(hours=1), service=1)
    with store.write() as db:
        for at, to_status, charge in (
            (now - timedelta(minutes=30), "Pending", 1.2),
            (now - timedelta(minutes=20), "In progress", 0.000001),
            (now - timedelta(minutes=10), "Partial", None),
        ):
            db.execute(
                "INSERT INTO transitions (panel, order_id, at, to_status, remains, charge) "
                "VALUES ('main', 7, ?, ?, 10, ?)",
                [at.isoformat(timespec="seconds"), to_status, charge],
            )
    store.close()
    rows = query(tmp_path / "t.db", "order_history", order_id="7", panel="")
    assert [(r["to_status"], r["charge"]) for r in rows] == [
        ("Pending", "1.20"),
        ("In progress", "0.000001"),
        ("Partial", None),
    ]


def test_an_orders_history_names_each_charges_currency(tmp_path):
    # `history` names a charge given in another currency than the order's
    # (m043); the order_history canned query had no currency at all: 35.00
    # charged in RUB stood beside 0.40 in USD, alike.
    store = Store(tmp_path / "t.db")
    now = utcnow()
    store.track("main", [7], now - timedelta(hours=1), service=1)
    with store.write() as db:
        db.execute("UPDATE orders SET charge = 0.4, currency = 'USD'")
        for minutes, to_status, charge, currency in (
            (40, "Pending", 35.0, None),  # recorded before m043: the order's
            (30, "In progress", 35.0, "RUB"),
            (20, "Completed", 0.4, "USD"),
            (10, "Partial", None, "USD"),
        ):
            db.execute(
                "INSERT INTO transitions (panel, order_id, at, to_status, remains, charge, "
                "currency) VALUES ('main', 7, ?, ?, 10, ?, ?)",
                [(now - timedelta(minutes=minutes)).isoformat(), to_status, charge, currency],
            )
    store.close()
    rows = query(tmp_path / "t.db", "order_history", order_id="7", panel="")
    assert [(r["to_status"], r["charge"], r["currency"]) for r in rows] == [
        ("Pending", "35.00", "USD"),
        ("In progress", "35.00", "RUB"),
        ("Completed", "0.40", "USD"),
        ("Partial", None, None),
    ]


def test_a_table_pages_amount_is_written_as_the_cli_writes_it_anything_else_left():
    from tracker.cli.datasette_money import render_cell

    assert render_cell(1e-06, "charge", "transitions", {}) == "0.000001"  # Datasette: 1e-06
    assert render_cell(1.2, "balance", "balances", {}) == "1.20"
    assert render_cell(3, "spend", "daily_activity", {}) == "3.00"
    # A service's price per 1000, as `services` writes its RATE (Datasette: 1.2e-05).
    assert render_cell(1.2e-05, "rate", "services", {}) == "0.000012"
    assert render_cell(0.000123, "rate", "services", {}) == "0.000123"
    assert render_cell(0.9, "rate", "services", {}) == "0.90"
    assert render_cell(0.5, "rate", "order_watch", {}) is None  # a delivery rate, no amount
    assert render_cell("abc", "charge", "orders", {}) is None  # text an older row holds
    assert render_cell(None, "charge", "orders", {}) is None  # Datasette's blank cell
    assert render_cell(float("inf"), "charge", "orders", {}) == "\xa0"  # no figure: blank
    assert render_cell(" -Infinity", "charge", "transitions", {}) == "\xa0"  # text so
    assert render_cell(1.2, "charge", None, {}) is None  # a canned query writes its own
    assert render_cell(1.2, "remains", "orders", {}) is None  # a count, no amount


def test_the_scorecard_ranks_services_a_currency_at_a_time_as_report_does(tmp_path):
    # A reseller's USD and RUB panels: the scorecard and its two charts ranked
    # the services by the bare number, 100 RUB above 9 (no currency) above
    # 5 USD above 4 RUB, where `report` ranks them a currency at a time, A to
    # Z, highest first in each, those in no currency last.
    db = orders_db(
        tmp_path / "t.db",
        [("u1", 1, 5.0, "USD"), ("u2", 2, 3.0, "usd"), ("r1", 3, 100.0, "RUB")]
        + [("r2", 4, 4.0, "RUB"), ("n", 5, 9.0, None)],
    )
    rows = _report_rows(db)
    assert ranked_currencies(rows) == ["RUB", "USD"]
    ranked = [r["panel"] for r in rows]
    assert ranked == ["r1", "r2", "u1", "u2", "n"]
    table = card(db, "services", "scorecard")
    assert [(panel_of(r), r["Spend"]) for r in table] == [
        ("r1", "100.00\xa0RUB"),
        ("r2", "4.00\xa0RUB"),
        ("u1", "5.00\xa0USD"),
        ("u2", "3.00\xa0usd"),
        ("n", "9.00"),
    ]
    assert _charts_ranked(db) == {"outcomes": ranked, "completion": ranked}


def test_in_one_currency_the_scorecard_ranks_by_spend_alone(tmp_path):
    db = orders_db(
        tmp_path / "t.db", [("a", 1, 2.0, "USD"), ("b", 2, 7.0, "USD"), ("c", 3, 0.0, None)]
    )
    assert [panel_of(r) for r in card(db, "services", "scorecard")] == ["b", "a", "c"]


def test_big_amounts_read_with_thousands_separators_to_the_cent(tmp_path):
    # The busy database's Spend card read "5359206.9991 RUB": no separator,
    # four decimals no one reads in five million. From 1,000 up, to the cent;
    # below, every decimal, as `report` writes it (0.000002 BTC is no 0.00).
    db = orders_db(
        tmp_path / "t.db",
        [("r", 1, 5359206.9991, "RUB"), ("u", 2, 173325.6742, "USD"), ("b", 3, 0.000002, "BTC")]
        + [("m", 4, 1234.5, "EUR"), ("m", 5, 0.125, "XRP")],
    )
    assert card(db, "overview", "spend-30d") == [
        {
            "spend": "5,359,207.00\xa0RUB<br>173,325.67\xa0USD<br>1,234.50\xa0EUR"
            "<br>0.125\xa0XRP<br>0.000002\xa0BTC"
        }
    ]
    spends = {panel_of(r): r["Spend"] for r in card(db, "services", "scorecard")}
    assert spends == {
        "r": "5,359,207.00\xa0RUB",
        "u": "173,325.67\xa0USD",
        "m": "1,234.50\xa0EUR<br>0.125\xa0XRP",
        "b": "0.000002\xa0BTC",
    }


def test_money_grouped_rounds_to_the_cent_from_a_thousand_up_only():
    assert money_grouped(Decimal("999.999")) == "999.999"
    assert money_grouped(Decimal("0.000002")) == "0.000002"
    assert money_grouped(7) == "7.00"
    assert money_grouped(Decimal("1000")) == "1,000.00"
    assert money_grouped(Decimal("1234.565")) == "1,234.57"
    assert money_grouped(Decimal("-5359206.9991")) == "-5,359,207.00"
    assert money_grouped(Decimal("999.995")) == "999.995"  # under 1,000: as report writes it
    assert money_grouped(Decimal("3e300")) == money(Decimal("3e300"))  # no billion digits
    assert money_grouped_text("173325.6742") == "173,325.67"
    assert money_grouped_text(float("inf")) is None
    assert money_grouped_text(None) is None


def test_one_currency_beside_spends_in_none_said_ranks_that_currencys_first(tmp_path):
    # 2.00 (no currency said) sat above 1.00 USD by the bare number, where
    # `report` ranks the USD services first, then those in no currency said,
    # then those that spent nothing.
    db = orders_db(
        tmp_path / "t.db",
        [("z", 1, 0.0, None), ("n", 2, 2.0, None), ("u1", 3, 1.0, "USD"), ("u2", 4, 0.5, "USD")],
    )
    rows = _report_rows(db)
    assert ranked_currencies(rows) == ["USD"]
    ranked = [r["panel"] for r in rows]
    assert ranked == ["u1", "u2", "n", "z"]
    table = card(db, "services", "scorecard")
    assert [(panel_of(r), r["Spend"]) for r in table] == [
        ("u1", "1.00\xa0USD"),
        ("u2", "0.50\xa0USD"),
        ("n", "2.00"),
        ("z", "0.00"),
    ]
    assert _charts_ranked(db) == {"outcomes": ranked, "completion": ranked}


def _report_rows(db: Path) -> list[dict[str, Any]]:
    """The last 30 days' scorecard rows as `report` reads and ranks them."""
    store = Store(db, read_only=True)
    try:
        return scorecard(store, utcnow() - timedelta(days=30))
    finally:
        store.close()


def _charts_ranked(db: Path) -> dict[str, list[str]]:
    """Each services chart's panels in its ranks' order (vega-lite's y sort:
    by rank, lowest first)."""
    order = {}
    for chart in ("outcomes", "completion"):
        ranks = {r["service"].split(" · ")[0]: r["rank"] for r in card(db, "services", chart)}
        order[chart] = sorted(ranks, key=ranks.__getitem__)
    return order
