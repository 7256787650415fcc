"""`orders --since DURATION`: the orders first seen that recently (placed by
`add`, or given to `track`), as `report --since` counts them, read by the
same duration rules as `alerts`, `automation` and `report`; with the other
filters, `--json`, `--ids` and `--limit`. It had none: a script wanting the
day's orders read every order and compared times itself."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.clock import iso, utcnow
from tracker.store.orders import Store

TWO_PANELS = OFFLINE_CONFIG + (
    '[[panels]]\nname = "other"\nurl = "http://127.0.0.1:9/api/v2"\nkey_env = "SMM_TEST_KEY"\n'
)
HOURS_AGO = {  # (panel, order): first seen so many hours ago
    ("main", 21): 30,  # the highest ID, but a day and more ago
    ("main", 20): 2,
    ("main", 5): 1,  # a low ID tracked lately: first seen within the day
    ("main", 3): 72,
    ("other", 7): 3,
    ("other", 9): 50,
}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cli = cli_in(tmp_path, monkeypatch, TWO_PANELS, env={"SMM_TEST_KEY": "k" * 24})
    now = utcnow()
    store = Store(tmp_path / "t.db")
    for (panel, order), hours in HOURS_AGO.items():
        store.track(panel, [order], now - timedelta(hours=hours))
    store.close()
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("UPDATE orders SET status = 'In progress'")
        db.execute("UPDATE orders SET status = 'Completed' WHERE order_id IN (20, 21)")
    db.close()
    return cli


def ids(result) -> list[int]:
    assert result.exit_code == 0, result.output
    return [int(line) for line in result.stdout.split()]


def test_since_lists_the_orders_first_seen_that_recently_newest_first(cli):
    assert sorted(ids(cli("orders", "--ids"))) == [3, 5, 7, 9, 20, 21]  # every order
    # A low ID tracked an hour ago is of the day; the highest, first seen 30 h ago, not;
    # in the listing's order (a panel's highest ID first, the panels merged by first seen).
    assert ids(cli("orders", "--since", "24h", "--ids")) == [20, 5, 7]
    assert ids(cli("orders", "--since", "2d", "--panel", "main", "--ids")) == [21, 20, 5]
    table = cli("orders", "--since", "24h")
    assert table.exit_code == 0 and table.stderr == "", table.output
    assert [line.split()[:2] for line in table.stdout.splitlines()[1:]] == [
        ["main", "20"],
        ["main", "5"],
        ["other", "7"],
    ]


def test_since_goes_with_the_other_filters_json_and_limit(cli):
    assert ids(cli("orders", "--since", "24h", "--status", "completed", "--ids")) == [20]
    assert ids(cli("orders", "--since", "24h", "--panel", "main", "--ids")) == [20, 5]
    assert ids(cli("orders", "--since", "24h", "--limit", "2", "--ids")) == [20, 5]
    listed = cli("orders", "--since", "24h", "--panel", "other", "--json")
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert (row["panel"], row["order_id"]) == ("other", 7)
    cut = cli("orders", "--since", "24h", "--limit", "1", "--json")
    assert [r["order_id"] for r in json.loads(cut.stdout)] == [20]
    assert ids(cli("orders", "--since", "24h", "--status", "In progress", "--all", "--ids")) == [
        5,
        7,
    ]


def test_since_goes_with_stalled(cli, tmp_path: Path):
    with sqlite3.connect(tmp_path / "t.db") as db:  # 3 stalled longest, then 5; both open
        for order, hours in ((3, 10), (5, 1)):
            at = iso(utcnow() - timedelta(hours=hours))
            db.execute(
                "INSERT INTO order_watch (panel, order_id, stalled_at, stall_reason, "
                "updated_at) VALUES ('main', ?, ?, 'no progress', ?)",
                (order, at, at),
            )
    db.close()
    assert ids(cli("orders", "--stalled", "--ids")) == [3, 5]
    assert ids(cli("orders", "--stalled", "--since", "24h", "--ids")) == [5]  # 3: seen 72 h ago
    none = cli("orders", "--stalled", "--since", "30m")
    assert none.stderr == "no stalled orders first seen in the last 30m\n"


def test_none_that_recent_is_said_on_stderr_and_a_bad_duration_is_one_line(cli):
    none = cli("orders", "--since", "30m")
    assert (none.exit_code, none.stdout) == (0, "")
    assert none.stderr == "no orders first seen in the last 30m\n"
    narrowed = cli("orders", "--since", "30m", "--status", "Completed")
    assert narrowed.stderr == "no orders with status Completed first seen in the last 30m\n"
    assert cli("orders", "--since", "30m", "--ids").stdout == ""
    assert json.loads(cli("orders", "--since", "30m", "--json").stdout) == []
    for bad, said in (("0d", "must be longer than 0s"), ("soon", "")):
        refused = cli("orders", "--since", bad)
        assert refused.exit_code == 2 and refused.stdout == "", refused.output
        [line] = refused.stderr.splitlines()
        assert line.startswith("smm-tracker: --since: ") and said in line, line


def test_help_says_what_since_reads():
    from click.testing import CliRunner

    from tracker.cli.main import main

    shown = CliRunner().invoke(main, ["orders", "--help"], terminal_width=200)
    assert shown.exit_code == 0
    assert "--since DURATION" in shown.output and "first seen" in shown.output


def test_a_window_reaching_before_a_prune_of_orders_says_so_as_alerts_since_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": None})
    now = utcnow()
    store = Store(tmp_path / "t.db")
    store.track("main", [101, 102], now - timedelta(days=400))
    store.track("main", [103], now - timedelta(hours=1))
    store.close()
    old = iso(now - timedelta(days=400))
    with sqlite3.connect(tmp_path / "t.db") as db:  # 101 and 102 ended 400 days ago
        db.execute(
            "UPDATE orders SET status = 'Completed', polling = 0, updated_at = ?, "
            "completed_at = ? WHERE order_id < 103",
            (old, old),
        )
    db.close()
    assert cli("prune", "--older-than", "365d", "--yes").exit_code == 0
    with sqlite3.connect(tmp_path / "t.db") as db:
        cutoff = db.execute("SELECT cutoff FROM prune_runs").fetchone()[0]
    db.close()

    reaching = cli("orders", "--since", "500d")
    assert reaching.exit_code == 0, reaching.output
    assert [line.split()[:2] for line in reaching.stdout.splitlines()[1:]] == [["main", "103"]]
    unchecked, said = reaching.stderr.split("\n", 1)  # 103 never polled: said first
    assert unchecked.startswith("(order 103 not checked on the panel yet"), unchecked
    assert said.startswith(
        f"note: the history before {cutoff} was deleted by `smm-tracker prune --older-than "
        "365d` on "
    ), said
    assert said.endswith(": what this shows from before then is incomplete\n")
    inside = cli("orders", "--since", "24h")
    assert (inside.exit_code, inside.stderr) == (0, unchecked + "\n")
