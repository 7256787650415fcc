"""`history ID` of a drip-feed or subscription order's child order.

Each run of a drip-feed (each post of a subscription) is its own order on
the panel's website; the tracker keeps their IDs (``child_orders``, m046)
but tracks the parent alone. A user who typed a child's ID into `history`
was told "not tracked ... `smm-tracker track` records it": now the line
says which tracked order it belongs to and the command that shows it, exit
1 as for any order not tracked; ``--json`` says it as data on stdout. The
lookup reads m047's index, not every order's children.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from simconfig import cli_in

from tracker.clock import utcnow
from tracker.panel.models import OrderStatus
from tracker.rules.transitions import Cadence
from tracker.store.children import MAX_PARENTS, parents_of
from tracker.store.orders import Store

DRIP, SUB, PLAIN = 7201, 7202, 7203

CONFIG = """
[database]
path = "t.db"
[[panels]]
name = "main"
url = "http://127.0.0.1:9/api/v2"
key_env = "CHILD_KEY"
[[panels]]
name = "other"
url = "http://127.0.0.1:9/api/v2"
key_env = "CHILD_KEY"
"""


def named(store: Store, panel: str, children: dict[int, list[int]]) -> None:
    """Store answers of ``panel`` naming each order's children, as the poll does."""
    store.track(panel, list(children), utcnow())
    reports = {
        oid: OrderStatus(
            oid, "In progress", "In progress", True, Decimal("0.5"), 1, 10, "USD"
        )._replace(child_orders=tuple(kids), runs=len(kids))
        for oid, kids in children.items()
    }
    store.apply_answers(panel, [(list(children), reports)], utcnow(), Cadence(300, 3600))


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    store = Store(tmp_path / "t.db")
    try:
        named(store, "main", {DRIP: [7301, 7302, 7303], SUB: [7401, 7402], PLAIN: []})
        with store.write() as db:  # placed as a drip-feed: its runs known
            db.execute("UPDATE orders SET runs = 3, interval = 30 WHERE order_id = ?", [DRIP])
    finally:
        store.close()
    return cli_in(tmp_path, monkeypatch, CONFIG, env={"CHILD_KEY": "k" * 16})


def test_history_of_a_drip_feed_run_names_its_order_and_the_command_that_shows_it(cli):
    said = cli("history", "7302")
    assert said.exit_code == 1 and said.stdout == ""
    assert said.stderr == (
        "smm-tracker: order 7302 is not tracked: it is run 2 of drip-feed order #7201 "
        "on main; `smm-tracker history 7201` shows it\n"
    )
    shown = cli("history", "7201")  # the command it names works
    assert shown.exit_code == 0 and "#7302" in shown.stdout


def test_a_child_of_an_order_not_placed_as_a_drip_feed_is_said_as_a_child_order(cli):
    said = cli("history", "7401")
    assert said.exit_code == 1
    assert "it is child order 1 of order #7202 on main (a drip-feed or subscription order)" in (
        said.stderr
    )


def test_history_json_of_a_child_says_its_parent_as_data(cli):
    said = cli("history", "7303", "--json")
    assert said.exit_code == 1
    data = json.loads(said.stdout)
    keys = ["order", "transitions", "next_refill", "cancels", "child_orders", "child_of"]
    assert list(data) == keys
    assert data["order"] is None and data["transitions"] == [] and data["next_refill"] is None
    assert data["child_orders"] == {"runs": None, "runs_said_at": None, "orders": []}
    [parent] = data["child_of"]
    assert parent.pop("first_seen_at")
    assert parent == {
        "panel": "main",
        "order_id": DRIP,
        "number": 3,
        "children": 3,
        "drip_feed": True,
    }
    assert "run 3 of drip-feed order #7201" in said.stderr


def test_an_id_nobody_named_is_said_as_before_and_json_prints_nothing(cli):
    for args in (["history", "9999"], ["history", "9999", "--json"]):
        said = cli(*args)
        assert said.exit_code == 1 and said.stdout == ""
        assert "order 9999 is not tracked: no history" in said.stderr
        assert "child" not in said.stderr


