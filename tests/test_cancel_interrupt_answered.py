"""`cancel` ended after the panel answered a call: what it answered is
recorded, or the one line it ends with names it and what to do.

A second Ctrl-C (or a SIGTERM) once the answer was in hand, before the
client returned it, raised at once: the orders stored Unknown, "interrupted
before the panel's answer came - check the panel", exit 130, though the
panel had accepted every cancel. A failure storing the answers ended in a
traceback or the store's words: which cancels the panel accepted, said
nowhere. The real CLI, a scripted panel on loopback; the signals come from
the process itself at the one moment asked for, with no timing."""

from __future__ import annotations

import signal
import sqlite3

import pytest
from answered_cli import answered_cli, run_answered
from hostile import HostileServer, json_reply
from simconfig import sim_config

KEY = "hostile-key-CancelAnswer31"
# The real CLI, the panel's answer to the cancel parsed after the signals in
# $SIGNALS sent to itself, or the transaction storing it failing with $FAIL.
PATCHED = answered_cli(
    "tracker.panel.parse_cancels:parse_cancel",
    "tracker.cli.cancel:record_cancels",
    in_transaction=True,
)


def _respond(form: dict[str, str]):
    if form.get("action") == "cancel":
        answers = {"81": 1, "82": {"error": "Incorrect order ID"}}
        ids = form.get("orders", "").split(",")
        return json_reply([{"order": int(i), "cancel": answers.get(i, 1)} for i in ids])
    return json_reply({"error": "Incorrect request"})


def _cancel(tmp_path, *ids: str, **env: str):
    with HostileServer(_respond) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        done = run_answered(PATCHED, tmp_path, KEY, "cancel", "--yes", *ids, **env)
        calls = [f for f in server.requests if f.get("action") == "cancel"]
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute("SELECT order_id, result FROM cancels ORDER BY order_id").fetchall()
    assert "Traceback" not in done.stderr, done.stderr
    assert len(calls) == 1
    return done, rows


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM])
def test_a_second_stop_once_the_cancel_is_answered_still_records_it(tmp_path, second):
    done, rows = _cancel(tmp_path, "81", SIGNALS=f"{int(signal.SIGINT)} {int(second)}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("#81  canceled (the panel accepted;"), done.stdout
    assert "unknown" not in done.stdout and "interrupted" not in done.stderr, done.stderr
    assert rows == [(81, "Accepted")]


@pytest.mark.parametrize(
    ("failure", "code", "said"),
    [
        ("interrupt", 130, "interrupted: "),
        ("oserror", 1, "No space left on device"),
        ("full", 1, "disk full while writing"),
    ],
)
def test_cancels_answered_but_not_recorded_are_named(tmp_path, failure, code, said):
    done, rows = _cancel(tmp_path, "81", "82", FAIL=failure)
    assert done.returncode == code, done.stderr
    # What the panel answered, each order's line: stdout is no record.
    assert done.stdout.splitlines() == [
        "#81  canceled (the panel accepted; not recorded)",
        "#82  refused: Incorrect order ID",
    ]
    lines = [line for line in done.stderr.splitlines() if line.startswith("smm-tracker:")]
    assert len(lines) == 1, done.stderr
    assert said in lines[0]
    assert "the panel accepted the cancel of order 81: do not cancel it again" in lines[0], lines
    assert "not recorded" in lines[0] and "it refused order 82" in lines[0], lines
    assert rows == []
