"""A Ctrl-C while `add --idempotency-key` claims its key, before anything is
sent: the key is given back and the command says no order was placed.

The claim is committed before the order is sent; a Ctrl-C just after it
(the shield that waits for a sent order's answer is not up yet) left the
key Sending and said `interrupted: sim: add: outcome unknown — check the
panel before placing it again`: nothing had been sent, yet the same `add`
run again said the first "may still be waiting for its answer", then "its
outcome is unknown": the user sent to check the panel for an order never
sent. The Ctrl-C comes from the process itself, as the claim is committed:
the one moment asked for, with no timing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from hostile import HostileServer, json_reply
from simconfig import SOURCE, sim_config

KEY = "hostile-key-ClaimIntr12"
# The real CLI, a Ctrl-C (SIGINT) to itself once its key's claim is committed.
CTRL_C_AT_CLAIM = """
import os, signal
from tracker.store import idempotency
claim = idempotency.claim
def interrupted(*args, **kwargs):
    earlier = claim(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGINT)
    return earlier
idempotency.claim = interrupted
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


def test_a_ctrl_c_as_the_key_is_claimed_sends_nothing_and_gives_the_key_back(tmp_path):
    def respond(form: dict[str, str]):
        if form.get("action") == "add":
            return json_reply({"order": 78})
        return json_reply({"error": "Incorrect request"})

    with HostileServer(respond) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        done = _run(tmp_path, "-c", CTRL_C_AT_CLAIM)
        with sqlite3.connect(tmp_path / "t.db") as db:
            keys = db.execute("SELECT status FROM idempotency_keys").fetchall()
        sent = [f for f in server.requests if f.get("action") == "add"]
        # The same add run again: sent as a first add, the order placed.
        again = _run(tmp_path, "-m", "tracker")
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "smm-tracker: interrupted: sim: add: no order placed; idempotency key 'row-1' given back: "
        "the same key may be used again"
    ), done.stderr
    assert "outcome unknown" not in done.stderr and "Traceback" not in done.stderr
    assert (keys, sent, done.stdout) == ([], [], "")
    assert (again.returncode, again.stdout) == (0, "78\n"), again.stderr


# Two Ctrl-Cs as the claim is committed, before the add has it in hand.
TWICE_AT_CLAIM = CTRL_C_AT_CLAIM.replace(
    "    os.kill(os.getpid(), signal.SIGINT)\n",
    "    os.kill(os.getpid(), signal.SIGINT)\n    os.kill(os.getpid(), signal.SIGINT)\n",
)


def test_two_ctrl_cs_as_the_key_is_claimed_give_the_key_back(tmp_path):
    # The second raised KeyboardInterrupt inside the claim, its row committed
    # and the add not holding it: the key was left Sending for an order never
    # sent, and the same add run again said the first "may still be waiting".
    def respond(form: dict[str, str]):
        if form.get("action") == "add":
            return json_reply({"order": 79})
        return json_reply({"error": "Incorrect request"})

    with HostileServer(respond) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        done = _run(tmp_path, "-c", TWICE_AT_CLAIM)
        with sqlite3.connect(tmp_path / "t.db") as db:
            keys = db.execute("SELECT status FROM idempotency_keys").fetchall()
        sent = [f for f in server.requests if f.get("action") == "add"]
        again = _run(tmp_path, "-m", "tracker")
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "smm-tracker: interrupted: sim: add: no order placed; idempotency key 'row-1' given back: "
        "the same key may be used again"
    ), done.stderr
    assert "Traceback" not in done.stderr
    assert (keys, sent, done.stdout) == ([], [], "")
    assert (again.returncode, again.stdout) == (0, "79\n"), again.stderr
    assert [f.get("action") for f in server.requests].count("add") == 1  # once, not twice


def test_a_second_stop_signal_inside_a_whole_step_waits_for_its_end():
    import signal

    from tracker.cli.shield import Waits, shield

    waits = Waits()
    with shield("the order just sent", waits) as stop:
        handler = signal.getsignal(signal.SIGINT)
        assert callable(handler)
        done = []
        try:
            with waits.idle(), stop.whole():
                handler(signal.SIGINT, None)
                handler(signal.SIGINT, None)  # raised here, the step's result was lost
                done.append("claimed")
        except KeyboardInterrupt:
            interrupted = True
        else:
            interrupted = False
    assert (done, interrupted, stop.asked) == (["claimed"], True, 2)
