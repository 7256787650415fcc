"""`add` ended after the panel answered its order's ID: the order is tracked,
or the one line it ends with names the ID and the command that tracks it.

A second Ctrl-C (or a SIGTERM) once the answer was in hand, before the
client returned its ID, raised at once: "interrupted before its answer
came", exit 130, the order placed and paid for neither tracked nor named.
An error other than the store's while the order was being tracked ended
in a traceback, the ID in none of its lines (the store's own, a full disk,
named it already). The real CLI, a scripted
panel on loopback; the signals come from the process itself at the one
moment asked for, with no timing."""

from __future__ import annotations

import signal
import sqlite3
import subprocess

import pytest
from answered_cli import answered_cli, run_answered
from hostile import HostileServer, json_reply
from simconfig import sim_config

KEY = "hostile-key-AnsweredIntr4"
ADD = ["add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100"]
# The real CLI, its panel's answer to the add parsed after the signals in
# $SIGNALS sent to itself (a first Ctrl-C while it waited, then more), or its
# tracking transaction failing with $FAIL (held_elsewhere: its first read).
PATCHED = answered_cli("tracker.panel.parse:parse_add", "tracker.store.tracking:held_elsewhere")


def _run(tmp_path, *args, **env: str) -> subprocess.CompletedProcess[str]:
    return run_answered(PATCHED, tmp_path, KEY, *args, **env)


def _respond(form: dict[str, str]):
    if form.get("action") == "add":
        return json_reply({"order": 78})
    return json_reply({"error": "Incorrect request"})


def _stored(tmp_path):
    with sqlite3.connect(tmp_path / "t.db") as db:
        keys = db.execute("SELECT status, order_id, error FROM idempotency_keys").fetchall()
        tracked = db.execute("SELECT order_id FROM orders").fetchall()
    return keys, tracked


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM])
def test_a_second_stop_once_the_answer_is_in_hand_still_tracks_the_order(tmp_path, second):
    with HostileServer(_respond) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        signals = f"{int(signal.SIGINT)} {int(second)}"
        done = _run(tmp_path, *ADD, "--idempotency-key", "row-1", SIGNALS=signals)
        adds = [f for f in server.requests if f.get("action") == "add"]
    assert (done.returncode, done.stdout) == (0, "78\n"), done.stderr
    assert "the order was placed before the stop, and is tracked" in done.stderr
    assert "interrupted" not in done.stderr
    assert _stored(tmp_path) == ([("Placed", 78, None)], [(78,)])
    assert len(adds) == 1


@pytest.mark.parametrize(
    ("failure", "code", "said"),
    [
        ("interrupt", 130, "interrupted: "),
        ("oserror", 1, "No space left on device"),
        ("full", 1, "disk full while writing"),
    ],
)
def test_an_order_answered_but_not_tracked_is_named_with_the_command(tmp_path, failure, code, said):
    with HostileServer(_respond) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        keyed = _run(tmp_path, *ADD, "--idempotency-key", "row 1", FAIL=failure)
        bare = _run(tmp_path, *ADD, FAIL=failure)
        again = _run(tmp_path, *ADD, "--idempotency-key", "row 1")  # the script's re-run
        adds = [f for f in server.requests if f.get("action") == "add"]
    for done in (keyed, bare):
        assert (done.returncode, done.stdout) == (code, ""), done.stderr
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
        assert "order 78 was placed but not recorded" in lines[0] and said in lines[0]
    assert "run: smm-tracker track --panel sim --idempotency-key 'row 1' 78" in keyed.stderr
    assert bare.stderr.rstrip().endswith("run: smm-tracker track --panel sim 78")
    keys, tracked = _stored(tmp_path)
    assert tracked == [] and [k[:2] for k in keys] == [("Unknown", None)]
    assert "placed order 78, not recorded" in keys[0][2]
    # Run again under the key: nothing sent, the order and the command named.
    assert again.returncode == 1 and again.stdout == ""
    assert "placed order 78, not recorded" in again.stderr
    assert "smm-tracker track --panel sim --idempotency-key 'row 1' 78" in again.stderr
    assert len(adds) == 2
