"""A run turned away by the database's lock says who holds it and what to do:
wait for a `run --once` (cron's runs overlapping), stop a daemon."""

from __future__ import annotations

import os
import subprocess
import sys

from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in

from tracker.service.lock import DatabaseLock, lock_path

# Holds the lock as an older smm-tracker did: its PID alone in the file.
OLD_HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, b"%d\\n" % os.getpid())
print("held", flush=True)
sys.stdin.read()
"""


def test_a_run_once_still_going_is_waited_for_not_stopped(tmp_path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})
    with DatabaseLock(tmp_path / "t.db", once=True):  # the minute before's cron run
        result = cli("run", "--once", "--due")
    assert result.exit_code == 1
    line = result.output.strip()
    assert f"another smm-tracker run --once (pid {os.getpid()}) is using database" in line
    assert "wait for it to end" in line and "stop it" not in line
    assert len(line.splitlines()) == 1


def test_a_daemon_is_to_be_stopped(tmp_path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})
    with DatabaseLock(tmp_path / "t.db"):  # `smm-tracker run`
        result = cli("run", "--once")
    assert result.exit_code == 1
    line = result.output.strip()
    assert f"the smm-tracker daemon (pid {os.getpid()}) is using database" in line
    assert "stop it first" in line and "wait for it" not in line


def test_an_older_holder_is_told_by_its_command_line(tmp_path, monkeypatch):
    # An smm-tracker from before wrote its PID alone: `run --once` read from
    # how that process was started.
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})
    args = [sys.executable, "-c", OLD_HOLDER, str(lock_path(tmp_path / "t.db")), "run", "--once"]
    holder = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        result = cli("run", "--once")
    finally:
        holder.communicate("", timeout=30)
    assert result.exit_code == 1
    assert f"another smm-tracker run --once (pid {holder.pid})" in result.output
    assert "wait for it to end" in result.output
