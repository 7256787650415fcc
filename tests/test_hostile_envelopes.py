"""Answers in a success envelope, ``{"status": "success", "data": {...}}``
(also ``"result"`` or ``"response"`` holding them, ``"success": true``, a
``message`` beside), as a script that writes every answer so sends them,
through the real CLI and a scripted panel on loopback. A multi-status
answer so written was taken for one order's answer (its ``status``
"success"): the panel was probed with ``order=`` and asked one order at a
time, each order stored with the status "success". It is read as the map
under the wrapper when that names the asked IDs; a refill, a refill's
status, a cancel, a single status so written are read through as under
one wrapper key; an envelope that says no success, or holds none of the
asked IDs, stays the answer it was."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import add_panel, cli_in, scripted_panel, tracked_ids
from test_hostile_answers import config

KEY = "hostile-key-Envelope172Zq"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
GOING = {"status": "In progress", "remains": "5", "charge": "0.5", "start_count": "10"}
DONE = {"status": "Completed", "remains": "0", "charge": "0.5", "start_count": "10"}
ENVELOPES = [
    lambda inner: {"status": "success", "data": inner},
    lambda inner: {"success": True, "result": inner},
    lambda inner: {"status": "ok", "message": "OK", "response": inner},
    lambda inner: {"code": 200, "success": True, "status": "success", "data": inner},
]


def _rows(directory: Any, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(directory / "t.db") as db:
        return list(db.execute(sql))


class Enveloped:
    """A panel writing every status answer in ``envelope``: orders 7 and 8
    as ``items`` say (``orders=``; one not there left out), each alone as
    ``alone`` says, else as ``items`` (``order=``)."""

    def __init__(self, envelope: Any):
        self.envelope, self.forms = envelope, []
        self.items: dict[str, Any] = {"7": GOING, "8": GOING}
        self.alone: dict[str, Any] = {}

    def __call__(self, form: dict[str, str]) -> Reply:
        self.forms.append(form)
        if form.get("action") == "balance":
            return json_reply({"balance": "5", "currency": "USD"})
        if form.get("action") == "services":
            return json_reply([])
        if form.get("action") != "status":
            return json_reply({"error": "Incorrect request"})
        if "orders" in form:
            asked = form["orders"].split(",")
            return json_reply(self.envelope({i: self.items[i] for i in asked if i in self.items}))
        said = self.alone.get(form["order"]) or self.items[form["order"]]
        return json_reply(self.envelope(said))


@pytest.mark.parametrize("envelope", ENVELOPES)
def test_a_multi_status_in_a_success_envelope_is_read_as_its_map(tmp_path, monkeypatch, envelope):
    panel = Enveloped(envelope)
    with HostileServer(panel) as server:
        cli = cli_in(tmp_path, monkeypatch, config(server.url), env={"HOSTILE_KEY": KEY})
        assert cli("track", "7", "8").exit_code == 0
        first = cli("run", "--once", "--all")
        panel.items = {"7": DONE, "8": GOING}
        second = cli("run", "--once", "--all")
    for run in (first, second):
        assert run.exit_code == 0, run.output
    orders = _rows(tmp_path, "SELECT order_id, status, polling, error FROM orders ORDER BY 1")
    assert orders == [(7, "Completed", 0, None), (8, "In progress", 1, None)]
    moved = _rows(tmp_path, "SELECT order_id, from_status, to_status FROM transitions ORDER BY id")
    assert {to for _, _, to in moved} == {"In progress", "Completed"}  # never "success"
    assert (7, "In progress", "Completed") in moved
    assert [k for (k,) in _rows(tmp_path, "SELECT kind FROM alerts")].count("unknown_status") == 0
    statuses = [f for f in panel.forms if f.get("action") == "status"]
    assert statuses and all("orders" in f for f in statuses)  # never probed one by one


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "error", "data": {"7": DONE, "8": DONE}},  # no success said
        {"success": False, "data": {"7": DONE, "8": DONE}},
        {"success": "maybe", "data": {"7": DONE, "8": DONE}},
        {"status": "success", "data": {"9": DONE}},  # none of the asked IDs
        {"status": "success", "data": {"7": DONE}, "result": {"8": DONE}},  # two holders
        {"status": "success", "data": {"7": DONE, "8": DONE}, "note": "x"},  # a key unknown
    ],
)
def test_an_envelope_saying_no_success_or_naming_none_asked_is_not_read(
    tmp_path, monkeypatch, answer
):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"7": GOING, "8": GOING})
        assert cli("track", "7", "8").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        replies["status"] = json_reply(answer)
        cli("run", "--once", "--all")
        orders = _rows(tmp_path, "SELECT order_id, status FROM orders ORDER BY 1")
    assert all(status != "Completed" for _, status in orders), orders


@pytest.mark.parametrize("envelope", ENVELOPES[:2])
def test_a_refill_and_its_status_in_a_success_envelope_are_followed(
    tmp_path, monkeypatch, envelope
):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"5": DONE})
        replies["refill"] = json_reply(envelope({"refill": "77"}))
        replies["refill_status"] = json_reply(envelope([{"refill": "77", "status": "Completed"}]))
        assert cli("track", "5").exit_code == 0
        asked = cli("refill", "5")
        runs = [cli("run", "--once", "--all") for _ in range(2)]
    assert asked.exit_code == 0, asked.output
    assert "refill 77 requested for order 5" in asked.output
    for run in runs:
        assert run.exit_code == 0, run.output
    assert _rows(tmp_path, "SELECT refill_id, status, error FROM refills") == [
        ("77", "Completed", None)
    ]


@pytest.mark.parametrize("envelope", ENVELOPES[:2])
def test_a_cancel_in_a_success_envelope_is_read(tmp_path, monkeypatch, envelope):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"7": GOING})
        replies["cancel"] = json_reply(envelope([{"order": 7, "cancel": 1}]))
        assert cli("track", "7").exit_code == 0
        result = cli("cancel", "--yes", "--force", "7")
    assert result.exit_code == 0, result.output
    assert _rows(tmp_path, "SELECT order_id, result, error FROM cancels") == [(7, "Accepted", None)]


@pytest.mark.parametrize("envelope", ENVELOPES[:2])
def test_an_order_asked_alone_in_a_success_envelope_is_read(tmp_path, monkeypatch, envelope):
    # Order 8 left out of the multi answer, then asked alone (order=8).
    panel = Enveloped(envelope)
    with HostileServer(panel) as server:
        cli = cli_in(tmp_path, monkeypatch, config(server.url), env={"HOSTILE_KEY": KEY})
        assert cli("track", "7", "8").exit_code == 0
        panel.items, panel.alone = {"7": GOING}, {"8": DONE}
        run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    orders = _rows(tmp_path, "SELECT order_id, status, polling, error FROM orders ORDER BY 1")
    assert orders == [(7, "In progress", 1, None), (8, "Completed", 0, None)]
    assert "unknown_status" not in [k for (k,) in _rows(tmp_path, "SELECT kind FROM alerts")]


@pytest.mark.parametrize("envelope", ENVELOPES[:2])
def test_add_and_balance_in_a_success_envelope_are_read(tmp_path, monkeypatch, envelope):
    with add_panel(tmp_path, monkeypatch, KEY) as (_, set_reply, cli):
        set_reply(json_reply(envelope({"order": 77})))
        placed = cli(*ADD)
    assert placed.exit_code == 0, placed.output
    assert placed.stdout.strip() == "77" and tracked_ids(tmp_path) == [77]
    (tmp_path / "b").mkdir()
    with scripted_panel(tmp_path / "b", monkeypatch, KEY) as (_, replies, cli):
        replies["balance"] = json_reply(envelope({"balance": "12.5", "currency": "USD"}))
        assert cli("run", "--once").exit_code == 0
        shown = cli("balance")
    assert shown.exit_code == 0, shown.output
    assert "12.5" in shown.stdout
