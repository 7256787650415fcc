"""automation_actions.currency (m045): the currency of an action's
estimated_cost, as the panel's balance named it when the action was recorded
(what `automation --json` says as actions[].currency): panels in USD and RUB
side by side can be added up per currency. NULL when no balance had named
one, never a guessed USD. The real jobs against the simulated panel."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from refill_world import World
from sqlite_utils import Database

from tracker.cli.datasette_money import render_cell
from tracker.clock import iso, utcnow
from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store.migrations import migrations
from tracker.store.orders import Store

M045 = "m045_first_seen_as_report_and_action_currency"
REORDER = f"reorder = true\nreorder_services = [{SERVICE_FOLLOWERS}]\ndaily_cap = 100\n"


def actions(path) -> list[dict]:
    """automation_actions as a user's sqlite3 query reads it."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM automation_actions ORDER BY id")]
    finally:
        conn.close()


def reordered(w: World) -> dict:
    assert w.sync_services()
    w.ended(SERVICE_FOLLOWERS)
    w.poll()
    assert w.jobs["automation:sim"].run()
    (action,) = actions(w.store.path)
    assert action["action"] == "reorder" and action["estimated_cost"] > 0
    return action


@pytest.mark.parametrize("currency", ["USD", "RUB"])
def test_a_reorders_cost_is_in_the_currency_its_panels_balance_named(world, currency):
    w = world(automation=REORDER)
    w.panel.currency = currency
    assert w.jobs["balance:sim"].run()
    action = reordered(w)
    assert list(action)[-1] == "currency"  # appended last
    assert action["currency"] == currency
    result = w.cli("automation", "--json")  # the command says the same
    assert result.exit_code == 0, result.output
    assert [a["currency"] for a in json.loads(result.output)["actions"]] == [currency]


def test_the_command_keeps_an_actions_currency_once_its_balances_are_pruned(world):
    # `prune` deletes old balances: the command read the currency from them
    # alone, and said null where the table says RUB.
    w = world(automation=REORDER)
    w.panel.currency = "RUB"
    assert w.jobs["balance:sim"].run()
    reordered(w)
    with w.store.write() as db:
        db.execute("DELETE FROM balances")
    result = w.cli("automation", "--json")
    assert [a["currency"] for a in json.loads(result.output)["actions"]] == ["RUB"]


def test_a_cost_no_balance_named_a_currency_for_has_none(world):
    w = world(automation=REORDER)
    w.panel.currency = ""  # its balance answers name none
    assert w.jobs["balance:sim"].run()
    action = reordered(w)
    assert action["currency"] is None  # not a guessed USD
    result = w.cli("automation", "--json")
    assert [a["currency"] for a in json.loads(result.output)["actions"]] == [None]


def test_a_database_before_m045_gets_each_actions_currency_from_its_balances(tmp_path):
    path = tmp_path / "t.db"
    db = Database(path)
    migrations.apply(db, stop_before=M045)
    db.close()
    now = utcnow().replace(microsecond=0)
    conn = sqlite3.connect(path)
    with conn:
        # main: in EUR, then RUB (the panel changed currency); usd: USD; new: none yet.
        for panel, at, currency in (
            ("main", now - timedelta(hours=5), "EUR"),
            ("main", now - timedelta(hours=2), "RUB"),
            ("main", now - timedelta(hours=1), ""),  # a blank names none
            ("usd", now - timedelta(hours=5), "USD"),
        ):
            conn.execute(
                "INSERT INTO balances (panel, at, balance, currency) VALUES (?, ?, 100, ?)",
                [panel, iso(at), currency],
            )
        for order_id, panel, action, cost, hours in (
            (1, "main", "reorder", 0.6, 3),  # in EUR then
            (2, "main", "reorder", 0.6, 0),  # in RUB
            (3, "main", "cancel", None, 0),  # no cost: no currency
            (4, "usd", "reorder", 0.6, 0),
            (5, "new", "reorder", 0.6, 0),  # no balance: unknown
        ):
            at = iso(now - timedelta(hours=hours))
            conn.execute(
                "INSERT INTO automation_actions (panel, order_id, action, dry_run, status, "
                "estimated_cost, reason, at, updated_at) VALUES (?, ?, ?, 0, 'Placed', ?, "
                "'Partial', ?, ?)",
                [panel, order_id, action, cost, at, at],
            )
    conn.close()

    Store(path).close()  # opening it applies m045

    rows = actions(path)
    assert [(r["order_id"], r["currency"]) for r in rows] == [
        (1, "EUR"),
        (2, "RUB"),
        (3, None),
        (4, "USD"),
        (5, None),
    ]
    assert list(rows[0])[-1] == "currency"


def test_the_dashboard_names_each_costs_currency():
    # The Automation actions page read 0.60 for the USD panel's re-order and
    # 0.60 for the RUB panel's, one column, nothing to tell them apart.
    def cell(currency):
        row = {"estimated_cost": 0.6, "currency": currency}
        return render_cell(0.6, "estimated_cost", "automation_actions", row)

    assert cell("USD") == "0.60 USD"
    assert cell("RUB") == "0.60 RUB"
    assert cell(None) == "0.60"  # unknown: no currency guessed
    assert cell(" ") == "0.60"  # a blank names none
    assert render_cell(1.2, "charge", "orders", {"currency": "USD"}) == "1.20"  # as before
