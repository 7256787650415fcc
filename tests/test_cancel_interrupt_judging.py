"""One Ctrl-C while `cancel` judges a call the panel refused as a whole (it
asks `balance` whether the key, the panel or the call was refused): the
words on stderr are true and the judgement does not fail for the Ctrl-C.

The Ctrl-C printed "waiting for the panel's answer to the cancels just
sent", though the answer was in, and ended the client's waits, so the
`balance` question was never sent and the orders read "not canceled:
<words> (and the panel failed a balance check)", a panel that had failed
nothing. Now the judgement goes on (its call bounded by its deadline as any
call) and the line says what is waited for; a Ctrl-C that came while the
cancel call was on the wire, ending the waits before the judging, says the
refusal was not judged. The Ctrl-Cs come from the process itself, at the
moments asked for, with no timing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from hostile import HostileServer, json_reply
from simconfig import SOURCE, sim_config

KEY = "hostile-key-CancelJudge28"
# The real CLI, one Ctrl-C (SIGINT) to itself as a whole-call refusal is judged.
ONCE_AS_JUDGED = """
import os, signal
from tracker.panel.client import PanelClient
judge = PanelClient.refusal
def interrupted(self, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)
    return judge(self, *args, **kwargs)
PanelClient.refusal = interrupted
from tracker.cli.main import main
main(prog_name="smm-tracker")
"""
# ... or as the refusal comes back, before it is judged.
ONCE_AS_REFUSED = """
import os, signal
from tracker.panel.client import PanelClient
send = PanelClient.cancel
def interrupted(self, *args, **kwargs):
    try:
        return send(self, *args, **kwargs)
    except Exception:
        os.kill(os.getpid(), signal.SIGINT)
        raise
PanelClient.cancel = interrupted
from tracker.cli.main import main
main(prog_name="smm-tracker")
"""
JUDGING = "smm-tracker: the panel refused the cancels just sent; checking what that means"
WAITING = "waiting for the panel's answer"


def _respond(form: dict[str, str]):
    if form.get("action") == "cancel":
        return json_reply({"error": "Incorrect order ID"})
    if form.get("action") == "balance":
        return json_reply({"balance": "10.00", "currency": "USD"})
    return json_reply({"error": "Incorrect request"})


def _cancel(tmp_path, script: str, ids: list[str]):
    with HostileServer(_respond) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        done = subprocess.run(
            [sys.executable, "-c", script, "cancel", "--yes", *ids],
            capture_output=True,
            text=True,
            env={**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE},
            cwd=tmp_path,
            timeout=60,
        )
        actions = [f.get("action") for f in server.requests]
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute("SELECT order_id, result FROM cancels").fetchall()
    assert "Traceback" not in done.stderr
    assert "failed a balance check" not in done.stdout, done.stdout  # it failed nothing
    return done, actions, rows


def test_a_ctrl_c_as_a_lone_order_s_refusal_is_judged_lets_the_judgement_end(tmp_path):
    done, actions, rows = _cancel(tmp_path, ONCE_AS_JUDGED, ["81"])
    assert JUDGING in done.stderr and WAITING not in done.stderr, done.stderr  # the answer is in
    assert "balance" in actions  # the question the Ctrl-C kept from being sent
    assert actions.count("cancel") == 1
    assert done.stdout == "#81  refused: Incorrect order ID\n"
    assert rows == [(81, "Refused")]
    assert done.returncode == 1


def test_a_ctrl_c_as_a_call_s_refusal_is_judged_sends_no_halves(tmp_path):
    done, actions, rows = _cancel(tmp_path, ONCE_AS_JUDGED, ["81", "82"])
    assert JUDGING in done.stderr and WAITING not in done.stderr, done.stderr
    assert actions.count("cancel") == 1  # judged the call's; its halves not sent for the stop
    for order_id in (81, 82):
        assert (
            f"#{order_id}  not canceled: Incorrect order ID (refused as one call; "
            "not sent again: stopping)"
        ) in done.stdout, done.stdout
    assert rows == []  # nothing canceled, nothing to store


@pytest.mark.parametrize("ids", [["81"], ["81", "82"]])
def test_a_ctrl_c_as_the_refusal_comes_says_it_was_not_judged(tmp_path, ids):
    done, actions, rows = _cancel(tmp_path, ONCE_AS_REFUSED, ids)
    assert actions == ["cancel"]  # the stop ended the waits: nothing more sent
    for order_id in ids:
        assert (
            f"#{order_id}  not canceled: Incorrect order ID (not judged: stopping)" in done.stdout
        ), done.stdout
    assert rows == []


def test_a_ctrl_c_that_kept_a_refused_call_s_halves_unsent_exits_interrupted(tmp_path):
    # The halves were not sent for the Ctrl-C: `cancel` exited 1, "2 of 2
    # cancels not accepted", as if no one had pressed it, and each line
    # ended "- try again later", advice for a busy panel, not a refusal.
    done, actions, rows = _cancel(tmp_path, ONCE_AS_JUDGED, ["81", "82"])
    assert done.stderr.splitlines()[-1] == "smm-tracker: interrupted: 2 orders not canceled"
    assert done.returncode == 130
    assert done.stdout.splitlines() == [
        f"#{order_id}  not canceled: Incorrect order ID (refused as one call; "
        "not sent again: stopping)"
        for order_id in (81, 82)
    ]
    assert (actions.count("cancel"), rows) == (1, [])


@pytest.mark.parametrize("ids", [["81"], ["81", "82"]])
def test_a_refusal_a_ctrl_c_left_unjudged_exits_interrupted(tmp_path, ids):
    # Exit 1, "N of N cancels not accepted", and "- try again later".
    done, actions, rows = _cancel(tmp_path, ONCE_AS_REFUSED, ids)
    orders = "1 order" if ids[1:] == [] else f"{len(ids)} orders"
    assert done.stderr.splitlines()[-1] == f"smm-tracker: interrupted: {orders} not canceled"
    assert done.returncode == 130
    assert done.stdout.splitlines() == [
        f"#{order_id}  not canceled: Incorrect order ID (not judged: stopping)" for order_id in ids
    ]


def test_a_ctrl_c_as_the_first_of_two_calls_is_judged_says_what_it_left(tmp_path):
    # 150 orders: the first call's 100 refused as one, the next 50 not sent.
    # The last line counted the 50 alone, and each of their lines ended
    # "- try again later", advice for a busy panel, not for a stop.
    ids = [str(order_id) for order_id in range(1001, 1151)]
    done, actions, rows = _cancel(tmp_path, ONCE_AS_JUDGED, ids)
    last = done.stderr.splitlines()[-1]
    assert last == "smm-tracker: interrupted: 100 orders not canceled, 50 not sent", last
    assert done.returncode == 130
    assert done.stdout.splitlines()[100:] == [
        f"#{order_id}  not sent: stopping" for order_id in ids[100:]
    ]
    assert (actions.count("cancel"), rows) == (1, [])
