"""Upgrading a database an older version wrote: its migrations, run by whichever
command opens it first, with another command or the daemon opening it too."""

from __future__ import annotations

import json
import sqlite3

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from sqlite_utils import Database

from tracker.errors import StoreError
from tracker.store.migrations import migrations
from tracker.store.orders import Store
from tracker.store.schema import MIGRATIONS

RELEASE_0_1_0 = "m007_probes"  # 0.1.0 left m001..m006


def old_database(path, stop_before: str) -> list[tuple]:
    """Make the schema an older release left, with a few orders and their
    transitions in it; return those rows as stored."""
    db = Database(path)
    migrations.apply(db, stop_before=stop_before)
    db.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("PRAGMA journal_mode = WAL")
        for order_id, status in ((101, "Completed"), (102, "In progress")):
            conn.execute(
                "INSERT INTO orders (panel, order_id, status, created_at, updated_at, polling) "
                "VALUES ('main', ?, ?, '2026-01-01T00:00:00+00:00', "
                "'2026-01-02T00:00:00+00:00', ?)",
                (order_id, status, int(status != "Completed")),
            )
            conn.execute(
                "INSERT INTO transitions (panel, order_id, at, from_status, to_status) "
                "VALUES ('main', ?, '2026-01-01T00:00:00+00:00', NULL, ?)",
                (order_id, status),
            )
    rows = stored(conn)
    conn.close()
    return rows


def stored(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT o.panel, o.order_id, o.status, o.created_at, o.updated_at, o.polling, "
        "t.at, t.from_status, t.to_status FROM orders o JOIN transitions t "
        "USING (panel, order_id) ORDER BY o.order_id, t.id"
    ).fetchall()


def given_up_by_0_1_0(path, *orders: tuple[int, str | None, str]) -> None:
    """Add orders 0.1.0 gave up on (order ID, status, day stopped): three
    "Incorrect order ID" in a row, then polling = 0 alone."""
    conn = sqlite3.connect(path)
    with conn:
        for order_id, status, day in orders:
            conn.execute(
                "INSERT INTO orders (panel, order_id, status, created_at, updated_at, error, "
                "error_count, polling) VALUES ('main', ?, ?, '2026-01-01T00:00:00+00:00', ?, "
                "'Incorrect order ID', 3, 0)",
                (order_id, status, f"{day}T00:00:00+00:00"),
            )
    conn.close()


