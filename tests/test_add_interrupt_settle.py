"""A Ctrl-C at the moment `add` stores the outcome of its idempotency key,
the order placed and tracked: the key is settled and the ID printed all the
same, as for a Ctrl-C while the answer was awaited.

That moment was outside the shield (:mod:`tracker.cli.shield`): the order was
tracked, but the command left "interrupted" (exit 130) with no ID printed and
the key left Sending, which every later `add` under it read as "outcome
unknown" — a script told to check the panel for an order it had. The Ctrl-C
comes from the process itself, as the settle begins: the one moment asked
for, with no timing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from hostile import HostileServer, json_reply
from simconfig import SOURCE, sim_config

KEY = "hostile-key-SettleIntr9"
# The real CLI, its key settle preceded by a Ctrl-C (SIGINT) to itself: the
# settle in the transaction that tracks the order (settle_in).
CTRL_C_AT_SETTLE = """
import os, signal
from tracker.store import idempotency
settle = idempotency.settle_in
def interrupted(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)
    return settle(*args, **kwargs)
idempotency.settle_in = interrupted
from tracker.cli.main import main
main(prog_name="smm-tracker")
"""


def test_a_ctrl_c_as_the_key_is_settled_still_settles_it_and_prints_the_id(tmp_path):
    def respond(form: dict[str, str]):
        if form.get("action") == "add":
            return json_reply({"order": 78})
        return json_reply({"error": "Incorrect request"})

    add = ["add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100"]
    with HostileServer(respond) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        done = subprocess.run(
            [sys.executable, "-c", CTRL_C_AT_SETTLE, *add, "--idempotency-key", "row-1"],
            capture_output=True,
            text=True,
            env={**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE},
            cwd=tmp_path,
            timeout=60,
        )
        again = subprocess.run(
            [sys.executable, "-m", "tracker", *add, "--idempotency-key", "row-1"],
            capture_output=True,
            text=True,
            env={**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE},
            cwd=tmp_path,
            timeout=60,
        )
        adds = [f for f in server.requests if f.get("action") == "add"]
    assert (done.returncode, done.stdout) == (0, "78\n"), done.stderr
    assert "the order was placed before the stop, and is tracked" in done.stderr
    with sqlite3.connect(tmp_path / "t.db") as db:
        keys = db.execute("SELECT status, order_id FROM idempotency_keys").fetchall()
        tracked = db.execute("SELECT order_id FROM orders").fetchall()
    assert (keys, tracked) == ([("Placed", 78)], [(78,)])
    # The script run again: the order it has, not "outcome unknown".
    assert (again.returncode, again.stdout) == (0, "78\n"), again.stderr
    assert len(adds) == 1
