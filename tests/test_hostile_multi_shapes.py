"""Multi-status answers in shapes real panel scripts write: a list of items
naming the order by ``id`` or ``order_id`` (not ``order``), read as one
naming it by ``order``; and a multi call (``orders=7,8``) answered in the
one-order shape (``{"status": "Completed", "remains": "0"}``): the panel
read one ID or none, and whose status that is cannot be told, so it is
nobody's: the tracker falls back to one-order calls, as for a panel that
reads no ``orders=``, and says so. Both failed every poll "answered none
of the asked IDs". Through the real CLI and a scripted panel on loopback."""

from __future__ import annotations

import sqlite3

import pytest
from hostile import json_reply
from simconfig import scripted_panel

from tracker.panel.parse import parse_status_multi

KEY = "hostile-key-Shapes169Zq"
GOING = {"status": "In progress", "remains": "5", "charge": "0.5"}


def _orders(directory):
    with sqlite3.connect(directory / "t.db") as db:
        return list(db.execute("SELECT order_id, status, remains FROM orders ORDER BY 1"))


@pytest.mark.parametrize("field", ["id", "order_id"])
def test_a_list_naming_orders_by_id_is_read(tmp_path, monkeypatch, field):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"7": GOING, "8": GOING})
        assert cli("track", "7", "8").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        replies["status"] = json_reply(
            [
                {field: "7", "status": "Completed", "remains": "0"},
                {field: 8, "status": "Partial", "remains": "2"},
            ]
        )
        run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    assert "answered none" not in run.output
    assert _orders(tmp_path) == [(7, "Completed", 0), (8, "Partial", 2)]


def test_only_an_unambiguous_id_field_names_the_order():
    done = {"status": "Completed", "remains": "0"}
    both = [{"id": 7, "order_id": 7, **done}]
    assert parse_status_multi([7], both)[7].status == "Completed"
    # "order" says it: an "id" beside (a row's) is not read.
    assert set(parse_status_multi([7, 8], [{"order": 7, "id": 8, **done}])) == {7}
    with pytest.raises(Exception, match="answered nothing about the asked ID"):
        parse_status_multi([7], [{"id": 7, "order_id": 8, **done}])  # which?


def test_one_orders_shape_to_a_multi_call_is_nobodys_then_one_by_one(tmp_path, monkeypatch):
    single = {"status": "Completed", "remains": "0", "charge": "0.5"}

    def answer(form):
        if "orders" in form:  # reads no orders=: its one-order shape, whose?
            return json_reply(single)
        return json_reply({**GOING} if form.get("order") == "8" else single)

    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["status"] = json_reply({"7": GOING, "8": GOING})
        assert cli("track", "7", "8").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        server.respond = lambda form: (
            answer(form) if form.get("action") == "status" else replies[form["action"]]
        )
        first = cli("run", "--once", "--all")
        second = cli("run", "--once", "--all")
    assert first.exit_code == 0, first.output
    assert "answered none" not in first.output + second.output
    # Read one order at a time: 7 Completed, 8 still In progress (never 8 "Completed").
    assert _orders(tmp_path) == [(7, "Completed", 0), (8, "In progress", 5)]
    with sqlite3.connect(tmp_path / "t.db") as db:
        learned = list(db.execute("SELECT action, supported FROM panel_capabilities"))
    assert learned == [("status_orders", 0)], learned