def test_the_panel_given_is_the_one_looked_on_and_named_in_the_command(cli, tmp_path):
    elsewhere = cli("history", "--panel", "other", "7302")
    assert elsewhere.exit_code == 1 and "is not tracked on other: no history" in elsewhere.stderr
    said = cli("history", "--panel", "main", "7302")
    assert "`smm-tracker history --panel main 7201` shows it" in said.stderr
    copy = cli("history", "--database", str(tmp_path / "t.db"), "7302")
    assert f"order 7302 is not in {tmp_path / 't.db'}: it is run 2" in copy.stderr
    assert f"`smm-tracker history --database {tmp_path / 't.db'} 7201` shows it" in copy.stderr


def test_a_parent_id_on_two_panels_is_named_with_its_panel(cli, tmp_path):
    store = Store(tmp_path / "t.db")
    try:
        named(store, "other", {DRIP: [8001]})  # the same parent ID, another panel
    finally:
        store.close()
    said = cli("history", "7302")
    assert "`smm-tracker history --panel main 7201` shows it" in said.stderr
    assert cli("history", "--panel", "main", "7201").exit_code == 0


def test_a_tracked_child_shows_its_own_history(cli, tmp_path):
    store = Store(tmp_path / "t.db")
    try:
        store.track("main", [7302], utcnow())
    finally:
        store.close()
    said = cli("history", "7302")
    assert said.exit_code == 0 and said.stdout.startswith("main #7302")


def test_a_child_named_by_many_orders_is_said_for_a_few(cli, tmp_path):
    store = Store(tmp_path / "t.db")
    try:  # a hostile panel: one child ID under 15 orders, on each panel
        for panel in ("main", "other"):
            named(store, panel, {n: [5555] for n in range(100, 115)})
    finally:
        store.close()
    said = cli("history", "5555")
    assert said.exit_code == 1
    lines = said.stderr.splitlines()
    assert lines[0] == (
        "smm-tracker: order 5555 is not tracked: it is a child order of each of these "
        "tracked orders:"
    )
    assert len(lines) == 1 + MAX_PARENTS + 1 and lines[-1] == "  and more"
    assert lines[1] == (
        "  child order 1 of order #100 on main (a drip-feed or subscription order): "
        "`smm-tracker history --panel main 100`"
    )
    data = json.loads(cli("history", "5555", "--json").stdout)
    assert len(data["child_of"]) == MAX_PARENTS


def test_the_lookup_reads_the_index_by_child_id(tmp_path):
    store = Store(tmp_path / "t.db")
    try:
        named(store, "main", {DRIP: [7301, 7302]})
        plans: list[str] = []
        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)
        found: list[dict[str, Any]] = [
            *parents_of(store, 7302, None),
            *parents_of(store, 7302, "main"),
        ]
        store.conn.set_trace_callback(None)
        assert [p["order_id"] for p in found] == [DRIP, DRIP]
        for sql in statements:
            plans += [r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql)]
        looked = [p for p in plans if "child_orders AS c" in p or p.startswith("SEARCH c ")]
        assert looked and all("child_orders_by_child" in p for p in looked), plans
        assert not [p for p in plans if p.startswith("SCAN")], plans
        assert "SEARCH c USING INDEX child_orders_by_child (child_id=? AND panel=?)" in plans
    finally:
        store.close()


def test_orders_json_says_how_many_children_each_order_has_last(cli, tmp_path):
    store = Store(tmp_path / "t.db")
    try:  # the same ID on another panel, one child; an order between, none
        named(store, "other", {DRIP: [8001], 7000: []})
    finally:
        store.close()
    listed = cli("orders", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert {(row["panel"], row["order_id"]): row["children"] for row in rows} == {
        ("main", DRIP): 3,
        ("main", SUB): 2,
        ("main", PLAIN): 0,
        ("other", DRIP): 1,
        ("other", 7000): 0,
    }
    assert all(list(row)[-1] == "children" for row in rows)  # appended, nothing renamed
    shown = json.loads(cli("history", "--panel", "main", str(DRIP), "--json").stdout)
    assert shown["order"]["children"] == 3


def test_orders_json_on_a_database_without_children_says_0(tmp_path, monkeypatch):
    store = Store(tmp_path / "t.db")
    try:
        store.track("main", [1, 2], utcnow())
    finally:
        store.close()
    cli = cli_in(tmp_path, monkeypatch, CONFIG, env={"CHILD_KEY": "k" * 16})
    rows = json.loads(cli("orders", "--json").stdout)
    assert [row["children"] for row in rows] == [0, 0]
