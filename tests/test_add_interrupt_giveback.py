"""Ctrl-Cs while `add --idempotency-key` gives back the key it claimed but
never sent under: the give-back is one step with the claim, the key gone and
the command's "no order placed" true.

A stop as the key is claimed has it given back (nothing sent). The give-back
ran after the shield had ended: one more Ctrl-C during it raised
KeyboardInterrupt inside it, the key stayed Sending, and the same add run
again said "may still be waiting for its answer", then "outcome unknown:
check the panel", for an order never sent. The Ctrl-Cs come from the process
itself, as the claim is committed and as its give-back begins: the moments
asked for, with no timing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from hostile import HostileServer, json_reply
from simconfig import SOURCE, sim_config

KEY = "hostile-key-AddGiveBack28"
# The real CLI: AT_CLAIM Ctrl-Cs (SIGINT) to itself once its key's claim is
# committed, and one more as the key is given back.
CTRL_C_AT_GIVE_BACK = """
import os, signal
from tracker.store import idempotency
claim = idempotency.claim
release = idempotency.release
def claimed(*args, **kwargs):
    earlier = claim(*args, **kwargs)
    for _ in range(AT_CLAIM):
        os.kill(os.getpid(), signal.SIGINT)
    return earlier
def given_back(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)
    return release(*args, **kwargs)
idempotency.claim = claimed
idempotency.release = given_back
from tracker.cli.main import main
main(prog_name="smm-tracker")
"""
ADD = ["add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100"]


def _run(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args, *ADD, "--idempotency-key", "row-1"],
        capture_output=True,
        text=True,
        env={**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE},
        cwd=tmp_path,
        timeout=60,
    )


def _respond(form: dict[str, str]):
    if form.get("action") == "add":
        return json_reply({"order": 83})
    return json_reply({"error": "Incorrect request"})


# 1 at the claim, a second at the give-back; 2 at the claim, a third there.
@pytest.mark.parametrize("at_claim", [1, 2])
def test_a_ctrl_c_during_the_give_back_leaves_no_key(tmp_path, at_claim):
    with HostileServer(_respond) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        script = CTRL_C_AT_GIVE_BACK.replace("AT_CLAIM", str(at_claim))
        done = _run(tmp_path, "-c", script)
        with sqlite3.connect(tmp_path / "t.db") as db:
            keys = db.execute("SELECT status FROM idempotency_keys").fetchall()
        sent = [f for f in server.requests if f.get("action") == "add"]
        # The same add run again: sent as a first add, the order placed.
        again = _run(tmp_path, "-m", "tracker")
        sent_again = [f for f in server.requests if f.get("action") == "add"]
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "smm-tracker: interrupted: sim: add: no order placed; idempotency key 'row-1' given back: "
        "the same key may be used again"
    ), done.stderr
    assert "outcome unknown" not in done.stderr and "Traceback" not in done.stderr
    assert (keys, sent, done.stdout) == ([], [], "")  # was [('Sending',)]
    assert (again.returncode, again.stdout) == (0, "83\n"), again.stderr
    assert len(sent_again) == 1
