"""A currency label beyond ASCII is one currency in the views as in `report`
(money69).

SQLite's upper() folds ASCII letters alone, so the views (and the
dashboard's queries) took "руб" and "РУБ" for two currencies, where
`report`, the alerts and the cap (Python's str.upper()) took one: a
service read "0.50 РУБ" and "0.477 руб" on the dashboard and "0.977 РУБ"
in `report`. Such a label is stored in capitals now, as the panel's
answer is read: every reader folds it alike. An ASCII label is stored as
the panel wrote it ("usd" stays "usd").
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from refill_world import World
from test_dashboard_cards import card
from test_late_checks_hostile import RemainsPanel

from tracker.clock import iso, utcnow
from tracker.panel.parse import parse_order_status
from tracker.panel.parse_account import parse_balance
from tracker.sim.server import SERVICE_FOLLOWERS


def _charged(w: World, charges: list[tuple[str, str]]) -> None:
    for charge, currency in charges:
        order_id = w.order(SERVICE_FOLLOWERS, "Completed")
        w.panel.charges[order_id] = charge
        w.panel.currencies[order_id] = currency
    w.poll()
    with w.store.write() as db:  # first seen within the views' 30 days of the real clock
        db.execute("UPDATE orders SET created_at = ?", [iso(utcnow())])


def _view(w: World, view: str) -> list[dict]:
    db = sqlite3.connect(w.store.path)
    try:
        sql = f"SELECT spend_by_currency FROM {view} WHERE spend_by_currency <> '[]'"
        [(figures,)] = db.execute(sql).fetchall()
    finally:
        db.close()
    return json.loads(figures)


def test_the_views_and_report_take_one_currency_in_two_cases_for_one(world):
    w = world(panel_class=RemainsPanel)
    _charged(w, [("0.477", "руб"), ("0.50", "РУБ"), ("1.00", "usd")])
    result = w.cli("report", "--json")
    assert result.exit_code == 0, result.output
    [service] = json.loads(result.output)["services"]
    reported = [(f["currency"], f["spend"]) for f in service["spend_by_currency"]]
    assert reported == [("usd", 1.0), ("РУБ", 0.977)]
    for view in ("service_scorecard", "daily_activity"):
        assert [(f["currency"], f["spend"]) for f in _view(w, view)] == reported, view
    [row] = card(w.store.path, "services", "scorecard")
    assert row["Spend"] == "1.00\xa0usd<br>0.977\xa0РУБ"


@pytest.mark.parametrize(
    ("said", "stored"),
    [
        ("руб", "РУБ"),
        (" Руб. ", "РУБ."),
        ("₽", "₽"),  # no case: as written
        ("usd", "usd"),  # ASCII: as written, as ever
        ("Usd", "Usd"),
        ("€UR", "€UR"),
        ("", None),
    ],
)
def test_a_label_is_stored_so_that_sqlite_folds_it_as_python_does(said, stored):
    item = {"status": "Completed", "charge": "1.00", "currency": said}
    assert parse_order_status(1, item).currency == stored
    assert parse_balance({"balance": "5.00", "currency": said}).currency == stored
    if stored is not None:
        db = sqlite3.connect(":memory:")
        [(key,)] = db.execute("SELECT upper(trim(?))", [stored]).fetchall()
        db.close()
        assert key == stored.strip().upper()
