"""Issue 12, point 9: read-only commands only read — they create no file and
work on read-only media — and a failed write names its real cause."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import socket
from collections import namedtuple
from pathlib import Path

import pytest
from simconfig import cli_in, sim_config

from tracker.errors import StoreError
from tracker.sim.server import PanelServer, SimulatedPanel

# doctor and `run --once` ask the offline panel (127.0.0.1:9, refused) in some
# tests: its retry's 1-2 s backoff is no part of what the database check says.
pytestmark = pytest.mark.usefixtures("quick_backoff")

KEY = "sim-key-ReadOnly4Media8Zx"

READ_COMMANDS = [
    ("orders",),
    ("orders", "--json"),
    ("history", "ORDER"),
    ("balance",),
    ("alerts",),
    ("services",),
    ("refills",),
    ("automation",),
    ("report",),
]


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """Yield (cli, data dir, an order ID): a database written by `run --once`, closed."""
    panel = SimulatedPanel(key=KEY, seed=7, speed=60.0)
    server = PanelServer(panel).start()
    data = tmp_path / "data"
    data.mkdir()
    config = sim_config(server.url, panel='timeout = "5s"').replace('"t.db"', '"data/t.db"')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    ids = panel.seed_orders(3)
    assert cli("track", *map(str, ids)).exit_code == 0
    assert cli("services", "--refresh").exit_code == 0
    assert cli("run", "--once").exit_code == 0
    # Each command is a process of its own in real use: its connections are
    # closed when it ends. In-process, a connection left to the garbage
    # collector would keep the -wal and -shm files until collected.
    gc.collect()
    yield cli, data, ids[0]
    server.stop()


def _unopenable(path: Path) -> None:
    """Put a file at ``path`` that SQLite cannot open (a UNIX socket: open()
    fails with ENXIO). A directory there is refused before SQLite is asked, as
    a config mistake; a socket is still a file the open fails on."""
    path.unlink()
    with contextlib.chdir(path.parent), socket.socket(socket.AF_UNIX) as sock:
        sock.bind(path.name)  # relative: a long test path past AF_UNIX's 108 bytes


def _snapshot(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}


def _commands(order_id: int) -> list[list[str]]:
    return [[str(order_id) if a == "ORDER" else a for a in cmd] for cmd in READ_COMMANDS]


def test_read_commands_create_no_file_and_change_nothing(setup):
    cli, data, order_id = setup
    before = _snapshot(data)
    assert sorted(before) == ["t.db", "t.db.lock"]  # closed cleanly: no -wal, no -shm
    for command in _commands(order_id):
        result = cli(*command)
        assert result.exit_code == 0, (command, result.output)
    assert _snapshot(data) == before


def test_a_missing_database_is_one_line_and_stays_missing(setup):
    cli, data, _ = setup
    for leftover in data.iterdir():
        leftover.unlink()
    for command in [
        ("orders",),
        ("balance",),
        ("alerts",),
        ("refills",),
        ("services",),
        ("automation",),
        ("report",),
        ("untrack", "5"),  # a write, but one that means nothing without orders
    ]:
        result = cli(*command)
        assert result.exit_code == 1
        also = "; or fetch the catalogue: smm-tracker services --refresh" * (
            command[0] == "services"
        )
        assert result.output.strip() == (
            f"smm-tracker: no database at {data / 't.db'} yet: "
            f"track or add an order, or start the daemon, first{also}"
        )
    assert list(data.iterdir()) == []


def test_services_without_a_database_names_its_refresh_that_makes_one(setup):
    # It said only "track or add an order, or start the daemon, first", though
    # `services --refresh` fetches the catalogue into a new database.
    cli, data, _ = setup
    for leftover in data.iterdir():
        leftover.unlink()
    result = cli("services")
    assert result.exit_code == 1
    assert result.output.strip().endswith(
        "start the daemon, first; or fetch the catalogue: smm-tracker services --refresh"
    )
    assert list(data.iterdir()) == []  # still nothing made


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through file modes")
def test_read_commands_work_on_a_read_only_directory(setup):
    cli, data, order_id = setup
    (data / "t.db").chmod(0o444)
    data.chmod(0o555)
    try:
        for command in _commands(order_id):
            result = cli(*command)
            assert result.exit_code == 0, (command, result.output)
        result = cli("track", "99")
        assert result.exit_code == 1
        assert "cannot write" in result.output
    finally:
        data.chmod(0o755)
        (data / "t.db").chmod(0o644)


# A write that fails is reported with what stops it. Root (the test user here)
# writes through file modes, and no test may mount a read-only filesystem: the
# filesystem's answers are faked, the failure itself is real (the database path
# is a directory, which SQLite cannot open).
StatVFS = namedtuple("StatVFS", "f_flag f_bavail")


@pytest.mark.parametrize(
    ("flag", "free", "cause"),
    [
        (os.ST_RDONLY, 100, "is read-only: the filesystem holding {dir} is mounted read-only"),
        (0, 0, "disk full while writing {db}: no space left on the disk holding {dir}"),
    ],
)
def test_a_failed_write_names_the_filesystem_cause(setup, monkeypatch, flag, free, cause):
    cli, data, _ = setup
    _unopenable(data / "t.db")
    real = os.statvfs
    monkeypatch.setattr(
        os, "statvfs", lambda p: StatVFS(flag, free) if Path(p) == data else real(p)
    )
    result = cli("track", "5")
    assert result.exit_code == 1
    # In the words the daemon's outage check knows (it waits; it does not exit).
    expected = cause.format(dir=data, db=data / "t.db")
    if expected.startswith("is read-only"):
        expected = f"database {data / 't.db'} {expected}"
    assert result.output.strip() == f"smm-tracker: {expected}"
    from tracker.jobs.health import unwritable

    assert unwritable(StoreError(result.output.strip().removeprefix("smm-tracker: ")))


def test_a_failed_write_names_the_file_nobody_may_write(setup, monkeypatch):
    cli, data, _ = setup
    _unopenable(data / "t.db")
    target = data / "t.db"
    real = os.access
    monkeypatch.setattr(
        os, "access", lambda p, m: False if (Path(p), m) == (target, os.W_OK) else real(p, m)
    )
    result = cli("track", "5")
    assert result.exit_code == 1
    assert f"cannot write {target} (owner " in result.output


def test_a_database_this_user_may_not_read_is_said_as_such(setup, monkeypatch):
    # A read command only reads: "cannot write" sent the user after the wrong fix.
    cli, data, _ = setup
    _unopenable(data / "t.db")
    target = data / "t.db"
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == target else real(p, mode))
    for command in [("orders",), ("track", "5")]:
        result = cli(*command)
        assert result.exit_code == 1
        assert f"cannot read {target} (owner " in result.output
        assert "cannot write" not in result.output


def test_a_directory_this_user_may_not_enter_is_one_line(setup, monkeypatch):
    # The database under /var/lib/private (0700, root's), asked by another user:
    # every stat inside it fails with EACCES, which Path.is_dir() raises.
    cli, data, _ = setup
    real_stat, real_access = Path.stat, os.access

    def stat(self: Path, *, follow_symlinks: bool = True) -> os.stat_result:
        if self.parent == data:
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(Path, "stat", stat)
    monkeypatch.setattr(os, "access", lambda p, m: False if Path(p) == data else real_access(p, m))
    closed = f"cannot enter {data} (owner "
    for command in [("orders",), ("track", "5"), ("report", "--database", str(data / "t.db"))]:
        result = cli(*command)
        assert result.exit_code == 1, (command, result.output)
        assert result.output.startswith("smm-tracker: cannot open database ")
        assert closed in result.output and len(result.output.splitlines()) == 1
    result = cli("doctor")
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if line.startswith("FAIL database: ")]
    assert closed in result.output


def test_a_database_name_the_filesystem_refuses_is_one_line(tmp_path, monkeypatch):
    # 300 bytes: past NAME_MAX (255), so every stat says ENAMETOOLONG.
    from simconfig import OFFLINE_CONFIG

    long = "a" * 300
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG.replace('"t.db"', f'"{long}.db"'))
    for command in [("orders",), ("track", "5")]:
        result = cli(*command)
        assert result.exit_code == 2, (command, result.output)
        said = f"smm-tracker: config {tmp_path / 'tracker.toml'}: at 'database.path': "
        assert result.output == said + "File name too long\n"
    result = cli("report", "--database", f"{long}.db")
    assert result.exit_code == 1 and "File name too long" in result.output
    result = cli("doctor")
    assert result.exit_code == 1
    assert f"FAIL database: File name too long: {tmp_path / long}.db" in result.output


def test_a_path_argument_the_filesystem_refuses_is_one_line(setup):
    cli, data, _ = setup
    long = "b" * 300
    for command in [("init", f"{long}.toml"), ("backup", f"{long}.db")]:
        result = cli(*command)
        assert result.exit_code == 2, (command, result.output)
        assert result.output.startswith("smm-tracker: File name too long: ")
        assert result.output.rstrip().endswith(long) or long + "." in result.output
        assert len(result.output.splitlines()) == 1
    # The config's path is said cut, with its length.
    result = cli("--config", long, "orders")
    assert result.exit_code == 2, result.output
    assert result.output.startswith("smm-tracker: config: config file ")
    assert result.output.rstrip().endswith("(from --config) is too long a path for the filesystem")
    assert long not in result.output and len(result.output.splitlines()) == 1


@pytest.mark.parametrize(
    "command",
    [*READ_COMMANDS, ("track", "5"), ("run", "--once"), ("doctor",), ("backup", "copy.db")],
)
def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path, monkeypatch, command):
    # A mistyped [database] path must not get the tracker's schema (or WAL
    # mode) added to someone else's file.
    import sqlite3

    from simconfig import OFFLINE_CONFIG, TEST_KEY

    other = sqlite3.connect(tmp_path / "t.db")
    other.execute("CREATE TABLE foo (x)")
    other.execute("INSERT INTO foo VALUES (1)")
    other.commit()
    other.close()
    before = _snapshot(tmp_path)
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})
    result = cli(*[("5" if a == "ORDER" else a) for a in command])
    assert result.exit_code != 0, result.output
    assert "is not an smm-tracker database (it holds other tables: foo)" in result.output
    after = _snapshot(tmp_path)
    after.pop("t.db.lock", None)  # run's own lock file, beside the database
    del after["tracker.toml"]
    assert after == before


@pytest.mark.parametrize("command", READ_COMMANDS)
def test_an_empty_file_is_no_database_yet_for_a_read_command(tmp_path, monkeypatch, command):
    from simconfig import OFFLINE_CONFIG

    (tmp_path / "t.db").write_bytes(b"")
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG)
    result = cli(*[("5" if a == "ORDER" else a) for a in command])
    assert result.exit_code == 1, result.output
    assert "no database at" in result.output
    assert (tmp_path / "t.db").read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.db", "tracker.toml"]
