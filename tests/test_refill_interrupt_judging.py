"""Ctrl-Cs while `refill ID` judges a refusal (it asks `balance` whether the
key or the order was refused): the refill row ends settled, Refused.

A second Ctrl-C (or a SIGTERM) while that `balance` question was on the
wire raised at once: "the refill request may have reached the panel", exit
130, the row left Requesting (later Unknown): a refill that never was, held
by the cooldown. The panel's answer was in hand, a refusal: nothing was
refilled. The real CLI, a scripted panel on loopback; the signals come from
the process itself as the question leaves, with no timing."""

from __future__ import annotations

import signal
import sqlite3
import subprocess

import pytest
from answered_cli import run_python
from hostile import HostileServer, json_reply
from simconfig import sim_config

KEY = "hostile-key-RefillJudge57"
# The real CLI, the signals in $SIGNALS sent to itself as the `balance`
# question (the refusal's judge) is on the wire.
SIGNALS_AS_JUDGED = """
import os
from tracker.panel.transport import Transport
fetch = Transport._fetch
def interrupted(self, action, *args, **kwargs):
    if action == "balance":
        for number in os.environ["SIGNALS"].split():
            os.kill(os.getpid(), int(number))
    return fetch(self, action, *args, **kwargs)
Transport._fetch = interrupted
from tracker.cli.main import main
main(prog_name="smm-tracker")
"""
ADD = ["add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100"]


def _respond(form: dict[str, str]):
    if form.get("action") == "add":
        return json_reply({"order": 81})
    if form.get("action") == "refill":
        return json_reply({"error": "Service is disabled"})
    if form.get("action") == "balance":
        return json_reply({"balance": "10.00", "currency": "USD"})
    return json_reply({"error": "Incorrect request"})


def _refill(tmp_path, signals: str) -> tuple[subprocess.CompletedProcess[str], list, list]:
    with HostileServer(_respond) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        placed = run_python(tmp_path, KEY, "-m", "tracker", *ADD)
        assert (placed.returncode, placed.stdout) == (0, "81\n"), placed.stderr
        done = run_python(tmp_path, KEY, "-c", SIGNALS_AS_JUDGED, "refill", "81", SIGNALS=signals)
        actions = [f.get("action") for f in server.requests[1:]]
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute("SELECT order_id, refill_id, status, error FROM refills").fetchall()
    assert "Traceback" not in done.stderr, done.stderr
    return done, actions, rows


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM])
def test_a_second_stop_as_a_refill_refusal_is_judged_stores_the_refusal(tmp_path, second):
    done, actions, rows = _refill(tmp_path, f"{int(signal.SIGINT)} {int(second)}")
    assert done.returncode == 1, done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("smm-tracker:")]
    assert said == ["smm-tracker: order 81: the panel refused the refill: Service is disabled"]
    assert "may have reached the panel" not in done.stderr
    assert actions.count("refill") == 1  # never resent
    assert rows == [(81, None, "Refused", "Service is disabled")]  # settled, nothing refilled


def test_one_stop_as_a_refill_refusal_is_judged_stores_the_refusal_and_says_no_wait(tmp_path):
    # It said "waiting for the panel's answer to the refill request just
    # sent", an answer in hand already.
    done, actions, rows = _refill(tmp_path, str(int(signal.SIGINT)))
    assert done.returncode == 1, done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("smm-tracker:")]
    assert said == ["smm-tracker: order 81: the panel refused the refill: Service is disabled"]
    assert rows == [(81, None, "Refused", "Service is disabled")]
