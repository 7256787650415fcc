"""doctor after a reload that moved ``database.path``: the daemon keeps the
database it started on until restarted (the reload fails, "restart to use
another database"), and doctor, reading the config, checked the new path
alone: an empty place, with no word of the daemon still writing the old
file (walkd99). Now a daemon running with this config (its command line's
``--config``) and holding another database's lock (its open lock file, the
PID and ``run`` written in it) is a warn line naming both paths. A
temporary directory stands in for /proc (SMM_TRACKER_PROC): no test reads
this machine's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from key_fixes import SYSTEM_CGROUP

from tracker.cli.main import main
from tracker.service.lock import DatabaseLock

pytestmark = pytest.mark.usefixtures("quick_backoff")

CONFIG = """
[database]
path = "new.db"
[[panels]]
name = "main"
url = "http://127.0.0.1:9/api/v2"
key = "k-Gh4Jk8Lm2Np6"
"""


def _proc(tmp_path: Path, argv: list[str], held: Path | None) -> Path:
    """A /proc holding this process as a ``run`` of ``argv``, its open files
    the lock file of ``held`` (None: none)."""
    proc = tmp_path / "proc"
    me = proc / str(os.getpid())
    (me / "fd").mkdir(parents=True, exist_ok=True)
    (me / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (me / "cwd").symlink_to(tmp_path)
    if held is not None:
        (me / "fd" / "3").symlink_to(held.with_name(held.name + ".lock"))
    (me / "fd" / "4").symlink_to("socket:[12345]")  # not a file: passed over
    return proc


def _doctor(tmp_path: Path, argv: list[str], running_on: str, *, once: bool = False) -> list[str]:
    """doctor's lines with this process as a daemon of ``argv`` running on
    ``running_on`` (a file in tmp_path)."""
    config = tmp_path / "tracker.toml"
    config.write_text(CONFIG)
    database = tmp_path / running_on
    proc = _proc(tmp_path, argv, database)
    env = {"SMM_TRACKER_PROC": str(proc), "SMM_TRACKER_UNIT_PATH": str(tmp_path / "no-units")}
    with DatabaseLock(database, once=once):  # the daemon: this process's PID
        output = CliRunner().invoke(main, ["--config", str(config), "doctor"], env=env).output
    assert "Traceback" not in output
    return output.splitlines()


def _daemon(config: Path) -> list[str]:
    return ["/opt/smm-tracker/venv/bin/python3.11", "/opt/smm-tracker/venv/bin/smm-tracker"] + [
        "--config",
        str(config),
        "run",
    ]


def test_a_daemon_still_on_the_old_database_is_named_beside_the_new_path(tmp_path: Path) -> None:
    lines = _doctor(tmp_path, _daemon(tmp_path / "tracker.toml"), "old.db")
    moved = [line for line in lines if "still writes" in line]
    old, new = tmp_path / "old.db", tmp_path / "new.db"
    assert moved == [
        f"warn database: the smm-tracker daemon (pid {os.getpid()}) running with this config "
        f"still writes {old}, not {new}, which the config names now (a reload cannot move the "
        "database): restart to move (no smm-tracker.service installed: stop `smm-tracker run` "
        f"where it runs and start it again); {old} stays as it is: to go on with its orders, "
        f"stop the daemon, move {old} (with its -wal) to {new}, then start it"
    ]
    assert lines.index(moved[0]) == 2  # after the config's and the new path's own lines


def test_a_relative_config_is_read_from_the_daemons_directory(tmp_path: Path) -> None:
    lines = _doctor(tmp_path, ["smm-tracker", "run", "--config=tracker.toml"], "old.db")
    assert [line for line in lines if "still writes" in line]


def test_a_daemon_on_the_configs_database_is_no_news(tmp_path: Path) -> None:
    lines = _doctor(tmp_path, _daemon(tmp_path / "tracker.toml"), "new.db")
    assert not [line for line in lines if "still writes" in line]


def test_a_daemon_of_another_config_is_no_news(tmp_path: Path) -> None:
    other = tmp_path / "shop2.toml"
    other.write_text(CONFIG)
    lines = _doctor(tmp_path, _daemon(other), "old.db")
    assert not [line for line in lines if "still writes" in line]


def test_a_run_once_is_no_daemon(tmp_path: Path) -> None:
    argv = [*_daemon(tmp_path / "tracker.toml"), "--once"]
    lines = _doctor(tmp_path, argv, "old.db", once=True)
    assert not [line for line in lines if "still writes" in line]


def test_the_restart_is_the_units_that_runs_it(tmp_path: Path) -> None:
    (tmp_path / "proc" / str(os.getpid())).mkdir(parents=True)
    (tmp_path / "proc" / str(os.getpid()) / "cgroup").write_text(SYSTEM_CGROUP)
    lines = _doctor(tmp_path, _daemon(tmp_path / "tracker.toml"), "old.db")
    (moved,) = [line for line in lines if "still writes" in line]
    assert "restart to move (`systemctl restart smm-tracker`)" in moved
