"""One daemon per database: the flock on <db>.lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in, sim_config

from tracker.errors import StoreError, TrackerError
from tracker.service.lock import DAEMON, AlreadyRunningError, DatabaseLock
from tracker.service.lock_seen import holding, lock_path
from tracker.sim.server import PanelServer, SimulatedPanel


def test_lock_file_sits_next_to_the_database(tmp_path):
    assert lock_path(tmp_path / "t.db") == tmp_path / "t.db.lock"


def test_a_second_holder_is_refused_naming_the_first(tmp_path):
    db = tmp_path / "t.db"
    with DatabaseLock(db):
        # flock locks belong to an open file: a second open conflicts even in
        # one process, exactly as a second daemon would.
        with pytest.raises(AlreadyRunningError) as caught:
            DatabaseLock(db).acquire()
    message = str(caught.value)
    assert f"pid {os.getpid()}" in message and str(db) in message
    assert "\n" not in message


def test_released_lock_can_be_taken_again_and_the_file_stays(tmp_path):
    db = tmp_path / "t.db"
    with DatabaseLock(db):
        pass
    assert lock_path(db).exists()  # never deleted: deleting lock files races
    with DatabaseLock(db):
        pass


def test_other_databases_are_independent(tmp_path):
    with DatabaseLock(tmp_path / "a.db"), DatabaseLock(tmp_path / "b.db"):
        pass


def test_missing_directory_is_one_clear_line(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        DatabaseLock(tmp_path / "nope" / "t.db").acquire()


def test_memory_database_needs_no_lock(tmp_path):
    with DatabaseLock(Path(":memory:")), DatabaseLock(Path(":memory:")):
        pass


def test_an_existing_lock_file_on_a_read_only_filesystem_still_locks(tmp_path, monkeypatch):
    # The daemon must start (and wait for its database to be writable, with an
    # alert) rather than exit: opening the lock file for writing fails on a
    # read-only mount, but a read-only descriptor still takes the flock.
    import errno

    db = tmp_path / "t.db"
    with DatabaseLock(db):
        pass  # the lock file exists, as after any earlier run
    real_open = os.open

    def read_only_mount(path, flags, *args):
        if flags & (os.O_RDWR | os.O_WRONLY):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only_mount)
    with DatabaseLock(db):
        with pytest.raises(AlreadyRunningError):
            DatabaseLock(db).acquire()
    fresh = tmp_path / "new.db"  # no lock file yet: nothing to lock with
    with pytest.raises(Exception, match="cannot create lock file .*Read-only file system"):
        DatabaseLock(fresh).acquire()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can leave a file the service cannot open")
@pytest.mark.usefixtures("quick_backoff")  # the panel down: its 4 retries, 10 ms apart
def test_run_as_root_leaves_the_lock_file_to_the_services_user(tmp_path, monkeypatch):
    # `sudo smm-tracker --config /etc/smm-tracker/config.toml run --once` while
    # the unit is stopped: a root-owned 0600 lock file in its StateDirectory
    # would stop the service's user from ever starting (and systemd restarting
    # it in a loop). SQLite hands -wal and -shm to the database's owner the
    # same way.
    state = tmp_path / "state"
    state.mkdir()
    cli = cli_in(
        tmp_path,
        monkeypatch,
        OFFLINE_CONFIG.replace('"t.db"', '"state/t.db"'),
        env={"SMM_TEST_KEY": TEST_KEY},
    )
    assert cli("track", "5").exit_code == 0
    os.chown(state / "t.db", 65534, 65534)
    os.chown(state, 65534, 65534)
    cli("run", "--once")  # the panel is down: exit 1, but the lock was taken
    lock = lock_path(state / "t.db")
    assert lock.exists()
    assert (lock.stat().st_uid, lock.stat().st_gid) == (65534, 65534)


@pytest.mark.skipif(os.geteuid() != 0, reason="the harm needs root: another user's file")
@pytest.mark.parametrize("link", ["symlink", "hard link"])
def test_a_lock_path_planted_as_a_link_is_not_handed_over(tmp_path, link):
    # The database directory belongs to the service's user; `sudo smm-tracker
    # run --once` must not let that user turn <db>.lock into a link to a file
    # of root's and get it chowned to them.
    state = tmp_path / "state"
    state.mkdir()
    os.chown(state, 65534, 65534)
    victim = tmp_path / "root-only"
    victim.write_text("precious\n")
    victim.chmod(0o600)
    planted = lock_path(state / "t.db")
    if link == "symlink":
        planted.symlink_to(victim)
    else:
        os.link(victim, planted)
    lock = DatabaseLock(state / "t.db")
    if link == "symlink":  # never opened through one: nothing of the target touched
        with pytest.raises(TrackerError, match=r"t\.db\.lock is a symbolic link: remove it"):
            lock.acquire()
    else:  # locked, but neither handed over nor emptied for the PID hint
        lock.acquire()
        lock.release()
    assert (victim.stat().st_uid, victim.stat().st_gid) == (0, 0)
    assert victim.read_text() == "precious\n"


# --- a lock file deleted under the daemon ------------------------------------------


def test_a_deleted_lock_file_is_locked_again_by_its_holder(tmp_path):
    # The "already running" message names the lock file: `rm` of it let a
    # second daemon in, both writing to the database.
    db = tmp_path / "t.db"
    with DatabaseLock(db) as held:
        lock_path(db).unlink()
        assert held.kept() is None  # locked again, at the same path
        assert lock_path(db).exists()
        with pytest.raises(AlreadyRunningError):
            DatabaseLock(db).acquire()
        assert held.kept() is None  # nothing to do while the path is its file


def test_a_lock_taken_by_another_run_after_its_file_was_deleted_stops_the_first(tmp_path):
    db = tmp_path / "t.db"
    with DatabaseLock(db) as first:
        lock_path(db).unlink()
        with DatabaseLock(db):  # a second run, started in between
            reason = first.kept()
    assert reason is not None and "was deleted and then taken" in reason


def test_a_deleted_lock_file_that_cannot_be_created_again_stops_nothing(tmp_path, monkeypatch):
    # The directory made read-only after the rm: nobody took the lock, yet
    # the daemon stopped saying "another smm-tracker run is using the
    # database" (and its restart then failed to create the lock file).
    db = tmp_path / "t.db"
    with DatabaseLock(db) as held:
        lock_path(db).unlink()

        def refuse(*_args: object, **_kwargs: object) -> int:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr("tracker.service.lock.os.open", refuse)
        assert held.kept() is None
        monkeypatch.undo()
        assert held.kept() is None  # created and locked again once it can be
        assert lock_path(db).exists()
        with pytest.raises(AlreadyRunningError):
            DatabaseLock(db).acquire()


def _lock_file_holder(lock: Path) -> tuple[int | None, str | None] | None:
    """What the holder of the lock file itself wrote; None while no process
    holds it (holding() also finds a run by the database file's flock)."""
    import fcntl

    from tracker.service.lock_holder import read_holder

    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return read_holder(fd)
    finally:
        os.close(fd)
    return None


def test_the_daemon_locks_its_deleted_lock_file_again(tmp_path):
    panel = SimulatedPanel(key=TEST_KEY, seed=3)
    server = PanelServer(panel).start()
    config = tmp_path / "tracker.toml"
    config.write_text(sim_config(server.url, key_env="SMM_TEST_KEY", json_logs=True))
    env = {**os.environ, "SMM_TEST_KEY": TEST_KEY, "SMM_TRACKER_CONFIG": str(config)}
    env.pop("NOTIFY_SOCKET", None)
    command = [sys.executable, "-m", "tracker", "run"]
    daemon = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.DEVNULL)
    try:
        lock = lock_path(tmp_path / "t.db")
        # Waited for until the daemon holds the file there, its PID written:
        # a file merely there may be one the daemon created and has not
        # locked yet, which a `run --once` started then could take first.
        ours = (daemon.pid, DAEMON)
        deadline = time.monotonic() + 20
        while not (holding(tmp_path / "t.db") == ours and (tmp_path / "t.db").exists()):
            assert daemon.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        lock.unlink()
        # The daemon looks every second: wait for it to hold a file there again
        # (a fixed 2.5 s was too short for a daemon starved on a loaded host), bounded.
        deadline = time.monotonic() + 20
        while _lock_file_holder(lock) != ours and daemon.poll() is None:
            assert time.monotonic() < deadline, "the lock file was never locked again"
            time.sleep(0.05)
        assert lock.exists() and daemon.poll() is None
        second = subprocess.run(
            [*command, "--once"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 1 and "is using database" in second.stderr
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
        server.stop()


def test_a_glance_at_the_lock_does_not_turn_a_starting_daemon_away(tmp_path, monkeypatch):
    """A command's look at who holds the lock (``holder``: a shared lock let go
    at once) at the moment the daemon starts: the daemon waits it out."""
    import fcntl

    from tracker.service import lock

    db = tmp_path / "t.db"
    with DatabaseLock(db):  # the lock file exists, as after any run
        pass
    glance = os.open(lock_path(db), os.O_RDONLY)
    fcntl.flock(glance, fcntl.LOCK_SH | fcntl.LOCK_NB)  # holding(), mid-look
    looks = []

    def pause(seconds):  # the look ends while the daemon waits
        looks.append(seconds)
        if len(looks) == 1:
            os.close(glance)

    monkeypatch.setattr(lock, "_pause", pause, raising=False)
    taken = DatabaseLock(db)
    taken.acquire()  # was: AlreadyRunningError "another process"
    try:
        assert looks == [lock._PAUSE]
        with pytest.raises(AlreadyRunningError):  # a real holder is still refused
            DatabaseLock(db).acquire()
        assert len(looks) > 1  # after waiting GLANCE for it
    finally:
        taken.release()
