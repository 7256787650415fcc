"""The ID a panel answered for an order placed is checked against the other
entries at its url, tracked, and (``add``) its idempotency key settled, in
one write transaction (``BEGIN IMMEDIATE``); a re-order's action row and
the order it tracks likewise.

Before, these were separate steps. A kill -9 (a power loss) after the order
was tracked but before its key was settled left the key "outcome unknown",
the add run again telling the user to check the panel for an order the
tracker had. Another entry at the same url (another account on the panel)
answered the same ID could track it between the check and the insert: one
order in two rows, its status asked twice. Through the real CLI (a
subprocess, killed by ``os._exit`` at each statement in turn) or the real
automation job, and a scripted panel on loopback; nothing sleeps.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from automation_kit import REORDER, run  # noqa: F401  (fixture)
from hostile import HostileServer, json_reply
from simconfig import SOURCE, cli_in, sim_config

from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store import automation as automation_sql

KEY = "hostile-key-OneTx4Kq8Zp2"
ADD = ["add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100"]
# The real CLI, killed (os._exit: no clean-up, as kill -9) as the CRASH_AT-th
# statement on its database after the panel answered the add begins.
KILLED_AT = """
import os
from tracker.panel.client import PanelClient
from tracker.store import connection
at, answered, seen = int(os.environ["CRASH_AT"]), [], []
placed = PanelClient.add
def add(self, *args, **kwargs):
    answered.append(placed(self, *args, **kwargs))
    return answered[-1]
PanelClient.add = add
opened = connection.connect_writer
def traced(sql):
    if answered:
        seen.append(sql)
        if len(seen) == at:
            os._exit(9)
def connect(*args, **kwargs):
    conn = opened(*args, **kwargs)
    conn.set_trace_callback(traced)
    return conn
