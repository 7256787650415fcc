"""A read command with nothing to list says so on stderr: stdout holds data
alone, so `smm-tracker orders --status Refunded | tail -n +2 | wc -l` counts 0,
and the --json forms print their empty value."""

from __future__ import annotations

import sqlite3

import pytest
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.store.orders import Store


@pytest.fixture
def cli(tmp_path, monkeypatch):
    invoke = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG)
    Store(tmp_path / "t.db").close()  # a database without a single order
    return invoke


@pytest.mark.parametrize(
    ("args", "note"),
    [
        (
            ["orders"],
            "no orders tracked yet: `smm-tracker track ID` tracks an order placed on the "
            "panel, `smm-tracker add --service ID --link URL --quantity N` places one and "
            "tracks it",
        ),
        (["orders", "--status", "Refunded"], "no orders with status Refunded"),
        (["orders", "--stalled"], "no stalled orders"),
        (["alerts"], "no alerts"),
        (["alerts", "--since", "1h"], "no alerts in the last 1h"),
        (["refills"], "no refill requests"),
        (["refills", "--status", "Rejected"], "no refill requests with status Rejected"),
        (["services"], "no services stored yet (the daemon syncs them; or pass --refresh)"),
        (["report"], "no orders first seen in the last 30d"),
        (
            ["balance"],
            "main: no balance fetched yet (smm-tracker run --once fetches it now; the daemon "
            "(smm-tracker run) within schedule.balance_every (15m))",
        ),
    ],
)
def test_nothing_to_list_is_a_note_on_stderr(cli, args, note):
    result = cli(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == note + "\n"


def test_automation_without_actions_keeps_the_note_off_stdout(cli):
    result = cli("automation")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("automation: ")
    assert "no actions taken" not in result.stdout
    assert not result.stdout.endswith("\n\n")  # no blank line left where the table was
    assert result.stderr == "no actions taken\n"


def test_history_without_a_change_keeps_the_note_off_stdout(cli, tmp_path):
    assert cli("track", "101").exit_code == 0
    with sqlite3.connect(tmp_path / "t.db") as conn:  # answered, but never changed
        conn.execute("UPDATE orders SET status = 'Pending' WHERE order_id = 101")
    result = cli("history", "101")
    assert result.exit_code == 0, result.output
    assert result.stdout == "main #101: Pending\n"
    assert result.stderr == "no status change recorded\n"
