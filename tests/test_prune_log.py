"""The record prune leaves (prune_runs): each run that deleted anything, its
cutoff and what it deleted, written with its batches."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from test_prune import EXPECTED, NOW, OLD, _many, build, rows, setup  # noqa: F401
from test_upgrade import old_database

from tracker.clock import iso, parse_iso, utcnow
from tracker.rules.prune import cutoffs
from tracker.store import prune as pruning
from tracker.store.orders import Store


def runs(db) -> list[dict]:
    c = sqlite3.connect(db)
    c.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in c.execute("SELECT * FROM prune_runs ORDER BY id")]
    finally:
        c.close()


def test_a_prune_is_recorded_with_its_counts_and_a_dry_run_is_not(setup):  # noqa: F811
    cli, db = setup
    assert cli("prune", "--older-than", "365d", "--dry-run").exit_code == 0
    assert runs(db) == []  # a dry run records nothing
    before = utcnow().replace(microsecond=0)
    done = cli("prune", "--older-than", "365d", "--yes")
    after = utcnow()
    assert done.exit_code == 0, done.output
    [run] = runs(db)
    assert run["panel"] is None and run["older_than"] == "365d"
    assert before <= parse_iso(run["at"]) <= after
    assert parse_iso(run["cutoff"]) == parse_iso(run["at"]) - timedelta(days=365)
    assert json.loads(run["deleted"]) == EXPECTED  # what the output said it deleted
    assert run["ended_at"] is not None and run["ended_at"] >= run["at"]
    # Nothing left to delete: nothing recorded.
    assert "nothing to delete" in cli("prune", "--older-than", "365d", "--yes").output
    assert len(runs(db)) == 1


def test_a_prune_of_one_panel_is_recorded_as_that_panel(setup):  # noqa: F811
    cli, db = setup
    assert cli("prune", "--older-than", "410d", "--yes", "--panel", "sim").exit_code == 0
    [run] = runs(db)
    assert (run["panel"], run["older_than"]) == ("sim", "410d")
    assert json.loads(run["deleted"])["balances"] == 1  # OLDER's check, sim's alone


def test_ctrl_c_between_batches_leaves_the_record_of_the_deleted(setup, monkeypatch):  # noqa: F811
    cli, db = setup

    def interrupted(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(pruning, "_rows_batch", interrupted)  # after the orders' batch
    result = cli("prune", "--older-than", "365d", "--yes")
    assert result.exit_code == 130
    [run] = runs(db)
    deleted = json.loads(run["deleted"])
    assert deleted["orders"] == 5 and deleted["transitions"] == 6 and deleted["balances"] == 0
    assert run["ended_at"] is None  # stopped part-way


def test_each_committed_batch_is_counted_in_the_record_and_an_interrupted_one_is_not(tmp_path):
    from tracker.store.prune_runs import PruneRun

    db = tmp_path / "t.db"
    _many(db, 2500)
    store = Store(db)
    cut = cutoffs(NOW, 365 * 86400.0, None)
    batches: list[int] = []

    def interrupt_the_third() -> None:
        batches.append(1)
        if len(batches) == 2:
            raise KeyboardInterrupt

    run = PruneRun(store, NOW, None, "365d", cut.records)
    with pytest.raises(KeyboardInterrupt):
        pruning.prune(
            store, ["sim"], cut, None, pruning.zero(), on_batch=interrupt_the_third, run=run
        )
    store.close()
    [row] = runs(db)
    assert json.loads(row["deleted"])["orders"] == 2000  # two batches of 1,000 committed
    assert rows(db, "SELECT count(*) FROM orders") == [(500,)]
    assert row["ended_at"] is None and row["cutoff"] == iso(cut.records)


def test_ctrl_c_before_the_first_commit_records_nothing(setup, monkeypatch):  # noqa: F811
    from tracker.store.prune_runs import PruneRun

    cli, db = setup

    def interrupted(*_args):
        raise KeyboardInterrupt

    # Inside the first batch's transaction, its rows deleted, before its commit.
    monkeypatch.setattr(PruneRun, "stage", interrupted)
    result = cli("prune", "--older-than", "365d", "--yes")
    assert result.exit_code == 130
    assert runs(db) == [] and len(rows(db, "SELECT * FROM orders")) == 12


def test_m035_upgrades_a_database_at_m034_keeping_every_row(tmp_path):
    path = tmp_path / "tracker.db"
    old_database(path, "m035_prune_runs")
    c = sqlite3.connect(path)
    c.execute(
        "INSERT INTO idempotency_keys VALUES ('main', 'k', '{}', 'Placed', 101, NULL, ?, ?)",
        (OLD, OLD),
    )
    c.execute("INSERT INTO balances VALUES ('main', ?, 5.0, 'USD')", (OLD,))
    c.execute(
        "INSERT INTO alerts (at, panel, kind, severity, message) "
        "VALUES (?, 'main', 'order_failed', 'warning', 'm')",
        (OLD,),
    )
    c.commit()
    before = [line for line in c.iterdump() if "_sqlite_migrations" not in line]
    c.close()
    Store(path).close()  # the upgrade
    c = sqlite3.connect(path)
    after = [line for line in c.iterdump() if "_sqlite_migrations" not in line]
    names = [r[0] for r in c.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    c.close()
    assert names[-1] == "m035_prune_runs"
    assert [line for line in after if "prune_runs" not in line] == before
    assert runs(path) == []
