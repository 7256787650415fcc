"""A panel script's own runtime error for its error words: what a PHP
panel's error or shutdown handler writes (``{"error": $e->getMessage()}``,
``error_get_last()["message"]``) when the script died part-way, or its
call to its provider timed out: "Maximum execution time of 30 seconds
exceeded", "Allowed memory size of ... exhausted", "Call to a member
function fetch() on bool", "cURL error 28: Operation timed out ...".
Through the real CLI (and, for polls, the daemon's poll in one process)
against a scripted panel on loopback.

Only "Fatal error: ..." and database words were read as the panel's server
failing. These were refusals: an ``add`` so answered was "no order placed"
and its ``--idempotency-key`` given back, so the same ``add`` run again
sent the order a second time, though the script may have died after placing
it (or its provider placed it and the answer timed out); a refill was
stored Refused; and such words in every item of a status answer were each
order's error, counting towards giving it up as lost. They are now the
panel's failure: ``add``'s outcome unknown (its key kept), the refill
Unknown, the orders left untouched."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from hostile import HostileServer, json_reply
from simconfig import add_panel, scripted_panel

KEY = "hostile-key-PhpErrors4Kd"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
DONE = {"status": "Completed", "remains": "0", "charge": "0.5", "start_count": "10"}
DIED = [
    "Maximum execution time of 30 seconds exceeded",
    "Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)",
    "Call to a member function fetch() on bool",
    "Call to undefined function mysql_query()",
    "Trying to access array offset on value of type null",
    'Attempt to read property "id" on null',
    'Undefined array key "order"',
    "Undefined index: order",
    "Division by zero",
    "Unsupported operand types: string + int",
    "App\\Api::status(): Argument #1 ($id) must be of type int, string given",
    "cURL error 28: Operation timed out after 30001 milliseconds with 0 bytes received",
    "Gateway Time-out",
]


def _rows(tmp_path: Any, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute(sql))


@pytest.mark.parametrize("words", DIED)
def test_an_add_answered_a_scripts_runtime_error_is_an_unknown_outcome(
    tmp_path, monkeypatch, words
):
    with add_panel(tmp_path, monkeypatch, KEY) as (server, set_reply, cli):
        set_reply(json_reply({"error": words}))
        added = cli(*ADD, "--idempotency-key", "row-1")
        again = cli(*ADD, "--idempotency-key", "row-1")
        sent = [form for form in server.requests if form.get("action") == "add"]
    assert added.exit_code == 1
    assert "outcome unknown" in added.output and "no order placed" not in added.output
    assert words in added.output
    assert again.exit_code != 0 and len(sent) == 1  # the key kept: never sent twice


def test_an_add_refused_in_plain_words_is_still_not_placed(tmp_path, monkeypatch):
    with add_panel(tmp_path, monkeypatch, KEY) as (_, set_reply, cli):
        set_reply(json_reply({"error": "Not enough funds on balance"}))
        added = cli(*ADD)
    assert added.exit_code == 1 and "no order placed" in added.output


@pytest.mark.parametrize("words", DIED[::4])
def test_a_refill_answered_a_scripts_runtime_error_is_unknown(tmp_path, monkeypatch, words):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"5": DONE})
        replies["refill"] = json_reply({"error": words})
        assert cli("track", "5").exit_code == 0
        refill = cli("refill", "5")
    assert refill.exit_code == 1
    assert "may have reached the panel" in refill.output, refill.output
    assert _rows(tmp_path, "SELECT status FROM refills") == [("Unknown",)]


@pytest.mark.parametrize("words", DIED[::3])
def test_every_item_of_a_status_answer_a_scripts_runtime_error_is_no_orders(tmp_path, words):
    # The daemon: the panel answered the poll before, so its items' words
    # are believed to be each order's, unless they are the panel's.
    from tracker.clock import utcnow
    from tracker.config.model import PanelConfig, Secret
    from tracker.jobs.poll import poll_panel
    from tracker.panel.client import PanelClient
    from tracker.rules.transitions import Cadence
    from tracker.store.orders import Store

    died = []

    def respond(form: dict[str, str]) -> Any:
        ids = form.get("orders", form.get("order", "")).split(",")
        if died:
            return json_reply({i: {"error": words} for i in ids})
        return json_reply({i: {"status": "In progress", "remains": "5"} for i in ids})

    with HostileServer(respond) as server:
        store = Store(tmp_path / "t.db")
        store.track("sim", [5, 6], utcnow(), quantity=1000)
        client = PanelClient(PanelConfig(name="sim", url=server.url, key=Secret(KEY), retries=0))
        poll = dict(clock=utcnow, cadence=Cadence(every=300, max_every=3600), everything=True)
        poll_panel(store, client, **poll)
        died.append(True)
        failed = poll_panel(store, client, **poll)
    sql = "SELECT order_id, status, polling, error, unknown_since FROM orders ORDER BY 1"
    assert _rows(tmp_path, sql) == [
        (5, "In progress", 1, None, None),
        (6, "In progress", 1, None, None),
    ]
    assert any(f"panel failed: {words}" in error for error in failed.errors), failed.errors
