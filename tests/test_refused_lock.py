"""A start refused after its lock file is made leaves no false alarm behind.

A file at ``database.path`` that is not a tracker database (garbage, another
program's SQLite file, a newer smm-tracker's schema), a disk full or a
read-only database at the first migration: found by opening the database,
after the lock file is made. The lock file stayed; the user moved the bad
file away (the right fix), and the next start made a new database beside
it and raised ``store_created`` ("a tracker ran on it before": none had),
and ``doctor`` said the database was missing beside a lock file. A refused
start now deletes the lock file it made (a lock file there before stays,
as it was); one a tracker ran under stays, and a database really moved
after a run is still told.
"""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in
from test_run_refused_start import KEY, files, start, write_config

from tracker.cli.main import main
from tracker.config.load import config_from_dict
from tracker.service import lock as lock_module
from tracker.service.lock import AlreadyRunningError, DatabaseLock, lock_path
from tracker.service.notify import Notifier
from tracker.service.process import Service
from tracker.signals import Signals
from tracker.store.connection import Connection
from tracker.store.orders import Store

FULL = "database or disk is full"
READ_ONLY = "attempt to write a readonly database"


def bad_file(path: Path, kind: str) -> str:
    """Put a file that is not this version's database at ``path``; return
    what the refusal says of it."""
    if kind == "garbage":
        path.write_text("hello, not a database\n")
        return "is not an SQLite database"
    if kind == "foreign":
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE invoices (id INTEGER)")
        return "is not an smm-tracker database"
    Store(path).close()  # this version's schema, and a migration of a later one
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('smm-tracker', 'm099_future', 'x')"
        )
    return "was migrated by a newer smm-tracker (m099_future)"


def alert_kinds(config: Path) -> str:
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(config), "alerts", "--json"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("args", [(), ("--once",)])
def test_the_start_after_a_bad_file_moved_away_is_a_first_start(tmp_path, args):
    config = write_config(tmp_path, None)
    said = bad_file(tmp_path / "tracker.db", "garbage")
    refused = start(config, *args)
    assert refused.returncode == 1
    assert said in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert files(tmp_path) == ["tracker.db", "tracker.toml"]  # before: tracker.db.lock too

    (tmp_path / "tracker.db").rename(tmp_path / "elsewhere.bin")  # the right fix
    runner = CliRunner()
    doctor = runner.invoke(main, ["--config", str(config), "doctor"], env={"REFUSED_KEY": KEY})
    assert "will be created by the first run" in doctor.output  # before: "a tracker ran on it"
    once = start(config, "--once")  # the panel is down: exit 1, but it ran
    assert "store_created" not in once.stderr  # before: "a tracker ran on it before"
    assert "store_created" not in alert_kinds(config)
    assert "tracker.db.lock" in files(tmp_path)  # a tracker has run on this one now


@pytest.mark.parametrize("args", [(), ("--once",)])
@pytest.mark.parametrize("kind", ["foreign", "newer"])
def test_no_lock_file_is_left_by_a_database_of_another_kind(tmp_path, args, kind):
    config = write_config(tmp_path, None)
    said = bad_file(tmp_path / "tracker.db", kind)
    refused = start(config, *args)
    assert refused.returncode == 1 and said in refused.stderr
    assert "tracker.db.lock" not in files(tmp_path)


def test_a_lock_file_there_before_stays_as_it_was_and_a_real_move_is_still_told(tmp_path):
    config = write_config(tmp_path, None)
    start(config, "--once")  # a tracker ran here: its lock file stays
    lock = tmp_path / "tracker.db.lock"
    before = lock.read_bytes()
    assert b"\nrun --once\n" in before and before.endswith(b"\npanels=main\n")  # as a daemon's
    for path in tmp_path.glob("tracker.db*"):  # the database moved away...
        if path != lock:
            path.unlink()
    bad_file(tmp_path / "tracker.db", "garbage")  # ...and a wrong file put there
    refused = start(config)
    assert refused.returncode == 1 and "is not an SQLite database" in refused.stderr
    assert lock.read_bytes() == before  # not deleted, nor its content changed
    (tmp_path / "tracker.db").unlink()
    once = start(config, "--once")
    assert "store_created" in once.stderr  # as before this change
    assert "store_created" in alert_kinds(config)  # a tracker did run on the one moved


def _fail_migrations(monkeypatch, message: str) -> None:
    def migrate(self: Connection) -> None:
        raise sqlite3.OperationalError(message)

    monkeypatch.setattr(Connection, "_migrate", migrate)


@pytest.mark.parametrize("message", [FULL, READ_ONLY])
def test_a_run_once_refused_at_the_first_migration_leaves_no_lock_file(
    tmp_path, monkeypatch, message
):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})
    _fail_migrations(monkeypatch, message)
    result = cli("run", "--once")
    assert result.exit_code == 1
    assert "t.db.lock" not in files(tmp_path)  # before: left, store_created at the next start


@pytest.mark.parametrize("message", [FULL, READ_ONLY])
def test_a_daemon_stopped_while_waiting_for_its_database_leaves_no_lock_file(
    tmp_path, monkeypatch, message
):
    _fail_migrations(monkeypatch, message)
    config = config_from_dict(
        {
            "database": {"path": "t.db"},
            "panels": [{"name": "p", "url": "http://127.0.0.1:9/api/v2", "key": KEY}],
        },
        base_dir=tmp_path,
        env={},
    )
    signals = Signals()

    def stopped(_seconds: float) -> None:  # the SIGTERM while it waits
        signals.stop = True

    lock = DatabaseLock(config.database.path, tidy=True)
    service = Service(
        config,
        load=lambda: config,
        notifier=Notifier(None),
        lock=lock,
        signals=signals,
        sleep=stopped,
    )
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        with lock:
            assert lock_path(config.database.path).exists()  # held while it waits
            assert service.run()
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    assert "t.db.lock" not in files(tmp_path)


# --- the lock itself ---------------------------------------------------------------


def test_a_tidy_lock_keeps_its_file_once_a_database_was_opened(tmp_path):
    db = tmp_path / "t.db"
    with DatabaseLock(db, tidy=True):
        pass  # refused before opening one: nothing left
    assert not lock_path(db).exists()
    with DatabaseLock(db, tidy=True) as lock:
        lock.opened()
    assert lock_path(db).exists()  # a tracker ran on a database here
    with DatabaseLock(db):  # not tidy (the default): kept as ever
        pass
    assert lock_path(db).exists()


def test_a_run_waiting_for_a_lock_file_deleted_takes_the_new_one(tmp_path, monkeypatch):
    # The refused start deletes its lock file while a second run waits for it:
    # that run must lock the file at the path, not the deleted one, or a third
    # would make a new file and run beside it.
    db = tmp_path / "t.db"
    refused = DatabaseLock(db, tidy=True)
    refused.acquire()
    real_pause = lock_module._pause

    def released_meanwhile(seconds: float) -> None:
        if refused._fd is not None:
            refused.release()  # deletes the file, then lets the lock go
        real_pause(seconds)

    monkeypatch.setattr(lock_module, "_pause", released_meanwhile)
    waiting = DatabaseLock(db)
    waiting.acquire()
    try:
        assert lock_path(db).exists()
        with pytest.raises(AlreadyRunningError):  # the one daemon per database
            DatabaseLock(db).acquire()
    finally:
        waiting.release()
