"""`cancel ID` of an order stored as ended (Completed, Partial, Canceled,
Refunded, as last polled) is not sent: a panel refuses the cancel of an
ended order, and the call cost a request and a refusal in the panel's
words ("This order cannot be canceled") that said nothing of why. It was
sent without a word. Each such order gets its line, the others are sent;
`--force` sends it anyway (the stored status may be old)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from hostile import HostileServer, json_reply
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in, sim_config

from tracker.store.connection import Connection
from tracker.store.orders import Store

KEY = "hostile-key-CancelEnded28"
STATUSES = {
    "81": {"status": "Completed", "charge": "0.90", "remains": "0", "currency": "USD"},
    "82": {"status": "In progress", "charge": "0.90", "remains": "40", "currency": "USD"},
    "83": {"status": "Partial", "charge": "0.50", "remains": "40", "currency": "USD"},
}


def _respond(form: dict[str, str]):
    action = form.get("action")
    if action == "status":
        asked = (form.get("orders") or form.get("order") or "").split(",")
        if "order" in form:
            return json_reply(STATUSES[form["order"]])
        return json_reply({oid: STATUSES[oid] for oid in asked})
    if action == "cancel":
        asked = form["orders"].split(",")
        return json_reply(
            [
                {"order": int(oid), "cancel": 1}
                if STATUSES[oid]["status"] == "In progress"
                else {"order": int(oid), "cancel": {"error": "This order cannot be canceled"}}
                for oid in asked
            ]
        )
    if action == "balance":
        return json_reply({"balance": "10.00", "currency": "USD"})
    if action == "services":
        return json_reply([])
    return json_reply({"error": "Incorrect request"})


@pytest.fixture
def polled(tmp_path, monkeypatch):
    with HostileServer(_respond) as server:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        assert cli("track", "81", "82", "83").exit_code == 0
        ran = cli("run", "--once")
        assert ran.exit_code == 0, ran.output
        yield cli, server


def _cancels(server) -> list[str]:
    return [f["orders"] for f in server.requests if f.get("action") == "cancel"]


def _stored(tmp_path) -> list[tuple[int, str]]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return db.execute("SELECT order_id, result FROM cancels ORDER BY order_id").fetchall()


def test_an_ended_order_is_not_sent_and_says_why(tmp_path, polled):
    cli, server = polled
    done = cli("cancel", "--yes", "81")
    assert done.exit_code == 1
    assert done.output == (  # stderr mixed in by the runner
        "#81  not sent: Completed (as last polled); --force sends it anyway\n"
        "smm-tracker: 1 of 1 cancel not sent\n"
    )
    assert _cancels(server) == []  # was ["81"]: refused "This order cannot be canceled"
    assert _stored(tmp_path) == []


def test_the_open_orders_of_a_list_are_sent_the_ended_ones_said(tmp_path, polled):
    cli, server = polled
    done = cli("cancel", "--yes", "81", "82", "83")
    assert done.exit_code == 1
    lines = done.output.splitlines()
    assert lines[:2] == [
        "#81  not sent: Completed (as last polled); --force sends it anyway",
        "#83  not sent: Partial (as last polled); --force sends it anyway",
    ]
    assert "#82  canceled (the panel accepted; status follows on its next check)" in lines
    assert lines[-1] == "smm-tracker: 2 of 3 cancels not sent"
    assert _cancels(server) == ["82"]
    assert _stored(tmp_path) == [(82, "Accepted")]


def test_force_sends_an_ended_order(tmp_path, polled):
    cli, server = polled
    done = cli("cancel", "--yes", "--force", "81")
    assert done.exit_code == 1
    assert "#81  refused: This order cannot be canceled" in done.output
    assert _cancels(server) == ["81"]
    assert _stored(tmp_path) == [(81, "Refused")]


def test_ten_thousand_ids_from_stdin_are_read_in_chunks(tmp_path, monkeypatch):
    # `orders --ids | cancel -` of 10,000 ended orders: the check read one row
    # per ID, 10,000 queries before the first line; now an IN list per 500.
    ids = list(range(500_001, 510_001))
    store = Store(tmp_path / "t.db")
    store.track("main", ids, datetime(2026, 12, 1, tzinfo=UTC))
    store.close()
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("UPDATE orders SET status = 'Completed', polling = 0")
    read: list[str] = []
    rows = Connection.rows

    def reading(self, sql, params=()):
        read.append(sql)
        return rows(self, sql, params)

    monkeypatch.setattr(Connection, "rows", reading)
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})
    done = cli("cancel", "--yes", "-", input="\n".join(map(str, ids)) + "\n")
    lines = done.output.splitlines()
    assert done.exit_code == 1
    assert len(lines) == 10_001
    assert lines[0] == "#500001  not sent: Completed (as last polled); --force sends it anyway"
    assert lines[-1] == "smm-tracker: 10000 of 10000 cancels not sent"
    assert len([sql for sql in read if "orders" in sql]) <= 50, len(read)  # was 10,020
