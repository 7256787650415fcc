"""One daemon per database, whatever path leads to it: a hard link's other name.

The lock file ``<database>.lock`` is named by one path (symlinks resolved); a
hard link is another name of the same file, with a lock file of its own. The
database file's own flock (``service/lock_holder.py``) is the one lock every
name shares, and never disturbs SQLite's POSIX locks on the file.
"""

from __future__ import annotations

import fcntl
import os
import socket
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner
from test_hostile import config_text
from test_service_run import DEADLINE, Daemon

from tracker.cli.main import main
from tracker.service.lock import AlreadyRunningError, DatabaseLock
from tracker.service.lock_holder import DAEMON, ONCE
from tracker.service.lock_seen import holding, lock_path


def linked(tmp_path):
    """A database file and a hard link to it in another directory."""
    (tmp_path / "data").mkdir()
    (tmp_path / "other").mkdir()
    real = tmp_path / "data" / "t.db"
    real.touch()  # an empty file: SQLite's empty database
    link = tmp_path / "other" / "t.db"
    os.link(real, link)
    return real, link


def test_a_second_holder_through_a_hard_link_is_refused_naming_the_first(tmp_path):
    real, link = linked(tmp_path)
    with DatabaseLock(real, tidy=True):
        with pytest.raises(AlreadyRunningError) as caught:
            DatabaseLock(link, tidy=True).acquire()
        message = str(caught.value)
        assert f"pid {os.getpid()}" in message and str(link) in message
        assert f"lock: {lock_path(real)}" in message  # the holder's lock file
        assert "\n" not in message
        assert not lock_path(link).exists()  # a refused start makes nothing
        with pytest.raises(AlreadyRunningError):  # either way round
            DatabaseLock(real).acquire()
    with DatabaseLock(link):  # let go: the other name's turn
        with pytest.raises(AlreadyRunningError):
            DatabaseLock(real).acquire()


def test_holding_sees_a_run_through_another_name_of_the_file(tmp_path):
    # holding() (doctor, `alerts --resend`, the unit checks) looked only at
    # the lock file beside the name it was given: a daemon through a hard
    # link, its lock file beside the other name, was no run at all.
    real, link = linked(tmp_path)
    assert holding(link) is None and holding(real) is None
    with DatabaseLock(real):
        assert holding(link) == (os.getpid(), DAEMON)
        assert holding(real) == (os.getpid(), DAEMON)
        assert not lock_path(link).exists()  # looked at, never made
    with DatabaseLock(link, once=True):
        assert holding(real) == (os.getpid(), ONCE)
    assert holding(link) is None and holding(real) is None


def test_a_database_the_run_creates_is_locked_once_opened(tmp_path):
    db = tmp_path / "t.db"
    with DatabaseLock(db, tidy=True) as lock:  # no database yet: the run makes it
        sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.close()
        lock.opened()
        os.link(db, tmp_path / "again.db")
        with pytest.raises(AlreadyRunningError):
            DatabaseLock(tmp_path / "again.db").acquire()


def test_sqlites_own_locks_survive_the_lock_let_go(tmp_path):
    # Linux drops every POSIX lock a process holds on a file when it closes
    # any descriptor of it: the lock's descriptor on the database must not
    # be closed while a connection of this process holds one.
    db = tmp_path / "t.db"
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("CREATE TABLE t (x)")
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM t").fetchall()  # a SHARED lock (rollback journal)
    with DatabaseLock(db):
        pass
    writer = [
        sys.executable,
        "-c",
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=0, "
        "isolation_level=None); c.execute('BEGIN EXCLUSIVE')",
        str(db),
    ]
    done = subprocess.run(writer, capture_output=True, text=True, timeout=DEADLINE)
    assert done.returncode != 0 and "database is locked" in done.stderr
    reader.execute("COMMIT")
    reader.close()
    assert subprocess.run(writer, timeout=DEADLINE).returncode == 0  # free now


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOSTILE_KEY", "hostile-key-Hq3Zt9Lm2Vx8")
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    return dict(os.environ)


def test_a_second_daemon_through_a_hard_link_is_refused_and_reads_go_on(tmp_path, env):
    (tmp_path / "data").mkdir()
    (tmp_path / "other").mkdir()
    url = "http://127.0.0.1:9/api/v2"  # no panel: nothing is asked of one
    config = tmp_path / "tracker.toml"
    config.write_text(config_text(url, db="data/t.db"))
    daemon = Daemon(config, env)
    second = None
    try:
        daemon.wait_for("READY=1")
        os.link(tmp_path / "data" / "t.db", tmp_path / "other" / "t.db")
        aliased = tmp_path / "other" / "tracker.toml"  # its own daemon.log
        aliased.write_text(config_text(url, db=str(tmp_path / "other" / "t.db")))
        second = Daemon(aliased, env)
        assert second.proc.wait(timeout=DEADLINE) == 1
        said = second.output()
        assert f"the smm-tracker daemon (pid {daemon.proc.pid}) is using database" in said
        assert "stop it first" in said and "Traceback" not in said
        assert not lock_path(tmp_path / "other" / "t.db").exists()
        once = CliRunner().invoke(main, ["--config", str(aliased), "run", "--once"])
        assert once.exit_code == 1 and "is using database" in once.output
        # Read commands are never blocked (through the daemon's path: another
        # name has no -wal of its own, SQLite's WAL is named by the path).
        for command in (["orders"], ["alerts"], ["backup", str(tmp_path / "copy.db")]):
            read = CliRunner().invoke(main, ["--config", str(config), *command])
            assert read.exit_code == 0, read.output
        assert daemon.proc.poll() is None
        assert daemon.stop() == 0
    finally:
        daemon.close()
        if second is not None:
            second.close()


def test_the_port_taken_by_a_daemon_through_another_name_names_the_daemon(tmp_path):
    # One config copied with the other name: the metrics port is the first
    # thing the second daemon meets; what to do is the lock's (stop the first).
    from test_run_refused_start import start, write_config

    real, link = linked(tmp_path)
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        config = write_config(tmp_path, int(other.getsockname()[1]))
        config.write_text(config.read_text().replace('"tracker.db"', f'"{link}"'))
        with DatabaseLock(real):
            result = start(config)
    line = result.stderr.strip()
    assert result.returncode == 1 and "\n" not in line
    assert f"(pid {os.getpid()}) is using database {link}; stop it first" in line
    assert line.endswith(f"lock: {lock_path(real)})")  # the holder's lock file
    assert not lock_path(link).exists()


def test_where_flock_is_made_of_posix_locks_the_lock_file_alone_locks(tmp_path, monkeypatch):
    # NFS makes flock of POSIX locks: held on the database, it would block
    # SQLite's own locks (the daemon's too). Not so on a local filesystem.
    from tracker.service import lock_holder

    real, link = linked(tmp_path)
    fd = os.open(real, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert not lock_holder.posix_made(fd)
    finally:
        os.close(fd)
    monkeypatch.setattr(lock_holder, "posix_made", lambda fd: True)
    with DatabaseLock(real), DatabaseLock(link):  # as before: one lock file per name
        connection = sqlite3.connect(real, timeout=0)
        connection.execute("CREATE TABLE t (x)")  # SQLite's own locks: free
        connection.close()