def applied(path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    finally:
        conn.close()


def test_a_command_opening_the_database_while_another_migrates_it_waits_and_reads(
    tmp_path, monkeypatch
):
    # The daemon restarted on the new version and a user's `orders` (or a
    # second command) open the old file at the same moment: both would apply
    # the migrations. The second used to fail with SQLite's words ("index
    # orders_created_day already exists", "UNIQUE constraint failed:
    # _sqlite_migrations...") and the daemon exited 1 when it was the second.
    path = tmp_path / "tracker.db"
    before = old_database(path, RELEASE_0_1_0)
    pending = migrations.pending
    other: list[str] = []
    started: list[bool] = []

    def the_other_process_migrates_meanwhile(db):
        left = pending(db)  # what this command found to do
        if not started:  # the other one gets at the file now, before this one applies it
            started.append(True)
            try:
                Store(path, busy_timeout=0.2).close()
                other.append("migrated it")
            except StoreError as exc:
                other.append(str(exc))
        return left

    monkeypatch.setattr(migrations, "pending", the_other_process_migrates_meanwhile)
    store = Store(path)  # no error: either it migrated, or found it done
    monkeypatch.undo()
    try:
        assert store.order("main", 102)["status"] == "In progress"
    finally:
        store.close()
    # The other one waited for the lock (here: its short wait ran out, said
    # in one line); it opens the file now, with nothing left to do.
    assert other == [f"database {path} is busy (another process holds a write lock)"]
    Store(path).close()
    assert applied(path)[-len(MIGRATIONS) :] == list(MIGRATIONS)
    assert len(applied(path)) == len(MIGRATIONS)
    conn = sqlite3.connect(path)
    assert stored(conn) == before
    conn.close()


def test_an_upgrade_that_fails_part_way_leaves_the_database_as_the_old_version_wrote_it(
    tmp_path, monkeypatch
):
    # A full disk (or a kill) during the migrations: the file stays at the
    # older version's schema, so that version still runs on it (a newer
    # migration applied makes it refuse to write), and the next start on the
    # new version applies them all.
    path = tmp_path / "tracker.db"
    before = old_database(path, "m029_balances_by_panel")
    old_schema = applied(path)
    failing = next(m for m in migrations._migrations if m.name == "m031_watch_judged_columns")

    def disk_full(db):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(failing, "fn", disk_full)
    with pytest.raises(StoreError, match="disk full"):
        Store(path)
    assert applied(path) == old_schema  # m029, m030 not left applied alone
    monkeypatch.undo()

    Store(path).close()
    assert applied(path)[-len(MIGRATIONS) :] == list(MIGRATIONS)
    conn = sqlite3.connect(path)
    assert stored(conn) == before
    conn.close()


def test_orders_an_older_version_gave_up_on_are_lost_after_the_upgrade(tmp_path, monkeypatch):
    # 0.1.0 (up to m009) stopped polling an order after three "Incorrect
    # order ID" answers by polling = 0 alone; m008's stopped_by stayed NULL on
    # it, so `orders --status lost` and doctor never counted it.
    from click.testing import CliRunner

    import tracker.config.load as config_load
    from tracker.cli.main import main

    path = tmp_path / "tracker.db"
    old_database(path, RELEASE_0_1_0)
    given_up_by_0_1_0(path, (103, "Pending", "2026-01-03"), (104, None, "2026-01-04"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(config_load.ENV_VAR, raising=False)
    monkeypatch.setattr(config_load, "SYSTEM_CONFIG", tmp_path / "etc" / "config.toml")

    Store(path).close()  # the upgrade
    result = CliRunner().invoke(
        main, ["orders", "--status", "lost", "--json", "--database", str(path)]
    )
    assert result.exit_code == 0, result.output
    lost = {row["order_id"]: row for row in json.loads(result.stdout)}
    assert sorted(lost) == [103, 104]  # not 101 (Completed) nor 102 (polled)
    assert lost[103]["stopped_by"] == "panel"
    assert lost[103]["stop_reason"] == "Incorrect order ID"
    assert lost[103]["stopped_at"] == "2026-01-03T00:00:00+00:00"
    assert lost[103]["status"] == "Pending"  # as it was


@pytest.mark.usefixtures("fresh_logs")
def test_the_daemon_says_in_its_log_which_migrations_it_applied(tmp_path) -> None:
    # An upgrade under systemd left nothing in the journal: the operator could
    # not tell that it had happened, what it did, or how long it took.
    from structlog.testing import capture_logs

    from tracker.config.load import config_from_dict
    from tracker.jobs.tracker import Tracker

    old_database(tmp_path / "t.db", "m029_balances_by_panel")
    settings = {
        "database": {"path": "t.db"},
        "panels": [{"name": "main", "url": "http://127.0.0.1:9/api/v2", "key": "k" * 16}],
    }
    config = config_from_dict(settings, base_dir=tmp_path, env={})
    for upgraded in (True, False):  # the start on the new version, then a restart
        with capture_logs() as logs:
            Tracker(config).close()
        said = [e for e in logs if e["event"] == "migrations_applied"]
        if not upgraded:
            assert said == []
            continue
        (entry,) = said
        pending = [name for name in MIGRATIONS if name >= "m029"]
        assert (entry["log_level"], entry["count"]) == ("info", len(pending))
        assert (entry["first"], entry["last"]) == (pending[0], pending[-1])
        assert entry["seconds"] >= 0 and entry["database"] == str(tmp_path / "t.db")


def test_doctor_says_0_1_0_gave_up_on_the_orders_m033_marked_lost(tmp_path):
    # doctor said "past schedule.unknown_give_up" of them: 0.1.0 stopped at
    # three "Incorrect order ID" in a row, whatever that setting says now.
    from tracker.rules.lost_doctor import lost_checks
    from tracker.store.readings import LOST_BY_PANEL

    path = tmp_path / "tracker.db"
    old_database(path, RELEASE_0_1_0)
    given_up_by_0_1_0(path, (103, "Pending", "2026-01-03"))
    Store(path).close()  # the upgrade
    conn = sqlite3.connect(path)
    try:
        (check,) = lost_checks(conn.execute(LOST_BY_PANEL).fetchall(), {"main"})
        assert check.detail.startswith(
            "1 order given up as lost (#103): smm-tracker 0.1.0 gave up on it when the panel "
            "called it unknown three times in a row, so it is no longer polled; "
        )
        # One given up since, by this version: both said.
        with conn:
            conn.execute(
                "INSERT INTO orders (panel, order_id, status, created_at, updated_at, error, "
                "polling, stopped_by, stopped_at, unknown_since) VALUES ('main', 105, NULL, "
                "'2026-02-01T00:00:00+00:00', '2026-02-05T00:00:00+00:00', 'Incorrect order ID', "
                "0, 'panel', '2026-02-05T00:00:00+00:00', '2026-02-01T00:00:00+00:00')"
            )
        (check,) = lost_checks(conn.execute(LOST_BY_PANEL).fetchall(), {"main"})
        assert check.detail.startswith(
            "2 orders given up as lost (#103, #105): the panel kept calling them unknown past "
            "schedule.unknown_give_up (1 of them given up by smm-tracker 0.1.0, at three times "
            "in a row), so they are no longer polled; "
        )
    finally:
        conn.close()