connection.connect_writer = connect
from tracker.cli.main import main
main(prog_name="smm-tracker")
"""


def _state(db) -> tuple[list[tuple], list[tuple]]:
    with sqlite3.connect(db) as conn:
        keys = conn.execute("SELECT status, order_id FROM idempotency_keys").fetchall()
        tracked = conn.execute("SELECT panel, order_id FROM orders").fetchall()
    return keys, tracked


def test_an_add_killed_at_any_point_leaves_its_order_tracked_and_key_placed_or_neither(tmp_path):
    server = HostileServer(lambda form: json_reply({"order": 78})).start()
    env = {**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE}
    states, at = [], 0
    try:
        while True:  # killed at the 1st statement after the answer, the 2nd, ... until none
            at += 1
            where = tmp_path / f"at{at}"
            where.mkdir()
            (where / "tracker.toml").write_text(sim_config(server.url))
            done = subprocess.run(
                [sys.executable, "-c", KILLED_AT, *ADD, "--idempotency-key", "row-1"],
                capture_output=True,
                text=True,
                env={**env, "CRASH_AT": str(at)},
                cwd=where,
                timeout=60,
            )
            states.append(_state(where / "t.db"))
            if done.returncode != 9:
                break
    finally:
        server.stop()
    assert (done.returncode, done.stdout) == (0, "78\n"), done.stderr
    assert at > 2  # killed in the transaction at least (BEGIN, the check or insert, COMMIT)
    # Claimed, outcome unknown and nothing tracked; or placed as 78 and tracked.
    either = [([("Sending", None)], []), ([("Placed", 78)], [("sim", 78)])]
    assert all(state in either for state in states), states
    assert states[0] == ([("Sending", None)], []) and states[-1][0] == [("Placed", 78)]


def test_a_killed_add_left_claimed_is_settled_by_the_track_it_names(tmp_path, monkeypatch):
    # Killed in its transaction: nothing tracked, so the order the user finds on
    # the panel is tracked by the command the add run again names.
    server = HostileServer(lambda form: json_reply({"order": 78})).start()
    env = {**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE, "CRASH_AT": "3"}
    cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
    try:
        killed = subprocess.run(
            [sys.executable, "-c", KILLED_AT, *ADD, "--idempotency-key", "row-1"],
            capture_output=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )
        assert killed.returncode == 9
        with sqlite3.connect(tmp_path / "t.db") as db:  # killed long ago: not still sending
            db.execute("UPDATE idempotency_keys SET at = '2026-01-01T00:00:00Z'")
        again = cli(*ADD, "--idempotency-key", "row-1")
        track = "smm-tracker track --panel sim --idempotency-key row-1 ID"
        assert again.exit_code == 1 and track in again.stderr, again.output
        found = cli("track", "--panel", "sim", "--idempotency-key", "row-1", "78")
        assert found.exit_code == 0 and "settled: placed as order 78" in found.stdout
        assert _state(tmp_path / "t.db") == ([("Placed", 78)], [("sim", 78)])
        assert cli(*ADD, "--idempotency-key", "row-1").stdout == "78\n"
    finally:
        server.stop()
    assert len([f for f in server.requests if f.get("action") == "add"]) == 1


def _two_entries(url: str) -> str:
    return sim_config(url) + (
        f'[[panels]]\nname = "second"\nurl = "{url}"\nkey = "second-key-Lp3Mn5Bv7Cx9"\n'
    )


def _tracer(db, answered: int, panel: str, blocked: list[str]):
    """Return a trace callback: once the store's check of ``answered`` has
    read (the panel has answered), as the next statement begins, another
    entry's add or re-order (``panel``), its own check passed too, tracks
    the same ID from a second connection, without waiting: ``blocked`` gets
    why it could not. Once only."""
    seen: list[str] = []

    def traced(sql: str) -> None:
        if not seen:  # the check: a read of the orders table for that ID
            if sql.startswith("SELECT") and " orders " in f"{sql} " and str(answered) in sql:
                seen.append(sql)
            return
        if len(seen) > 1:
            return
        seen.append(sql)
        try:
            with sqlite3.connect(db, timeout=0) as other:
                other.execute(
                    "INSERT INTO orders (panel, order_id, created_at, updated_at, source) "
                    "VALUES (?, ?, '2026-12-07T06:00:00Z', '2026-12-07T06:00:00Z', 'add')",
                    [panel, answered],
                )
        except sqlite3.OperationalError as exc:
            blocked.append(str(exc))

    return traced


def _racing(monkeypatch, db, answered: int, panel: str, blocked: list[str]) -> None:
    """Trace (:func:`_tracer`) every database connection the CLI opens to write."""
    from tracker.store import connection

    opened, traced = connection.connect_writer, _tracer(db, answered, panel, blocked)

    def connect(*args, **kwargs):
        conn = opened(*args, **kwargs)
        conn.set_trace_callback(traced)
        return conn

    monkeypatch.setattr(connection, "connect_writer", connect)


def test_another_entrys_add_cannot_track_the_id_between_the_check_and_the_insert(
    tmp_path, monkeypatch
):
    server = HostileServer(lambda form: json_reply({"order": 23501})).start()
    cli = cli_in(tmp_path, monkeypatch, _two_entries(server.url), env={"SIM_KEY": KEY})
    blocked: list[str] = []
    _racing(monkeypatch, tmp_path / "t.db", 23501, "second", blocked)
    try:
        first = cli(*ADD, "--panel", "sim")
        second = cli(*ADD, "--panel", "second")  # its add, once the first's is done
    finally:
        server.stop()
    assert (first.exit_code, first.stdout) == (0, "23501\n"), first.output
    assert _state(tmp_path / "t.db")[1] == [("sim", 23501)]  # one row for one order
    assert blocked == ["database is locked"]  # it waits for the first's transaction
    assert second.exit_code == 1 and "already tracked on sim" in second.stderr, second.output


def test_another_entrys_add_cannot_track_a_reorders_id_between_check_and_insert(world):
    w = world(automation=REORDER.replace("1.0", "100"), more=_second_entry())
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    blocked: list[str] = []
    w.panel._add = lambda form, now: {"order": 990001}  # type: ignore[method-assign]
    db = w.store.path
    trace = _tracer(db, 990001, "second", blocked)
    w.store.conn.set_trace_callback(trace)
    try:
        assert run(w)
    finally:
        w.store.conn.set_trace_callback(None)
    tracked = w.store.rows("SELECT panel FROM orders WHERE order_id = 990001")
    assert tracked == [{"panel": "sim"}]  # one row for one order
    (row,) = [a for a in automation_sql.actions(w.store) if a["action"] == "reorder"]
    assert (row["order_id"], row["status"], row["new_order_id"]) == (parent, "Placed", 990001)
    assert blocked == ["database is locked"]  # it waits for the re-order's transaction


def _second_entry() -> str:
    return '\n[[panels]]\nname = "second"\nurl = "{url}"\nkey = "second-key-Qa7Ws9Ed3Rf5"\n'
