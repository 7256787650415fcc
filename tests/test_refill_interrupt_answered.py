"""`refill ID` ended after the panel answered: its refill ID is recorded, or
the one line it ends with names it and what to do.

A second Ctrl-C (or a SIGTERM) once the answer was in hand, before the
client returned it, raised at once: "the refill request may have reached
the panel", exit 130, the row left Requesting (later Unknown, no refill
ID): the refill the panel accepted never followed, and asked again by the
next automatic pass once the cooldown was over. A failure storing the
answer ended in a traceback or the store's words, the refill ID in none.
The real CLI, a scripted panel on loopback; the signals come from the
process itself at the one moment asked for, with no timing."""

from __future__ import annotations

import signal
import sqlite3
import subprocess

import pytest
from answered_cli import answered_cli, run_answered
from hostile import HostileServer, json_reply
from simconfig import sim_config

KEY = "hostile-key-RefillAnswer31"
# The real CLI, the panel's answer to the refill parsed after the signals in
# $SIGNALS sent to itself, or the transaction storing it failing with $FAIL.
PATCHED = answered_cli(
    "tracker.panel.parse_refills:parse_refill_single", "tracker.store.refills:not_before"
)
ADD = ["add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100"]


def _run(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_answered(PATCHED, tmp_path, KEY, *args, **env)


def _respond(form: dict[str, str]):
    if form.get("action") == "add":
        return json_reply({"order": 81})
    if form.get("action") == "refill":
        return json_reply({"refill": 501})
    return json_reply({"error": "Incorrect request"})


def _refill(tmp_path, **env: str):
    with HostileServer(_respond) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        placed = _run(tmp_path, *ADD)
        assert (placed.returncode, placed.stdout) == (0, "81\n"), placed.stderr
        done = _run(tmp_path, "refill", "81", **env)
        sent = [f for f in server.requests if f.get("action") == "refill"]
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute("SELECT order_id, refill_id, status FROM refills").fetchall()
    assert "Traceback" not in done.stderr, done.stderr
    assert len(sent) == 1
    return done, rows


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM])
def test_a_second_stop_once_the_refill_is_answered_still_records_its_id(tmp_path, second):
    done, rows = _refill(tmp_path, SIGNALS=f"{int(signal.SIGINT)} {int(second)}")
    assert (done.returncode, done.stdout) == (0, "refill 501 requested for order 81 on sim\n")
    assert "may have reached the panel" not in done.stderr, done.stderr
    assert rows == [(81, "501", "Pending")]


@pytest.mark.parametrize(
    ("failure", "code", "said"),
    [
        ("interrupt", 130, "interrupted: "),
        ("oserror", 1, "No space left on device"),
        ("full", 1, "disk full while writing"),
    ],
)
def test_a_refill_answered_but_not_recorded_is_named(tmp_path, failure, code, said):
    done, rows = _refill(tmp_path, FAIL=failure)
    assert (done.returncode, done.stdout) == (code, ""), done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("smm-tracker:")]
    assert len(lines) == 1, done.stderr
    assert said in lines[0]
    assert "order 81: the panel accepted the refill request (refill 501)" in lines[0], lines
    assert "not recorded" in lines[0] and "check refill 501 on the panel" in lines[0], lines
    assert rows == [(81, None, "Requesting")]  # counted as sent: not resent inside the cooldown
