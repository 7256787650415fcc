"""Shapes real panel scripts send that the tracker misread, through the real
CLI and a scripted panel on loopback.

- A status answer about many orders wrapped in one key (``{"orders": {...}}``,
  ``{"data": [...]}``, ``{"result": [...]}``) failed the whole poll at every
  run: the wrapper is read through when its one key could be no order's ID.
- ``add`` answered ``[{"order": 77}]`` (PDO's ``fetchAll()`` of the row) was
  "outcome unknown": it is order 77 when the list holds that one object alone.
- A service's ``rate`` written with its currency ("$0.50", "0.50 USD",
  "€0,50") was stored as no rate.
- A drip-feed's child orders sent as the text "125,126" were ignored.
- ``add``'s outcome-unknown line showed Python's ``Decimal('999...')`` for an
  integer too long to read.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply, text_reply
from simconfig import add_panel, cli_in, scripted_panel, tracked_ids
from test_hostile_answers import config

KEY = "hostile-key-ScriptShapes150"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
UNKNOWN = "outcome unknown — check the panel before placing it again"


def _rows(tmp_path: Any, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute(sql))


def _poll(tmp_path: Any, monkeypatch: Any, multi: Any) -> Any:
    """Orders 123 and 124 tracked, the multi-status call answered ``multi``,
    any call about one order refused; return the run."""

    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action")
        if action == "status" and "orders" in form:
            return json_reply(multi)
        if action == "balance":
            return json_reply({"balance": "10", "currency": "USD"})
        if action == "services":
            return json_reply([])
        return json_reply({"error": "Incorrect request"})

    with HostileServer(respond) as server:
        cli = cli_in(tmp_path, monkeypatch, config(server.url), env={"HOSTILE_KEY": KEY})
        assert cli("track", "123", "124").exit_code == 0
        run = cli("run", "--once", "--all")
    assert "Traceback" not in run.output
    return run


DONE = {"status": "Completed", "remains": "0"}
GOING = {"status": "In progress", "remains": "3"}


@pytest.mark.parametrize(
    "multi",
    [
        {"orders": {"123": GOING, "124": DONE}},
        {"data": {"123": GOING, "124": DONE}},
        {"result": [{"order": 123, **GOING}, {"order": "124", **DONE}]},
        {"data": [{"order": 123, **GOING}, {"order": 124, **DONE}]},
    ],
)
def test_a_multi_status_answer_wrapped_in_one_key_is_read(tmp_path, monkeypatch, multi):
    run = _poll(tmp_path, monkeypatch, multi)
    assert run.exit_code == 0, run.output
    rows = _rows(tmp_path, "SELECT order_id, status, polling, error FROM orders ORDER BY 1")
    assert rows == [(123, "In progress", 1, None), (124, "Completed", 0, None)]


@pytest.mark.parametrize(
    "multi",
    [
        {"125": {"123": GOING, "124": DONE}},  # its key could be an order's ID
        {"orders": {"123": GOING, "124": DONE}, "count": 2},  # not one key
        {"orders": {"125": DONE}},  # no asked order named inside
    ],
)
def test_a_wrapper_that_could_be_an_order_or_names_none_asked_is_not_read(
    tmp_path, monkeypatch, multi
):
    run = _poll(tmp_path, monkeypatch, multi)
    assert run.exit_code == 1
    rows = _rows(tmp_path, "SELECT order_id, status, polling FROM orders ORDER BY 1")
    assert rows == [(123, None, 1), (124, None, 1)]


def test_add_answered_a_list_of_the_one_row_is_that_order(tmp_path, monkeypatch):
    with add_panel(tmp_path, monkeypatch, KEY) as (_, set_reply, cli):
        set_reply(json_reply([{"order": 77}]))
        result = cli(*ADD)
    assert result.exit_code == 0, result.output
    assert tracked_ids(tmp_path) == [77]


@pytest.mark.parametrize(
    "answer",
    [
        [{"order": 77}, {"order": 78}],
        [{"order": 77}, {"order": 77}],
        [{"order": "x77"}],
        [{"order": 77, "error": "Not enough funds"}],
        [{"error": "Not enough funds"}],
        [77],
    ],
)
def test_add_answered_an_ambiguous_list_stays_outcome_unknown(tmp_path, monkeypatch, answer):
    with add_panel(tmp_path, monkeypatch, KEY) as (_, set_reply, cli):
        set_reply(json_reply(answer))
        result = cli(*ADD)
    assert result.exit_code == 1, result.output
    assert UNKNOWN in result.stderr
    assert tracked_ids(tmp_path) == []


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ('{{"order": {}}}', '{"order": 9999'),
        ('[{{"order": {}}}]', '[{"order": 9999'),
        ('{{"order": 23501.00000000000001, "id": {}}}', '{"order": 23501.00000000000001, "id": 99'),
        ('{{"order": 77, "error": "Not enough funds", "id": {}}}', '"Not enough funds", "id": 99'),
    ],
)
def test_add_outcome_unknown_says_a_long_number_as_written_not_pythons_repr(
    tmp_path, monkeypatch, answer, said
):
    with add_panel(tmp_path, monkeypatch, KEY) as (_, set_reply, cli):
        set_reply(text_reply(answer.format("9" * 5000)))
        result = cli(*ADD)
    assert result.exit_code == 1, result.output
    told = result.stderr.splitlines()[-1]
    assert UNKNOWN in told
    assert "Decimal" not in told and "'order'" not in told
    assert said in told and "…" in told and len(told) < 300
    assert tracked_ids(tmp_path) == []


@pytest.mark.parametrize("rate", ["$0.50", "0.50 USD", "€0,50", "USD 0.50"])
def test_a_rate_written_with_its_currency_is_read(tmp_path, monkeypatch, rate):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["services"] = json_reply(
            [{"service": 1, "name": "Likes", "type": "Default", "rate": rate, "min": 10}]
        )
        shown = cli("services", "--refresh", "--json")
    assert shown.exit_code == 0, shown.output
    [row] = json.loads(shown.stdout)
    assert row["rate"] in ("0.50", "0.5", 0.5)


@pytest.mark.parametrize("children", ["125,126", "125, 126", " 125 ,126 "])
def test_child_orders_sent_as_comma_separated_text_are_kept(tmp_path, monkeypatch, children):
    item = {"status": "In progress", "remains": "3", "runs": "2", "orders": children}
    run = _poll(tmp_path, monkeypatch, {"123": item, "124": DONE})
    assert run.exit_code == 0, run.output
    rows = _rows(tmp_path, "SELECT order_id, child_id FROM child_orders ORDER BY 1, 2")
    assert rows == [(123, 125), (123, 126)]
