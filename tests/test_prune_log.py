"""The record prune leaves (prune_runs), and the reads it makes say so: a
window reaching before a prune's cutoff counts only what the file kept, and
a note on stderr tells it (never in --json's stdout, which holds a field)."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from simconfig import cli_in, sim_config
from test_prune import EXPECTED, NOW, OLD, _many, build, rows, setup  # noqa: F401
from test_upgrade import old_database

from tracker.clock import iso, parse_iso, utcnow
from tracker.rules.prune import cutoffs
from tracker.store import prune as pruning
from tracker.store.orders import Store

# A panel nothing listens on: the reads never call it.
OFFLINE = sim_config("http://127.0.0.1:9/api/v2")
NOTE = "note: the history before "


def runs(db) -> list[dict]:
    c = sqlite3.connect(db)
    c.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in c.execute("SELECT * FROM prune_runs ORDER BY id")]
    finally:
        c.close()


@pytest.fixture
def pruned(tmp_path, monkeypatch):
    """test_prune's database after `prune --older-than 365d` (orders 1, 2, 6,
    9, 10 deleted; the newest balance check of sim is now)."""
    cli = cli_in(tmp_path, monkeypatch, OFFLINE)
    db = tmp_path / "t.db"
    build(db)
    done = cli("prune", "--older-than", "365d", "--yes")
    assert done.exit_code == 0, done.output
    return cli, db


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
    assert deleted["orders"] == 6 and deleted["transitions"] == 7 and deleted["balances"] == 0
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


@pytest.mark.parametrize("command", [("report",), ("alerts",), ("automation",)])
def test_a_window_reaching_before_the_cutoff_says_so_and_one_after_it_does_not(pruned, command):
    cli, db = pruned
    [run] = runs(db)
    long = cli(*command, "--since", "400d")
    assert long.exit_code == 0, long.output
    notes = [line for line in long.stderr.splitlines() if line.startswith("note:")]
    assert notes == [
        f"{NOTE}{run['cutoff']} was deleted by `smm-tracker prune --older-than 365d` on "
        f"{run['at'][:10]}: what this shows from before then is incomplete"
    ]
    assert "note:" not in long.stdout
    short = cli(*command, "--since", "300d")
    assert short.exit_code == 0 and "note:" not in short.output + short.stderr
    # --json: stdout is JSON alone, the prune in its field; nothing on stderr.
    data = cli(*command, "--since", "400d", "--json")
    assert data.exit_code == 0 and data.stderr == ""
    assert json.loads(data.stdout)["pruned"] == {
        "at": run["at"],
        "panel": None,
        "older_than": "365d",
        "cutoff": run["cutoff"],
        "ran_by": "command",
    }
    assert json.loads(cli(*command, "--since", "300d", "--json").stdout)["pruned"] is None


def test_undelivered_since_reaching_before_the_cutoff_says_so_as_alerts_since_does(pruned):
    # Prune deleted alert 1 (420 days old) with its given-up delivery and kept
    # alert 4 (400 days old, still to be sent again): a 450-day window lists
    # 4 alone, and used to say nothing of 1.
    cli, db = pruned
    [run] = runs(db)
    long = cli("alerts", "--undelivered", "--since", "450d")
    assert long.exit_code == 0, long.output
    assert [line.split()[0] for line in long.stdout.splitlines()[1:]] == ["4"]
    assert [line for line in long.stderr.splitlines() if line.startswith("note:")] == [
        f"{NOTE}{run['cutoff']} was deleted by `smm-tracker prune --older-than 365d` on "
        f"{run['at'][:10]}: what this shows from before then is incomplete"
    ]
    for args in (("--since", "300d"), ()):  # a window after the cutoff; none at all
        quiet = cli("alerts", "--undelivered", *args)
        assert quiet.exit_code == 0 and "note:" not in quiet.stderr, args
    # --json: stdout is JSON alone, the prune in its field; nothing on stderr.
    data = cli("alerts", "--undelivered", "--since", "450d", "--json")
    assert data.exit_code == 0 and data.stderr == ""
    listed = json.loads(data.stdout)
    assert [row["id"] for row in listed["undelivered"]] == [4]
    assert listed["pruned"] == {
        "at": run["at"],
        "panel": None,
        "older_than": "365d",
        "cutoff": run["cutoff"],
        "ran_by": "command",
    }
    for args in (("--since", "300d"), ()):
        assert json.loads(cli("alerts", "--undelivered", "--json", *args).stdout)["pruned"] is None


def test_reads_without_a_window_before_the_cutoff_say_nothing(pruned):
    cli, _db = pruned
    for command in (("report",), ("alerts",), ("automation",), ("balance",), ("orders",)):
        result = cli(*command)
        assert result.exit_code == 0, (command, result.output)
        assert "note: the history" not in result.stderr, command


def test_a_prune_of_another_panel_leaves_this_panels_reads_whole(tmp_path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE)
    db = tmp_path / "t.db"
    build(db)
    c = sqlite3.connect(db)
    c.execute(
        "INSERT INTO prune_runs (at, panel, older_than, cutoff, deleted, ended_at) "
        "VALUES (?, 'other', '365d', ?, '{\"orders\": 3}', ?)",
        (iso(NOW), iso(NOW - timedelta(days=365)), iso(NOW)),
    )
    c.commit()
    c.close()
    assert "note:" not in cli("report", "--since", "400d", "--panel", "sim").stderr
    assert "(or deleted" not in cli("history", "--panel", "sim", "999").stderr
    # Every panel's report shows the other panel's too: its prune is named.
    every = cli("report", "--since", "400d").stderr
    assert "note: the history of panel other before " in every
    assert "`smm-tracker prune --older-than 365d --panel other`" in every
    assert "(or deleted by `smm-tracker prune --older-than 365d --panel other`" in (
        cli("history", "999").stderr
    )


def test_balance_history_reaching_before_the_cutoff_says_so(tmp_path, monkeypatch):
    # A daemon stopped long ago: the panel's last check, kept by prune, is
    # older than the cutoff, so the day of history before it was deleted.
    cli = cli_in(tmp_path, monkeypatch, OFFLINE)
    db = tmp_path / "t.db"
    build(db)
    c = sqlite3.connect(db)
    c.execute("DELETE FROM balances WHERE at > ?", (OLD,))
    c.commit()
    c.close()
    assert cli("prune", "--older-than", "365d", "--yes").exit_code == 0
    [run] = runs(db)
    shown = cli("balance")
    assert shown.exit_code == 0, shown.output
    assert shown.stderr.splitlines() == [
        f"note: the history of panel sim before {run['cutoff']} was deleted by "
        f"`smm-tracker prune --older-than 365d` on {run['at'][:10]}: what this shows from "
        "before then is incomplete"
    ]
    [panel] = json.loads(cli("balance", "--json").stdout)["panels"]
    assert panel["pruned"]["cutoff"] == run["cutoff"]


def test_history_of_an_id_not_in_the_file_names_the_prune_that_may_have_deleted_it(
    tmp_path, monkeypatch
):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE)
    db = tmp_path / "t.db"
    build(db)
    before = cli("history", "999")
    assert before.exit_code == 1 and "(or deleted" not in before.stderr
    assert cli("prune", "--older-than", "365d", "--yes").exit_code == 0
    [run] = runs(db)
    for args in (("history", "2"), ("history", "--panel", "sim", "2")):
        gone = cli(*args)
        assert gone.exit_code == 1  # as for any order not tracked (README's exit codes)
        on = " on sim" if "--panel" in args else ""
        assert gone.stderr == (
            f"smm-tracker: order 2 is not tracked{on} (or deleted by `smm-tracker prune "
            f"--older-than 365d` on {run['at'][:10]}: orders that ended before "
            f"{run['cutoff']}): no history (smm-tracker track{' --panel sim' * bool(on)} 2 "
            "records it from now on)\n"
        )
    copy = cli("history", "--database", str(db), "2")
    assert copy.exit_code == 1 and copy.stderr.startswith(f"smm-tracker: order 2 is not in {db}")
    assert "(or deleted by `smm-tracker prune --older-than 365d`" in copy.stderr


def test_a_prune_that_deleted_no_order_is_not_named_for_an_order(tmp_path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE)
    db = tmp_path / "t.db"
    build(db)
    c = sqlite3.connect(db)
    c.execute("UPDATE orders SET polling = 1")  # every order still polled: none goes
    c.commit()
    c.close()
    assert cli("prune", "--older-than", "365d", "--yes").exit_code == 0
    [run] = runs(db)
    assert json.loads(run["deleted"])["orders"] == 0 and json.loads(run["deleted"])["balances"]
    assert "(or deleted" not in cli("history", "2").stderr


def test_doctor_tells_the_last_prune_in_an_info_line_never_a_failure(setup):  # noqa: F811
    cli, db = setup
    assert [line for line in cli("doctor").output.splitlines() if "prune" in line] == []
    assert cli("prune", "--older-than", "365d", "--yes").exit_code == 0
    [run] = runs(db)
    doctor = cli("doctor")
    assert doctor.exit_code == 0, doctor.output
    [line] = [line for line in doctor.output.splitlines() if line.startswith("info prune:")]
    assert line == (
        f"info prune: last run {run['at']} (--older-than 365d, every panel): history before "
        f"{run['cutoff']} deleted (6 orders); reads reaching before it say so"
    )
    report = json.loads(cli("doctor", "--json").stdout)
    [check] = [c for c in report["checks"] if c["name"] == "prune"]
    assert (check["state"], check["failed"], report["ok"]) == ("info", False, True)


def test_doctor_says_a_prune_stopped_part_way(setup, monkeypatch):  # noqa: F811
    cli, db = setup

    def interrupted(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(pruning, "_rows_batch", interrupted)
    assert cli("prune", "--older-than", "365d", "--yes").exit_code == 130
    doctor = cli("doctor")
    assert doctor.exit_code == 0
    [line] = [line for line in doctor.output.splitlines() if line.startswith("info prune:")]
    assert "stopped part-way" in line and "run it again to finish" in line


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
    first = names.index("m035_prune_runs")
    assert names[first : first + 3] == [
        "m035_prune_runs",
        "m036_prune_runs_ran_by",
        "m037_late_checks",
    ]
    # tables of their own (job_runs: m038; child_orders, child_runs: m046),
    # m047's index of child_orders and m051's of transitions
    added = (
        "prune_runs",
        "late_checks",
        "job_runs",
        "child_orders",
        "child_runs",
        "child_orders_by_child",
        "transitions_first_completed",
    )
    kept = [line for line in after if not any(table in line for table in added)]
    # m043's transitions.currency: NULL on every row recorded before it.
    older = 'INSERT INTO "transitions"'
    kept = [
        line.removesuffix(",NULL);") + ");" if line.startswith(older) else line for line in kept
    ]
    # m039 adds a column to panel_capabilities (none of its rows here): its
    # CREATE statement alone differs; so does m043's to transitions. m041 and
    # m042 re-create the service_scorecard view, m042 and m045 daily_activity
    # (row-less texts of their own); m045 adds a column to automation_actions;
    # m044 an index of orders; m049 and m051 re-create order_overview.
    changed = (
        "CREATE INDEX orders_untracked",
        "CREATE VIEW order_overview",
        "CREATE TABLE panel_capabilities",
        "CREATE TABLE transitions",
        "CREATE TABLE automation_actions",
        "CREATE VIEW service_scorecard",
        "CREATE VIEW daily_activity",
    )
    assert [line for line in kept if not line.startswith(changed)] == [
        line for line in before if not line.startswith(changed)
    ]
    assert runs(path) == []


def test_on_a_terminal_the_note_says_the_cutoff_as_the_tables_say_times(pruned, monkeypatch):
    """Beside a table of short times, the note's cutoff is short too; piped,
    the note keeps the stored stamp (the test above)."""
    from tracker.cli import screen

    cli, db = pruned
    [run] = runs(db)
    monkeypatch.setattr(screen, "stdout_is_terminal", lambda: True)
    cutoff = parse_iso(run["cutoff"])
    shown = f"{cutoff:%Y-%m-%d %H:%M} UTC"  # another year than today's: the date in full
    for command in (("report", "--since", "400d"), ("history", "2")):
        result = cli(*command)
        said = result.stderr
        assert run["cutoff"] not in said and shown in said, (command, said)
