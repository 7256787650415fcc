"""Two Ctrl-Cs once the panel refused a `cancel` call as a whole, while the
tracker judges what the refusal means (a witness call: the key's refusal,
the panel failing, or this call's?): the orders were answered, not lost.

They stayed "on the wire" until the judged outcome was recorded: the second
Ctrl-C stored them `Unknown`, "interrupted before the panel's answer came -
check the panel", though the panel had answered, refusing: nothing was
canceled. An order stored Unknown is, moreover, never cancelled by the
automation's stale Pending rule. The Ctrl-Cs come from the process itself,
as the judging begins: the one moment asked for, with no timing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from hostile import HostileServer, json_reply
from simconfig import SOURCE, sim_config

KEY = "hostile-key-CancelJudge27"
# The real CLI, two Ctrl-Cs (SIGINT) to itself as a whole-call refusal is judged.
TWICE_AS_JUDGED = """
import os, signal
from tracker.panel.client import PanelClient
judge = PanelClient.refusal
def interrupted(self, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)
    os.kill(os.getpid(), signal.SIGINT)
    return judge(self, *args, **kwargs)
PanelClient.refusal = interrupted
from tracker.cli.main import main
main(prog_name="smm-tracker")
"""


def _respond(form: dict[str, str]):
    if form.get("action") == "cancel":
        return json_reply({"error": "Incorrect order ID"})
    if form.get("action") == "balance":
        return json_reply({"balance": "10.00", "currency": "USD"})
    return json_reply({"error": "Incorrect request"})


def _cancel(tmp_path, ids: list[str]):
    with HostileServer(_respond) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        done = subprocess.run(
            [sys.executable, "-c", TWICE_AS_JUDGED, "cancel", "--yes", *ids],
            capture_output=True,
            text=True,
            env={**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE},
            cwd=tmp_path,
            timeout=60,
        )
        calls = [f for f in server.requests if f.get("action") == "cancel"]
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute("SELECT order_id, result FROM cancels").fetchall()
    return done, calls, rows


@pytest.mark.parametrize("ids", [["81"], ["81", "82"]])
def test_two_ctrl_cs_as_a_refusal_is_judged_store_nothing_unknown(tmp_path, ids):
    done, calls, rows = _cancel(tmp_path, ids)
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    assert rows == []  # was [(81, 'Unknown'), ...]: "check the panel"
    assert "unknown" not in done.stdout, done.stdout
    for order_id in ids:  # the panel's answer, nothing canceled
        assert f"#{order_id}  not canceled: Incorrect order ID" in done.stdout, done.stdout
    assert len(calls) == 1  # nothing more sent after the stop


@pytest.mark.parametrize("ids", [["81"], ["81", "82"]])
def test_two_ctrl_cs_as_a_refusal_is_judged_say_it_was_not_judged(tmp_path, ids):
    # Each line ended "- try again later", advice for a busy panel, not for
    # a refusal; the last line said "interrupted: 0 orders not sent".
    done, calls, rows = _cancel(tmp_path, ids)
    assert done.stdout.splitlines() == [
        f"#{order_id}  not canceled: Incorrect order ID (not judged: interrupted)"
        for order_id in ids
    ]
    orders = "1 order" if ids[1:] == [] else f"{len(ids)} orders"
    assert done.stderr.splitlines()[-1] == f"smm-tracker: interrupted: {orders} not canceled"
