"""A drip-feed or subscription order's child orders, kept and shown.

Such orders may answer status with ``{"status", "runs", "orders": [child
IDs]}`` (shared/api-v2.md). The parser read the child IDs and nothing kept
them: a reseller whose subscription made 12 child orders could not see
them. The poll now stores each child ID the first time an answer names it
(``child_orders``, m046), and the runs it said (``child_runs``); `history`
lists them, `history --json` under ``child_orders``. The panel is
untrusted: at most MAX_CHILDREN an order, IDs by the tracker's one rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from logcapture import fresh_logs, json_entries  # noqa: F401  (fixture)
from scripted_panel import rows, scripted_panels

from tracker.clock import utcnow
from tracker.panel.models import OrderStatus
from tracker.rules.transitions import Cadence
from tracker.store.children import MAX_CHILDREN
from tracker.store.orders import Store

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

KEY = "child-all-Qm3Tz8Wc1Rv5"
PARENT, PLAIN = 7201, 7202


def plain_item() -> dict[str, Any]:
    return {"charge": "0.5", "start_count": "10", "status": "In progress", "remains": "40"}


class Children:
    """A panel answering PARENT as a drip-feed order with ``children`` (and
    ``runs`` when set), PLAIN as an ordinary order."""

    def __init__(self) -> None:
        self.children: Any = [7301, "7302"]
        self.runs: Any = "2"

    def __call__(self, form: dict[str, str]) -> Reply:
        if form.get("action") == "balance":
            return json_reply({"balance": "50.00", "currency": "USD"})
        if form.get("action") == "services":
            return json_reply([])
        ids = (form.get("orders") or form.get("order", "")).split(",")
        dripping = {"status": "In progress", "orders": self.children}
        if self.runs is not None:
            dripping["runs"] = self.runs
        return json_reply({i: dripping if int(i) == PARENT else plain_item() for i in ids})


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield from scripted_panels(tmp_path, monkeypatch, KEY, [PARENT, PLAIN])


def started(panel: Any) -> tuple[Any, HostileServer, Children]:
    answer = Children()
    cli, server = panel(answer)
    return cli, server, answer


def polled(cli: Any) -> str:
    result = cli("--log-format", "json", "run", "--once", "--all")
    assert result.exit_code == 0, result.output
    return result.output


def children(tmp_path: Path) -> list[tuple[Any, ...]]:
    return rows(tmp_path, "SELECT order_id, child_id FROM child_orders ORDER BY 1, 2")


def test_a_drip_feed_orders_children_and_runs_are_stored_new_ones_only(tmp_path, panel):
    cli, _, answer = started(panel)
    polled(cli)
    assert children(tmp_path) == [(PARENT, 7301), (PARENT, 7302)]  # PLAIN: none
    assert rows(tmp_path, "SELECT order_id, runs FROM child_runs") == [(PARENT, 2)]
    first = rows(tmp_path, "SELECT child_id, first_seen_at FROM child_orders")
    answer.children, answer.runs = [7301, 7302, 7303, 7303], 3
    polled(cli)
    assert children(tmp_path) == [(PARENT, 7301), (PARENT, 7302), (PARENT, 7303)]
    kept = dict(rows(tmp_path, "SELECT child_id, first_seen_at FROM child_orders"))
    assert {child: kept[child] for child, _ in first} == dict(first)  # not written again
    assert rows(tmp_path, "SELECT order_id, runs FROM child_runs") == [(PARENT, 3)]
    # The order itself is read as before: its status stored, still polled.
    assert rows(tmp_path, f"SELECT status, polling FROM orders WHERE order_id = {PARENT}") == [
        ("In progress", 1)
    ]


def test_history_lists_the_child_orders_and_runs_and_its_json_too(tmp_path, panel):
    cli, _, answer = started(panel)
    polled(cli)
    answer.children = [7301, 7302, 7303]
    polled(cli)
    shown = cli("history", str(PARENT))
    assert shown.exit_code == 0, shown.output
    assert "child orders (3): #7301, #7302, #7303" in shown.stdout
    assert "runs: 2 (as the panel said " in shown.stdout
    plain = cli("history", str(PLAIN))
    assert "child orders" not in plain.stdout and "runs:" not in plain.stdout
    data = json.loads(cli("history", str(PARENT), "--json").stdout)
    keys = ["order", "transitions", "next_refill", "cancels", "child_orders", "child_of"]
    assert list(data) == keys
    said = data["child_orders"]
    assert said["runs"] == 2 and said["runs_said_at"]
    assert [c["order_id"] for c in said["orders"]] == [7301, 7302, 7303]
    assert all(c["first_seen_at"] for c in said["orders"])
    none = json.loads(cli("history", str(PLAIN), "--json").stdout)["child_orders"]
    assert none == {"runs": None, "runs_said_at": None, "orders": []}


@pytest.mark.parametrize(
    "named",
    [
        ["+7301", "7302.5", "1e3", "abc", -7, 0, True, None, {"id": 1}, [7303]],
        "7301;7302",  # no list, nor IDs separated by commas ("7301,7302" is read)
        {"7301": 1},
        [],
        None,
    ],
)
def test_children_that_are_no_order_ids_are_left_out_and_nothing_is_written(tmp_path, panel, named):
    cli, _, answer = started(panel)
    answer.children = named
    polled(cli)
    assert children(tmp_path) == [] and rows(tmp_path, "SELECT * FROM child_runs") == []
    assert rows(tmp_path, f"SELECT status FROM orders WHERE order_id = {PARENT}") == [
        ("In progress",)
    ]


def test_an_order_keeps_at_most_the_cap_of_children_and_says_so_once(tmp_path, panel):
    cli, _, answer = started(panel)
    answer.children = list(range(100_000, 100_000 + MAX_CHILDREN + 5))
    first = polled(cli)
    assert rows(tmp_path, "SELECT count(*), min(child_id) FROM child_orders") == [
        (MAX_CHILDREN, 100_000)  # the first named kept
    ]
    [told] = [e for e in json_entries(first) if e.get("event") == "child_orders_capped"]
    assert told["orders"] == [{"order": PARENT, "left_out": 5}] and told["cap"] == MAX_CHILDREN
    answer.children = [*answer.children, 900_001]
    again = polled(cli)
    assert rows(tmp_path, "SELECT count(*) FROM child_orders") == [(MAX_CHILDREN,)]
    assert "child_orders_capped" not in again  # once, when it reached the cap


CADENCE = Cadence(every=300, max_every=3600)


def test_an_answer_without_children_runs_no_statement_on_their_tables(tmp_path):
    store = Store(tmp_path / "t.db")
    try:
        store.track("p", [1, 2], utcnow())
        said: list[str] = []
        store.conn.set_trace_callback(said.append)
        reports = {
            i: OrderStatus(i, "In progress", "In progress", True, Decimal("0.5"), 1, 10, "USD")
            for i in (1, 2)
        }
        store.apply_answers("p", [([1, 2], reports)], utcnow(), CADENCE)
        assert said and not [sql for sql in said if "child_" in sql]
        said.clear()
        reports[1] = reports[1]._replace(child_orders=(11, 12), runs=2)
        store.apply_answers("p", [([1, 2], reports)], utcnow(), CADENCE)
        assert [sql for sql in said if "child_" in sql]
        assert store.rows("SELECT order_id, child_id FROM child_orders") == [
            {"order_id": 1, "child_id": 11},
            {"order_id": 1, "child_id": 12},
        ]
        # Deleted with their order (prune deletes orders): by the foreign key.
        with store.write() as db:
            db.conn.execute("DELETE FROM transitions WHERE order_id = 1")
            db.conn.execute("DELETE FROM orders WHERE order_id = 1")
        assert store.rows("SELECT * FROM child_orders") == []
        assert store.rows("SELECT * FROM child_runs") == []
    finally:
        store.close()
