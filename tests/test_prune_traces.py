"""The day after a prune: an alert ID or an order ID it deleted is told apart
from one mistyped, where the file keeps a trace of it; the space it freed
inside the file, and how to give it back to the disk."""

from __future__ import annotations

import shlex
import sqlite3

import pytest
from simconfig import cli_in, sim_config
from test_prune import OLD, _many, build, rows

# A panel nothing listens on: prune, alerts --resend and history never call it.
CONFIG = sim_config("http://127.0.0.1:9/api/v2") + (
    '[alerts]\nwebhook_url = "http://127.0.0.1:9/hook"\n'
)


@pytest.fixture
def pruned(tmp_path, monkeypatch):
    """test_prune's database after `prune --older-than 365d`: alerts 1 and 2
    deleted (3 to 5 kept), orders 1, 2, 6, 9 and 10 deleted (1 placed by
    `add --idempotency-key row-1`)."""
    cli = cli_in(tmp_path, monkeypatch, CONFIG)
    db = tmp_path / "t.db"
    build(db)
    done = cli("prune", "--older-than", "365d", "--yes")
    assert done.exit_code == 0, done.output
    return cli, db


def test_resend_of_an_alert_prune_deleted_says_it_is_gone_not_mistyped(pruned):
    cli, db = pruned
    path = str(db)
    gone = cli("alerts", "--resend", "2")
    assert gone.exit_code == 1  # as for any alert not in the file
    assert gone.stderr.strip().splitlines() == [
        f"smm-tracker: alert 2 is not in {path} any more (older than its newest, 5): "
        "deleted by `smm-tracker prune`, probably"
    ]
    typo = cli("alerts", "--resend", "50")
    assert typo.exit_code == 1
    assert typo.stderr.strip() == f"smm-tracker: no alert 50 in {path}"

    mixed = cli("alerts", "--resend", "1", "--resend", "2", "--resend", "5", "--resend", "50")
    assert mixed.exit_code == 1
    assert mixed.stdout.strip() == (  # no daemon runs: the next run sends it
        "alert 5: sent again by the next run (no daemon runs now: start it, or run --once)"
    )
    assert f"alerts 1, 2 are not in {path} any more" in mixed.stderr
    assert mixed.stderr.strip().endswith(f"; no alert 50 in {path}")


def test_prune_keeps_the_newest_alert_so_no_id_is_ever_given_twice(tmp_path, monkeypatch):
    # Every alert old enough to go: deleting the newest too let SQLite give
    # the next alert an ID an old email named (the highest kept plus one).
    cli = cli_in(tmp_path, monkeypatch, CONFIG)
    db = tmp_path / "t.db"
    build(db)
    c = sqlite3.connect(db)
    c.execute("DELETE FROM alert_deliveries")
    c.execute("DELETE FROM alert_state")
    c.execute("UPDATE alerts SET at = ? WHERE id = 5", (OLD,))
    c.commit()
    c.close()
    done = cli("prune", "--older-than", "365d", "--yes")
    assert done.exit_code == 0, done.output
    assert rows(db, "SELECT id FROM alerts") == [(5,)]
    gone = cli("alerts", "--resend", "3")
    assert gone.exit_code == 1 and "not in" in gone.stderr and "prune" in gone.stderr


def test_history_of_an_order_prune_deleted_names_the_key_it_was_placed_under(pruned):
    cli, db = pruned
    gone = cli("history", "1")
    assert gone.exit_code == 1  # as for any order not tracked
    [line] = gone.stderr.strip().splitlines()
    assert line.startswith("smm-tracker: order 1 is not in the database any more: placed on sim")
    assert "idempotency key row-1 at " + OLD in line
    assert line.endswith("then deleted by `smm-tracker prune`; no history")
    assert cli("history", "--panel", "sim", "1").stderr == gone.stderr
    # Without a key the file keeps nothing of an order deleted: told as untracked,
    # or deleted by the prune the file recorded (prune_runs).
    for order in ("2", "999"):
        other = cli("history", order)
        assert other.exit_code == 1
        assert f"order {order} is not tracked (or deleted by `smm-tracker prune" in other.stderr
        assert other.stderr.endswith(
            f": no history (smm-tracker track {order} records it from now on)\n"
        )


def test_prune_says_how_much_is_free_inside_the_file_and_how_to_give_it_back(tmp_path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, CONFIG.replace('"t.db"', '"old orders.db"'))
    db = tmp_path / "old orders.db"
    _many(db, 2500)
    size = db.stat().st_size
    result = cli("prune", "--older-than", "365d", "--yes")
    assert result.exit_code == 0, result.output
    [free_pages] = rows(db, "PRAGMA freelist_count")[0]
    [page] = rows(db, "PRAGMA page_size")[0]
    assert free_pages * page > 100_000  # the file keeps them: no VACUUM by prune
    assert db.stat().st_size >= size
    vacuum = f"sqlite3 {shlex.quote(str(db))} VACUUM"
    assert result.output.splitlines()[-1] == (
        f"free inside the file: {free_pages * page / 1e6:.1f} MB, reused for new rows; "
        f"to give it back to the disk, stop the daemon and run: {vacuum} "
        "(it needs as much free disk as the file)"
    )
    # The day after, nothing more to delete: the space is still to give back.
    again = cli("prune", "--older-than", "365d", "--yes")
    assert again.output.splitlines()[-2:] == ["nothing to delete", result.output.splitlines()[-1]]
    sqlite3.connect(db).execute("VACUUM").connection.close()
    assert db.stat().st_size < size
    done = cli("prune", "--older-than", "365d", "--yes")
    assert done.output.splitlines()[-1] == "nothing to delete"


def test_a_prune_that_freed_no_page_gives_no_vacuum_advice(tmp_path, monkeypatch):
    """test_prune's few rows shared their pages with rows kept: nothing is
    free inside the file, so "0.0 MB ... give it back" would be noise."""
    cli = cli_in(tmp_path, monkeypatch, CONFIG)
    db = tmp_path / "t.db"
    build(db)
    done = cli("prune", "--older-than", "365d", "--yes")
    assert done.exit_code == 0, done.output
    assert "deleted:" in done.output
    [free_pages] = rows(db, "PRAGMA freelist_count")[0]
    assert free_pages == 0
    assert "VACUUM" not in done.output and "free inside" not in done.output
