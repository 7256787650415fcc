"""End to end: API v2 behaviours of shared/api-v2.md that no test drove through
the tracker before (see docs/real-panels.md, "Every behaviour and its test").

Each test runs the real CLI (`run --once`, `add`, `balance`) against the
simulated panel in one of its hostile modes, or a subclass answering the way
the document says, over loopback, and checks what a user would: statuses
stored, orders still tracked, alerts raised, the panel's words shown."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from simconfig import PanelClock, sim_config
from words_panel import WordsPanel

from tracker.cli.main import main
from tracker.sim.orders import OrderView
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Tb6Wq2Nc8Lx4Hd1s"
WRONG_KEY = "not-the-key-4Xw9Lq2Zr7"


class Panel:
    """A simulated panel served on loopback, a config for it in ``home`` and
    the CLI pointed at that config."""

    def __init__(self, home: Path, panel: SimulatedPanel):
        self.home, self.panel = home, panel
        self.server = PanelServer(panel).start()
        (home / "tracker.toml").write_text(
            sim_config(
                self.server.url,
                panel='timeout = "5s"\nretry_budget = "3s"',
                schedule='status_every = "1m"\nstatus_max_every = "1m"',
            )
        )

    def cli(self, *args: str, key: str = KEY) -> Result:
        env = {"SIM_KEY": key, "SMM_TRACKER_CONFIG": str(self.home / "tracker.toml")}
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        db = sqlite3.connect(self.home / "t.db")
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def orders(self) -> dict[int, tuple[Any, ...]]:
        """Return order ID -> (status, polling, error) as stored."""
        rows = self.rows("SELECT order_id, status, polling, error FROM orders")
        return {r[0]: r[1:] for r in rows}

    def alert_kinds(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT kind FROM alerts ORDER BY id")]


@pytest.fixture
def sim(tmp_path, monkeypatch):
    """make(panel_class=SimulatedPanel, **options) -> Panel; served until the test ends."""
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    clock = PanelClock()
    made: list[Panel] = []

    def make(panel_class: type[SimulatedPanel] = SimulatedPanel, **options: Any) -> Panel:
        options.setdefault("speed", 60.0)
        panel = panel_class(key=KEY, clock=clock, seed=5, **options)
        made.append(Panel(tmp_path, panel))
        return made[-1]

    yield make
    for one in made:
        one.server.stop()


def test_a_clone_reading_only_the_single_order_field_gets_every_order_polled(sim):
    # `orders=` answered {"error": "Order not found."}: asked one order at a time.
    world = sim(multi_status=False)
    ids = world.panel.seed_orders(6, spread=240)
    assert world.cli("track", *map(str, ids)).exit_code == 0
    result = world.cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    found = world.orders()
    assert {i: (found[i][0], found[i][2]) for i in ids} == {
        i: (world.panel.order(i).status, None) for i in ids
    }
    assert world.panel.calls["status:single"] >= len(ids)
    assert world.alert_kinds() == [] and world.rows("SELECT count(*) FROM orders") == [(6,)]


@pytest.mark.parametrize(
    "shape",
    [
        {"status_shape": "list"},  # [{order, status, ...}]: an unknown ID simply left out
        {"unknown_shape": "object"},  # {"ID": {"error": "Incorrect order ID"}}
        {"unknown_shape": "string"},  # {"ID": "Incorrect order ID"}
    ],
)
def test_an_unknown_id_in_a_multi_answer_of_any_shape_is_that_orders_alone(sim, shape):
    world = sim(**shape)
    ids = world.panel.seed_orders(4, status="In progress")
    bogus = 999_999
    assert world.cli("track", *map(str, [*ids, bogus])).exit_code == 0
    result = world.cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    found = world.orders()
    assert all(found[i] == ("In progress", 1, None) for i in ids)
    # Its own words (left out of a list: asked alone with order=), still tracked.
    assert found[bogus] == (None, 1, "Incorrect order ID")


def test_numeric_status_codes_beside_error_and_on_success_are_read_error_first(sim):
    # {"status": 100, "order": N} to add; {"error": ..., "status": "102"} to a bad key.
    world = sim(numeric_status_code=True)
    added = world.cli("add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100")
    assert added.exit_code == 0, added.output
    order_id = int(added.stdout.strip())
    assert world.panel.order(order_id).quantity == 100 and world.panel.calls["add"] == 1
    refused = world.cli("run", "--once", "--all", key=WRONG_KEY)
    assert refused.exit_code == 1 and "Invalid API key" in refused.output
    assert WRONG_KEY not in refused.output
    assert world.orders()[order_id] == (None, 1, None)  # the refusal is not the order's
    assert world.alert_kinds() == ["auth_failed"]
    assert world.cli("run", "--once", "--all").exit_code == 0
    assert world.orders()[order_id] == (world.panel.order(order_id).status, 1, None)
    assert world.alert_kinds() == ["auth_failed", "auth_recovered"]


def test_a_refused_key_as_http_401_pauses_nothing_stored_and_recovers(sim):
    # Panels using real codes: 401 for the key, 400 for a request error.
    world = sim(http_errors=True)
    ids = world.panel.seed_orders(3, status="In progress")
    assert world.cli("track", *map(str, ids)).exit_code == 0
    refused = world.cli("run", "--once", "--all", key=WRONG_KEY)
    assert refused.exit_code == 1 and "Invalid API key" in refused.output
    assert all(world.orders()[i] == (None, 1, None) for i in ids)
    assert world.alert_kinds() == ["auth_failed"]
    assert world.cli("run", "--once", "--all").exit_code == 0
    assert all(world.orders()[i] == ("In progress", 1, None) for i in ids)
    assert world.alert_kinds() == ["auth_failed", "auth_recovered"]


def test_an_inactive_account_is_a_refused_key_and_loses_no_order(sim):
    world = sim()
    [order_id] = world.panel.seed_orders(1, status="In progress")
    assert world.cli("track", str(order_id)).exit_code == 0
    world.panel.account_inactive = True
    refused = world.cli("run", "--once", "--all")
    assert refused.exit_code == 1 and "Your account is inactive" in refused.output
    assert world.orders()[order_id] == (None, 1, None)
    assert world.alert_kinds() == ["auth_failed"]
    world.panel.account_inactive = False
    assert world.cli("run", "--once", "--all").exit_code == 0
    assert world.orders()[order_id] == ("In progress", 1, None)


def test_a_panel_in_roubles_keeps_its_currency_on_orders_and_balance(sim):
    world = sim(currency="RUB", balance="1250.5")
    [order_id] = world.panel.seed_orders(1, status="In progress")
    assert world.cli("track", str(order_id)).exit_code == 0
    assert world.cli("run", "--once", "--all").exit_code == 0
    assert world.rows("SELECT currency FROM orders WHERE order_id = ?", order_id) == [("RUB",)]
    listed = json.loads(world.cli("orders", "--json").stdout)
    assert [(o["order_id"], o["currency"]) for o in listed] == [(order_id, "RUB")]
    balance = world.cli("balance", "--json")
    assert balance.exit_code == 0, balance.output
    [shown] = json.loads(balance.stdout)["panels"]
    assert (shown["balance"], shown["currency"]) == (1250.5, "RUB")


class DripFeedPanel(SimulatedPanel):
    """Answers orders in ``dripping`` as drip-feed and subscription panels do:
    ``{"status", "runs", "orders": [child IDs]}``, no remains nor charge."""

    dripping: set[int] = set()

    def _order_item(self, view: OrderView) -> dict[str, Any]:
        item = super()._order_item(view)
        if view.order_id in self.dripping:
            return {"status": item["status"], "runs": "2", "orders": [view.order_id + 1, "9001"]}
        return item


def test_a_drip_feed_status_without_remains_keeps_what_was_known(sim):
    world = sim(DripFeedPanel, quirks=False)
    world.panel.dripping = set()
    [order_id] = world.panel.seed_orders(1, status="In progress")
    assert world.cli("track", str(order_id)).exit_code == 0
    assert world.cli("run", "--once", "--all").exit_code == 0
    known = world.rows("SELECT remains, charge FROM orders WHERE order_id = ?", order_id)
    assert known[0][0] is not None and known[0][1] is not None
    world.panel.dripping = {order_id}
    result = world.cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    assert world.orders()[order_id] == ("In progress", 1, None)
    assert world.rows("SELECT remains, charge FROM orders WHERE order_id = ?", order_id) == known
    world.panel.pin(order_id, "Completed")
    assert world.cli("run", "--once", "--all").exit_code == 0
    assert world.orders()[order_id] == ("Completed", 0, None)  # ended: polled no more


class SubscriptionsPanel(SimulatedPanel):
    """Adds to every multi-status answer an item nobody asked for: a
    subscription order with keys of its own."""

    def _status_multi(self, tokens: list[str], now: float) -> Any:
        answer = super()._status_multi(tokens, now)
        extra = {"status": "Active", "expiry": "31/12/2026", "posts": "0", "orders": []}
        return {**answer, "4242": extra}


def test_keys_nobody_asked_for_in_a_multi_answer_are_ignored(sim):
    world = sim(SubscriptionsPanel, quirks=False)
    ids = world.panel.seed_orders(3, status="In progress")
    assert world.cli("track", *map(str, ids)).exit_code == 0
    result = world.cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    assert world.orders() == {i: ("In progress", 1, None) for i in ids}  # 4242 not tracked
    assert world.panel.calls["status"] == 1  # nothing was missing, nothing asked again


SPELLINGS = {
    # seen on real panels -> (stored status, still polled)
    "Cancelled": ("Canceled", 0),
    "CANCELLED": ("Canceled", 0),
    "Refunded": ("Refunded", 0),
    "partial": ("Partial", 0),
    "In Progress": ("In progress", 1),
    "In progess": ("In progress", 1),
    "AWAITING": ("Pending", 1),
    "Creating": ("Pending", 1),
    "Active": ("Active", 1),
    "Paused": ("Paused", 1),
    "Error": ("Failed", 1),
    "FAIL": ("Failed", 1),
    "Failed": ("Failed", 1),
}


def test_every_status_spelling_is_stored_canonical_and_only_the_final_ones_end_polling(sim):
    world = sim(WordsPanel, quirks=False)
    ids = world.panel.seed_orders(len(SPELLINGS), status="In progress")
    world.panel.words = dict(zip(ids, SPELLINGS, strict=True))
    assert world.cli("track", *map(str, ids)).exit_code == 0
    result = world.cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    found = world.orders()
    got = {word: found[i][:2] for i, word in world.panel.words.items()}
    assert got == SPELLINGS
    assert all(found[i][2] is None for i in ids)  # a status, never an order's error
    raw = dict(world.rows("SELECT order_id, raw_status FROM orders"))
    assert {raw[i] for i in ids} == set(SPELLINGS)  # the panel's words kept beside it
