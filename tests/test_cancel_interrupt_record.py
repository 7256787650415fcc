"""Two Ctrl-Cs as `cancel` records what a call came to: the record is made
once, and an order never sent is never recorded as maybe canceled.

`cancel` stores each call's outcome before the next call goes out. A second
Ctrl-C inside that write, once the call had failed, raised KeyboardInterrupt
there: the orders of that call were then recorded (again) as `Unknown`,
"interrupted before the panel's answer came - check the panel", also when
the panel had answered that it was busy and nothing was sent. The Ctrl-Cs
come from the process itself, as the record returns: the one moment asked
for, with no timing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from hostile import HostileServer, json_reply
from simconfig import SOURCE, sim_config

KEY = "hostile-key-CancelIntr22"
# The real CLI, two Ctrl-Cs (SIGINT) to itself once a call's outcome is recorded.
TWICE_AT_RECORD = """
import os, signal
from tracker.cli import cancel
record = cancel.record_cancels
first = []
def interrupted(*args, **kwargs):
    record(*args, **kwargs)
    if not first:  # the first call's record only
        first.append(True)
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
cancel.record_cancels = interrupted
from tracker.cli.main import main
main(prog_name="smm-tracker")
"""


def _cancel(tmp_path, reply) -> tuple[subprocess.CompletedProcess[str], list, int]:
    def respond(form: dict[str, str]):
        return reply if form.get("action") == "cancel" else json_reply({"error": "Bad action"})

    with HostileServer(respond) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        done = subprocess.run(
            [sys.executable, "-c", TWICE_AT_RECORD, "cancel", "--yes", "81"],
            capture_output=True,
            text=True,
            env={**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE},
            cwd=tmp_path,
            timeout=60,
        )
        calls = [f for f in server.requests if f.get("action") == "cancel"]
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute("SELECT order_id, result FROM cancels").fetchall()
    return done, rows, len(calls)


def test_two_ctrl_cs_as_a_busy_answer_is_recorded_leave_the_order_not_sent(tmp_path):
    # The panel said it was busy: nothing canceled, nothing stored. The second
    # Ctrl-C then stored the order as Unknown, "check the panel".
    done, rows, calls = _cancel(tmp_path, json_reply({"error": "Too many requests"}))
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.startswith("#81  not sent: panel busy: Too many requests"), done.stdout
    assert "unknown" not in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "smm-tracker: interrupted: 1 order not sent"
    assert (rows, calls) == ([], 1)


def test_two_ctrl_cs_as_a_lost_answer_is_recorded_record_it_once(tmp_path):
    # The answer was lost (a 502 after sending): the order is Unknown, once;
    # the second Ctrl-C recorded it a second time.
    done, rows, calls = _cancel(tmp_path, json_reply({"error": "Bad gateway"}, status=502))
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.count("#81  unknown:") == 1, done.stdout
    assert (rows, calls) == ([(81, "Unknown")], 1)


def test_two_ctrl_cs_once_every_order_was_sent_say_what_came_of_them(tmp_path):
    # Nothing was left to send: the last line said "interrupted: 0 orders not sent".
    done, rows, calls = _cancel(tmp_path, json_reply({"error": "Bad gateway"}, status=502))
    assert done.returncode == 130, done.stderr
    last = done.stderr.splitlines()[-1]
    assert last == "smm-tracker: interrupted once every order was sent: 1 order unknown", last
    assert (rows, calls) == ([(81, "Unknown")], 1)
