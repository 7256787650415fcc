"""An `add --idempotency-key` whose answer comes after the user settled its
key another way never overwrites that: the add suspended (Ctrl-Z, a stopped
VM, a laptop's lid) past the window in which it may still be running, the
user checked the panel and ran `track --idempotency-key KEY ID`, or `add
... --not-placed` (the key claimed again, a new add sent under it).

Before, the late answer settled or deleted the key by panel and key alone:
the order the user tracked was replaced by the late one's (or by "outcome
unknown"), and a late refusal deleted the new add's claim, so a third run
of the script sent the order again. Through the real CLI, in-process for
the slow add (its clock injected: its claim an hour old, as after an hour
suspended) and in a process of its own for the user's command, run by the
scripted panel on loopback while it holds the slow add's answer."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import timedelta

import pytest
from hostile import HostileServer, Reply, json_reply, text_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import SOURCE, cli_in, sim_config

import tracker.cli.track as track_command
from tracker.clock import iso, utcnow

KEY = "hostile-key-LateAnswer5521"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
KEYED = [*ADD, "--idempotency-key", "row-17"]
LOST = text_reply("<html>502 Bad Gateway</html>", status=502)  # taken, answer lost
REFUSED = json_reply({"error": "Not enough funds on balance"})  # nothing placed

pytestmark = pytest.mark.usefixtures("fresh_logs")


@pytest.fixture
def late(tmp_path, monkeypatch):
    """Return run(user_args, first_reply, later_replies): run the add under
    key row-17 in-process, its claim stamped an hour ago; the panel, given
    that add, first runs ``smm-tracker USER_ARGS`` as a process of its own,
    then answers ``first_reply``; the adds after it get ``later_replies`` in
    turn. run returns (the slow add's result, the user's process, cli)."""
    adds: list[dict[str, str]] = []
    script: dict[str, object] = {}

    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") != "add":
            return json_reply({"error": "Incorrect request"})
        adds.append(form)
        if len(adds) > 1:
            return script["later"].pop(0)  # type: ignore[attr-defined]
        script["user"] = _process(tmp_path, script["args"])  # type: ignore[arg-type]
        return script["first"]  # type: ignore[return-value]

    server = HostileServer(respond).start()
    config = sim_config(server.url, panel='timeout = "90s"\nretries = 0', json_logs=True)
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    an_hour_ago = utcnow() - timedelta(hours=1)
    monkeypatch.setattr("tracker.cli.idempotent.utcnow", lambda: an_hour_ago)

    def run(user: list[str], first: Reply, later: list[Reply]) -> tuple:
        script.update(args=user, first=first, later=list(later))
        return cli(*KEYED), script["user"], cli

    run.adds = adds  # type: ignore[attr-defined]
    run.claimed = iso(an_hour_ago)  # type: ignore[attr-defined]
    yield run
    server.stop()


def _keys(tmp_path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return db.execute(
            "SELECT idempotency_key, status, order_id FROM idempotency_keys"
        ).fetchall()


def _tracked(tmp_path) -> list[int]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return [row[0] for row in db.execute("SELECT order_id FROM orders ORDER BY order_id")]


TRACKED_4501 = ["track", "--panel", "sim", "--idempotency-key", "row-17", "4501"]


def test_a_late_order_leaves_the_key_to_the_order_tracked_and_is_tracked_too(late, tmp_path):
    slow, user, cli = late(TRACKED_4501, json_reply({"order": 4502}), [])
    assert user.returncode == 0 and "settled: placed as order 4501" in user.stdout, user.stderr
    assert _keys(tmp_path) == [("row-17", "Placed", 4501)]  # the user's, kept
    assert _tracked(tmp_path) == [4501, 4502]  # the late order never out of sight
    again = cli(*KEYED)  # the script's re-run: the order the user settled
    assert (again.exit_code, again.stdout) == (0, "4501\n")
    assert len(late.adds) == 1
    assert (slow.exit_code, slow.stdout) == (1, "")  # not the key's order: no ID to read
    assert _told(slow) == [
        "smm-tracker: the panel placed order 4502 for the add under idempotency key 'row-17' "
        f"begun at {late.claimed}, but the key was settled meanwhile (placed as order 4501) "
        "and is left as it is; order 4502 is tracked: check the panel, it may be a second "
        "order (`smm-tracker cancel --panel sim 4502` while it is Pending)"
    ]
    assert '"event": "idempotency_claim_gone"' in slow.stderr and KEY not in slow.stderr


def test_a_late_outcome_unknown_leaves_the_key_to_the_order_tracked(late, tmp_path):
    slow, user, cli = late(TRACKED_4501, LOST, [])
    assert user.returncode == 0, user.stderr
    assert _keys(tmp_path) == [("row-17", "Placed", 4501)]
    again = cli(*KEYED)
    assert (again.exit_code, again.stdout) == (0, "4501\n")
    assert len(late.adds) == 1
    assert slow.exit_code == 1 and slow.stdout == ""
    (told,) = _told(slow)
    assert told.startswith("smm-tracker: sim: add: outcome unknown")
    assert told.endswith(
        "; idempotency key 'row-17' was settled meanwhile (placed as order 4501), left as it is"
    )


def test_a_late_answer_naming_the_order_the_user_tracked_prints_it(late, tmp_path):
    slow, user, _ = late(TRACKED_4501, json_reply({"order": 4501}), [])
    assert user.returncode == 0, user.stderr
    assert _keys(tmp_path) == [("row-17", "Placed", 4501)]
    assert _tracked(tmp_path) == [4501]
    assert (slow.exit_code, slow.stdout) == (0, "4501\n"), slow.stderr  # as a re-run prints
    assert "was settled meanwhile as order 4501, the order the panel placed" in slow.stderr


NOT_PLACED = [*KEYED, "--not-placed"]


def test_a_late_refusal_never_frees_the_key_another_add_placed_under(late, tmp_path):
    slow, user, cli = late(NOT_PLACED, REFUSED, [json_reply({"order": 4502})])
    assert (user.returncode, user.stdout) == (0, "4502\n"), user.stderr
    assert "released as not placed, as you said" in user.stderr
    assert _keys(tmp_path) == [("row-17", "Placed", 4502)]  # the new add's, kept
    third = cli(*KEYED)  # the script's re-run: never a third order
    assert (third.exit_code, third.stdout) == (0, "4502\n")
    assert len(late.adds) == 2
    assert slow.exit_code == 1 and slow.stdout == ""
    (told,) = _told(slow)
    assert told.startswith("smm-tracker: sim: add: Not enough funds on balance")
    assert told.endswith(
        "; idempotency key 'row-17' was settled meanwhile (placed as order 4502), left as it is"
    )
    assert '"event": "idempotency_key_released"' not in slow.stderr


def test_a_late_order_leaves_the_outcome_of_the_add_sent_since_to_it(late, tmp_path):
    # The new add's answer lost in turn: the key's Unknown is its own.
    slow, user, cli = late(NOT_PLACED, json_reply({"order": 4503}), [LOST])
    assert user.returncode == 1 and "outcome unknown" in user.stderr
    assert _keys(tmp_path) == [("row-17", "Unknown", None)]  # the new add's outcome
    assert _tracked(tmp_path) == [4503]
    assert len(late.adds) == 2
    assert slow.exit_code == 1 and slow.stdout == ""
    (told,) = _told(slow)
    assert "the panel placed order 4503 for the add under idempotency key 'row-17'" in told
    assert "settled meanwhile (claimed again at 20" in told
    assert "by another add, its outcome unknown)" in told


def test_track_leaves_the_key_to_an_add_sent_after_it_checked(late, tmp_path, monkeypatch):
    # `track --idempotency-key row-17 4501` checks the add it settles, then
    # tracks 4501; `add --not-placed` claims the key again in between, and
    # its answer is lost too: the key's outcome is that new add's.
    slow, _, cli = late(["orders"], LOST, [LOST])
    assert slow.exit_code == 1 and _keys(tmp_path) == [("row-17", "Unknown", None)]

    def track_orders(*args, **kwargs):
        sent = _process(tmp_path, NOT_PLACED)
        assert sent.returncode == 1 and "outcome unknown" in sent.stderr, sent.stderr
        return tracked(*args, **kwargs)

    tracked = track_command.track_orders
    monkeypatch.setattr(track_command, "track_orders", track_orders)
    found = cli(*TRACKED_4501)
    assert _keys(tmp_path) == [("row-17", "Unknown", None)]  # not Placed 4501
    assert _tracked(tmp_path) == [4501]
    assert found.exit_code == 1 and "tracking 1 new order on sim" in found.stdout
    assert (
        "smm-tracker: order 4501 is tracked; idempotency key 'row-17' not settled: another "
        "add claimed it at 20"
    ) in found.stderr
    assert f"after the one begun at {late.claimed} (--not-placed)" in found.stderr
    assert len(late.adds) == 2


def test_a_refused_add_logs_its_key_given_back(late, tmp_path):
    slow, _, _ = late(["orders"], REFUSED, [])
    assert _keys(tmp_path) == []
    assert slow.exit_code == 1 and "Not enough funds on balance" in slow.stderr
    assert '"event": "idempotency_key_released"' in slow.stderr
    assert '"key": "row-17"' in slow.stderr and KEY not in slow.stderr


def _told(result) -> list[str]:
    """The command's own lines on stderr (the log's are JSON)."""
    return [line for line in result.stderr.splitlines() if line.startswith("smm-tracker:")]


def _process(directory, args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``smm-tracker ARGS`` in ``directory``, a process of its own (the real clock)."""
    return subprocess.run(
        [sys.executable, "-m", "tracker", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE},
        cwd=directory,
        timeout=60,
    )
