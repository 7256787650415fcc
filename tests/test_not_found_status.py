"""Words saying an order does not exist, sent where its status goes.

Some self-hosted panel scripts answer a deleted or unknown order with a
normal-looking item: ``{"status": "Order not found"}``, ``{"123": {"status":
"Incorrect order ID"}}``. Each test serves such a panel on loopback, tracks
orders with the real CLI, runs ``run --once`` and checks that the order reads
exactly as one answered ``{"error": ...}`` in the same words: counted as
unknown, given up with an ``order_lost`` alert, resumed by ``track``.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import LaterRuns, cli_in

from tracker.panel import parse, parse_single

KEY = "notfound-key-Zr7Kp2Wq9Lx4Vb"
KNOWN, IN_WORDS, AS_ERROR = 6001, 6002, 6003
CONFIG = """
[database]
path = "t.db"
[[panels]]
name = "script"
url = "{url}"
key_env = "NOTFOUND_KEY"
timeout = "30s"
retries = 1
retry_budget = "30s"
[schedule]
unknown_give_up = "1s"
[refill]
enabled = false
"""
MOVING = {"charge": "0.5", "start_count": "10", "status": "In progress", "remains": "40"}


def status_answer(form: dict[str, str], shape: str, words: str) -> Reply:
    """Answer a status call: KNOWN moves, AS_ERROR is ``{"error": words}``,
    IN_WORDS is ``{"status": words}`` as ``shape`` puts it. Balance works;
    the catalogue is empty."""
    if form.get("action") == "balance":
        return json_reply({"balance": "5.00", "currency": "USD"})
    if form.get("action") != "status":
        return json_reply([])
    if "order" in form:  # asked alone (single): the item is the whole answer
        alone = {KNOWN: MOVING, IN_WORDS: {"status": words}, AS_ERROR: {"error": words}}
        return json_reply(alone[int(form["order"])])
    asked = [int(i) for i in form["orders"].split(",")]
    items: dict[int, Any] = {KNOWN: MOVING, AS_ERROR: {"error": words}}
    if shape != "single":  # single: left out of the multi answer, asked alone
        items[IN_WORDS] = {"status": words}
    if shape == "list":
        return json_reply([{"order": i, **items[i]} for i in asked if i in items])
    return json_reply({str(i): items[i] for i in asked if i in items})


def orders_of(tmp_path: Path) -> dict[int, tuple[Any, ...]]:
    db = sqlite3.connect(tmp_path / "t.db")
    try:
        rows = db.execute(
            "SELECT order_id, status, raw_status, error, error_count, polling, stopped_by,"
            " stop_reason, unknown_since IS NOT NULL FROM orders"
        )
        return {r[0]: r[1:] for r in rows}
    finally:
        db.close()


@pytest.mark.parametrize(
    ("shape", "words"),
    [
        ("single", "Order not found"),
        ("object", "Incorrect order ID"),
        ("list", "No order found"),
    ],
)
def test_a_status_saying_the_order_does_not_exist_reads_as_that_error(
    tmp_path, monkeypatch, shape, words
):
    with HostileServer(lambda form: status_answer(form, shape, words)) as server:
        cli = cli_in(
            tmp_path,
            monkeypatch,
            CONFIG.format(url=server.url),
            env={"NOTFOUND_KEY": KEY},
        )
        assert cli("track", str(KNOWN), str(IN_WORDS), str(AS_ERROR)).exit_code == 0
        later = LaterRuns(monkeypatch)
        ran = cli("run", "--once", "--all")
        assert ran.exit_code == 0, ran.output
        # Counted as unknown, the words in ERROR, no status: as the error item.
        found = orders_of(tmp_path)
        assert found[IN_WORDS] == found[AS_ERROR] == (None, None, words, 1, 1, None, None, 1)
        listed = {r["order_id"]: r for r in json.loads(cli("orders", "--json").output)}
        assert listed[IN_WORDS]["status"] is None and listed[IN_WORDS]["error"] == words
        lines = {int(line.split()[1]): line for line in cli("orders").stdout.splitlines()[1:]}
        assert words in lines[IN_WORDS]
        assert lines[IN_WORDS].replace(str(IN_WORDS), str(AS_ERROR)) == lines[AS_ERROR]
        # Past unknown_give_up: given up with one order_lost alert naming it.
        later.advance(1.1)
        assert cli("run", "--once", "--all").exit_code == 0
        found = orders_of(tmp_path)
        assert found[IN_WORDS] == found[AS_ERROR]
        assert found[IN_WORDS][4:7] == (0, "panel", words)
        alerts = cli("alerts", "--json")
        [lost] = [a for a in json.loads(alerts.output)["alerts"] if a["kind"] == "order_lost"]
        lost_ids = {o["order_id"] for o in lost["data"]["orders"]}
        assert lost_ids == {IN_WORDS, AS_ERROR} and words in lost["message"]
        note = cli("history", str(IN_WORDS)).output
        assert f"lost: the panel called it unknown ({words})" in note
        # Seen as given up in the listing, not as an order still in progress.
        table = cli("orders", "--status", "LOST").output.splitlines()
        assert sorted(int(line.split()[1]) for line in table[1:]) == [IN_WORDS, AS_ERROR]
        assert all(f"(lost: {words})" in line for line in table[1:])
        listed = {r["order_id"]: r for r in json.loads(cli("orders", "--json").output)}
        assert listed[IN_WORDS]["lost"] and not listed[KNOWN]["lost"]
        assert not listed[IN_WORDS]["untracked"]
        # Reversible: track resumes it as it does the error item.
        resumed = cli("track", str(IN_WORDS))
        assert "resumed 1 stopped order:" in resumed.output and words in resumed.output
        assert orders_of(tmp_path)[IN_WORDS][4:7] == (1, None, None)
        assert orders_of(tmp_path)[KNOWN][:1] == ("In progress",)


NOT_FOUND = [
    "Order not found",
    "Incorrect order ID",
    "Invalid order id",
    "order does not exist",
    "No order found",
    "Order #123 not found.",
    "Error: order not found",
    "Not found",
    "Invalid ID",
]
# Statuses, with or without the panel's reason, and words about something else.
STATUSES = [
    "Completed",
    "Partial",
    "In_progress",
    "Canceled: invalid link",
    "Order canceled (link not found)",
    "Partially completed - wrong link",
    "Refunded: incorrect order link",
    "Invalid link",
    "User not found",
    "Invalid user ID",
    "Not completed",
    "Order ID is required parameter",
    "Invalid API key",
    "On hold at provider",
]


def test_only_words_saying_the_order_does_not_exist_are_read_as_its_error():
    as_error = {"error": "x"}
    for words in NOT_FOUND:
        expected = parse.parse_order_status(5, {**as_error, "error": words})
        assert parse_single.parse_status_single(5, {"status": words}) == expected, words
        assert parse.parse_status_multi([5], {"5": {"status": words}})[5] == expected, words
        listed = parse.parse_status_multi([5], [{"order": 5, "status": words}])[5]
        assert listed == expected, words
    for words in STATUSES:
        read = parse.parse_status_multi([5], {"5": {"status": words}})[5]
        assert read.error is None and read.raw_status == words, words
        assert read == parse_single.parse_status_single(5, {"status": words}), words
