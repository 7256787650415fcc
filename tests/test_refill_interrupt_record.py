"""Ctrl-Cs as `refill ID` records its request, before anything is sent: the
record is given back and the command says the refill was not sent.

The request is committed to ``refills`` before it is sent (a crash never
sends twice). A second Ctrl-C inside that write raised KeyboardInterrupt
with the row committed: `refill` said "the refill request may have reached
the panel; recorded as sent, so it is not resent inside the cooldown", and
the same `refill` run again was refused inside the cooldown, for a request
that never left. The Ctrl-Cs come from the process itself, as the record is
committed: the one moment asked for, with no timing."""

from __future__ import annotations

import sqlite3
import subprocess

from answered_cli import run_python
from hostile import HostileServer, json_reply
from simconfig import sim_config

KEY = "hostile-key-RefillIntr22"
# The real CLI, two Ctrl-Cs (SIGINT) to itself once the request's row is committed.
CTRL_C_AT_RECORD = """
import os, signal
from tracker.jobs import refill_requests
begin = refill_requests.begin_requests
def interrupted(*args, **kwargs):
    rows = begin(*args, **kwargs)
    for _ in range(TIMES):
        os.kill(os.getpid(), signal.SIGINT)
    return rows
refill_requests.begin_requests = interrupted
from tracker.cli.main import main
main(prog_name="smm-tracker")
"""


def _run(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_python(tmp_path, KEY, *args)


def _respond(form: dict[str, str]):
    if form.get("action") == "add":
        return json_reply({"order": 81})
    if form.get("action") == "refill":
        return json_reply({"refill": 501})
    return json_reply({"error": "Incorrect request"})


def _interrupted_refill(tmp_path, times: int):
    with HostileServer(_respond) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        add = ["add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100"]
        placed = _run(tmp_path, "-m", "tracker", *add)
        assert (placed.returncode, placed.stdout) == (0, "81\n"), placed.stderr
        script = CTRL_C_AT_RECORD.replace("TIMES", str(times))
        done = _run(tmp_path, "-c", script, "refill", "81")
        with sqlite3.connect(tmp_path / "t.db") as db:
            rows = db.execute("SELECT status FROM refills").fetchall()
        sent = [f for f in server.requests if f.get("action") == "refill"]
        # The same refill run again: sent at once, not held by a cooldown.
        again = _run(tmp_path, "-m", "tracker", "refill", "81")
        sent_again = [f for f in server.requests if f.get("action") == "refill"]
    return done, rows, sent, again, sent_again


def test_two_ctrl_cs_as_the_refill_is_recorded_give_the_record_back(tmp_path):
    done, rows, sent, again, sent_again = _interrupted_refill(tmp_path, 2)
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "smm-tracker: interrupted: order 81: refill not sent, nothing recorded"
    ), done.stderr
    assert "may have reached the panel" not in done.stderr and "Traceback" not in done.stderr
    assert (rows, sent, done.stdout) == ([], [], "")
    assert (again.returncode, again.stdout) == (0, "refill 501 requested for order 81 on sim\n")
    assert len(sent_again) == 1  # once, not twice


def test_a_ctrl_c_as_the_refill_is_recorded_sends_nothing_and_says_so(tmp_path):
    # One Ctrl-C: nothing was on the wire, yet it said "waiting for the
    # panel's answer to the refill request just sent".
    done, rows, sent, again, sent_again = _interrupted_refill(tmp_path, 1)
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "smm-tracker: interrupted: order 81: refill not sent, nothing recorded"
    ), done.stderr
    assert "waiting for the panel's answer" not in done.stderr
    assert (rows, sent, done.stdout) == ([], [], "")
    assert (again.returncode, again.stdout) == (0, "refill 501 requested for order 81 on sim\n")


# The real CLI, a Ctrl-C to itself in the moment before the request is
# recorded (the refill job reading what it holds of the panel's refill).
CTRL_C_BEFORE_RECORD = """
import os, signal
from tracker.jobs import refill_requests
read = refill_requests.refused_before
def interrupted(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)
    return read(*args, **kwargs)
refill_requests.refused_before = interrupted
from tracker.cli.main import main
main(prog_name="smm-tracker")
"""


def test_a_ctrl_c_before_the_refill_is_recorded_says_nothing_was_sent(tmp_path):
    # It said "waiting for the panel's answer to the refill request just
    # sent", though nothing was sent, nor recorded yet.
    with HostileServer(_respond) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        add = ["add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100"]
        placed = _run(tmp_path, "-m", "tracker", *add)
        assert (placed.returncode, placed.stdout) == (0, "81\n"), placed.stderr
        done = _run(tmp_path, "-c", CTRL_C_BEFORE_RECORD, "refill", "81")
        sent = [f for f in server.requests if f.get("action") == "refill"]
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute("SELECT status FROM refills").fetchall()
    assert done.returncode == 130, done.stderr
    assert "waiting for the panel's answer" not in done.stderr, done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("smm-tracker:")]
    assert said == ["smm-tracker: interrupted: order 81: refill not sent, nothing recorded"], said
    assert "unsent=0" in done.stderr and "Traceback" not in done.stderr  # nothing written
    assert (rows, sent, done.stdout) == ([], [], "")
