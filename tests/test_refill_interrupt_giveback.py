"""Ctrl-Cs while `refill ID` gives back the request it recorded but never
sent: the give-back is one step with the record, the row deleted and the
command's "nothing recorded" true.

A stop as the request is recorded has it given back (deleted: never sent).
One more Ctrl-C during that delete raised KeyboardInterrupt inside it: the
row stayed Requesting while `refill` said "refill not sent, nothing
recorded", and the daemon's next start closed it as Unknown, a refill the
panel never heard of. The Ctrl-Cs come from the process itself, as the
record is committed and as its give-back begins: the moments asked for, with
no timing."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest
from answered_cli import run_python
from hostile import HostileServer, json_reply
from simconfig import sim_config

KEY = "hostile-key-RefillBack27"
# The real CLI: AT_RECORD Ctrl-Cs (SIGINT) to itself once the request's row
# is committed, and one more as the row is given back.
CTRL_C_AT_GIVE_BACK = """
import os, signal
from tracker.jobs import refill_outcomes, refill_requests
begin = refill_requests.begin_requests
forget = refill_outcomes.forget_unsent
def recorded(*args, **kwargs):
    rows = begin(*args, **kwargs)
    for _ in range(AT_RECORD):
        os.kill(os.getpid(), signal.SIGINT)
    return rows
def given_back(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)
    return forget(*args, **kwargs)
refill_requests.begin_requests = recorded
refill_outcomes.forget_unsent = given_back
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


# 2 at the record, a third at the give-back (the record's step raised); 1 at
# the record, a second at the give-back (the stop ended the request).
@pytest.mark.parametrize("at_record", [2, 1])
def test_a_ctrl_c_during_the_give_back_leaves_no_row(tmp_path, at_record):
    with HostileServer(_respond) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        add = ["add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100"]
        placed = _run(tmp_path, "-m", "tracker", *add)
        assert (placed.returncode, placed.stdout) == (0, "81\n"), placed.stderr
        script = CTRL_C_AT_GIVE_BACK.replace("AT_RECORD", str(at_record))
        done = _run(tmp_path, "-c", script, "refill", "81")
        with sqlite3.connect(tmp_path / "t.db") as db:
            rows = db.execute("SELECT status FROM refills").fetchall()
        sent = [f for f in server.requests if f.get("action") == "refill"]
        again = _run(tmp_path, "-m", "tracker", "refill", "81")
        sent_again = [f for f in server.requests if f.get("action") == "refill"]
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "smm-tracker: interrupted: order 81: refill not sent, nothing recorded"
    ), done.stderr
    assert "Traceback" not in done.stderr
    assert (rows, sent, done.stdout) == ([], [], "")  # was [('Requesting',)]
    # The same refill run again: sent at once, neither held by a cooldown nor
    # by a request "open" that never left.
    assert (again.returncode, again.stdout) == (0, "refill 501 requested for order 81 on sim\n")
    assert len(sent_again) == 1
