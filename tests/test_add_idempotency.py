"""`add --idempotency-key`: a script that runs the same `add` again (a cron
job retried after a crash, a loop restarted half-way) never places the order
twice. Through the real CLI and a scripted panel on loopback, counting the
`add` calls the panel got."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter

import pytest
from hostile import HostileServer, Reply, json_reply, text_reply
from simconfig import cli_in, sim_config

KEY = "hostile-key-AddOnce7731"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (calls, set_reply, cli): the panel's calls by action, and
    set_reply(reply) scripts its answer to `add`."""
    calls: Counter[str] = Counter()
    replies: dict[str, Reply] = {"add": json_reply({"order": 4501})}

    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action", "")
        calls[action] += 1
        if action == "add":
            return replies["add"]
        return json_reply({"error": "Incorrect request"})

    server = HostileServer(respond).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})

    def set_reply(reply: Reply) -> None:
        replies["add"] = reply

    yield calls, set_reply, cli
    server.stop()


def _rows(tmp_path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return db.execute(
            "SELECT panel, idempotency_key, status, order_id FROM idempotency_keys"
        ).fetchall()


def test_the_same_add_run_again_with_its_key_prints_the_order_and_sends_nothing(panel, tmp_path):
    calls, set_reply, cli = panel
    first = cli(*ADD, "--idempotency-key", "csv-row-17")
    assert (first.exit_code, first.stdout) == (0, "4501\n")
    again = cli(*ADD, "--idempotency-key", "csv-row-17")
    assert (again.exit_code, again.stdout) == (0, "4501\n")  # what a script reads, the same
    assert "already placed under idempotency key 'csv-row-17'" in again.stderr
    assert calls["add"] == 1
    assert _rows(tmp_path) == [("sim", "csv-row-17", "Placed", 4501)]
    set_reply(json_reply({"order": 4502}))
    other = cli(*ADD, "--idempotency-key", "csv-row-18")  # another key: another order
    assert other.exit_code == 0 and calls["add"] == 2


def test_an_add_whose_outcome_is_unknown_is_never_sent_again_under_its_key(panel, tmp_path):
    calls, set_reply, cli = panel
    set_reply(text_reply("<html>502 Bad Gateway</html>", status=502))  # maybe placed
    lost = cli(*ADD, "--idempotency-key", "csv-row-17")
    assert lost.exit_code == 1 and "outcome unknown" in lost.stderr
    set_reply(json_reply({"order": 4502}))
    again = cli(*ADD, "--idempotency-key", "csv-row-17")
    assert again.exit_code == 1 and again.stdout == ""
    assert "idempotency key 'csv-row-17'" in again.stderr
    assert "outcome is unknown" in again.stderr and "nothing sent" in again.stderr
    assert calls["add"] == 1
    assert _rows(tmp_path) == [("sim", "csv-row-17", "Unknown", None)]


def test_an_add_the_panel_refused_may_be_sent_again_under_its_key(panel, tmp_path):
    calls, set_reply, cli = panel
    set_reply(json_reply({"error": "Not enough funds on balance"}))  # nothing placed
    refused = cli(*ADD, "--idempotency-key", "csv-row-17")
    assert refused.exit_code == 1 and "Not enough funds" in refused.stderr
    assert _rows(tmp_path) == []
    set_reply(json_reply({"order": 4503}))
    again = cli(*ADD, "--idempotency-key", "csv-row-17")
    assert (again.exit_code, again.stdout) == (0, "4503\n")
    assert calls["add"] == 2


def test_a_key_used_for_another_order_is_refused_before_sending(panel, tmp_path):
    calls, _, cli = panel
    assert cli(*ADD, "--idempotency-key", "csv-row-17").exit_code == 0
    changed = [*ADD[:-1], "200", "--idempotency-key", "csv-row-17"]
    other = cli(*changed)
    assert other.exit_code == 2 and other.stdout == ""
    assert "was used for another order" in other.stderr and "nothing sent" in other.stderr
    assert calls["add"] == 1


@pytest.mark.parametrize("key", ["", " ", "a\nb", "x" * 201])
def test_an_unusable_key_is_a_usage_error(panel, key):
    calls, _, cli = panel
    result = cli(*ADD, "--idempotency-key", key)
    assert result.exit_code == 2 and "--idempotency-key" in result.stderr
    assert calls["add"] == 0


def test_the_keys_are_listed_for_scripts(panel, tmp_path):
    _, _, cli = panel
    assert cli(*ADD, "--idempotency-key", "csv-row-17").exit_code == 0
    with sqlite3.connect(tmp_path / "t.db") as db:
        (request,) = db.execute("SELECT request FROM idempotency_keys").fetchone()
    assert json.loads(request) == {
        "service": 1, "link": "https://x.test/p", "quantity": 100, "runs": None, "interval": None,
    }  # fmt: skip


def test_an_add_killed_after_claiming_its_key_is_never_sent_again(panel, tmp_path):
    # kill -9 between the key's commit and the answer's: its row stays Sending.
    # An hour ago: a row as fresh may be an add still waiting for its answer
    # (tests/test_idempotency_race.py), which nothing can tell from one killed.
    calls, _, cli = panel
    assert cli(*ADD, "--idempotency-key", "csv-row-16").exit_code == 0  # a row to copy
    with sqlite3.connect(tmp_path / "t.db") as db:
        an_hour_ago = "strftime('%Y-%m-%dT%H:%M:%S+00:00', at, '-1 hour')"
        db.execute(
            "INSERT INTO idempotency_keys (panel, idempotency_key, request, status, at, "
            f"updated_at) SELECT panel, 'csv-row-17', request, 'Sending', {an_hour_ago}, "
            f"{an_hour_ago} FROM idempotency_keys"
        )
    again = cli(*ADD, "--idempotency-key", "csv-row-17")
    assert again.exit_code == 1 and again.stdout == ""
    assert "interrupted before its answer was stored" in again.stderr
    assert calls["add"] == 1
