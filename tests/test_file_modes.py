"""Who else on the machine can read what the tracker leaves there: the database
(order links, spend) and its -wal, -shm and backups are its owner's alone
whatever the umask, and `doctor` warns of a database every user may read or
kept in a directory every user may write (/tmp)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli.main import main
from tracker.store.connection import Connection

KEY = "modes-key-Qw3Er5Ty7Ui9"
LINK = "https://instagram.com/p/private-post"


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask of a shell: files made 0644 unless asked otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_config(directory: Path, database: str = "t.db") -> Path:
    config = directory / "tracker.toml"
    config.write_text(
        f'[database]\npath = "{database}"\n[[panels]]\nname = "main"\n'
        'url = "http://127.0.0.1:9/api/v2"\nkey_env = "MODES_KEY"\ntimeout = "2s"\n'
        "retries = 0\n"
    )
    return config


def tracker(config: Path, *args: str):
    return CliRunner().invoke(
        main, ["--config", str(config), *args], env={"MODES_KEY": KEY}, catch_exceptions=False
    )


def test_the_database_its_wal_and_its_backup_are_readable_by_their_owner_alone(tmp_path, umask_022):
    # Under umask 022 the database came out 0644, and SQLite gives its -wal
    # and -shm the file's mode: every local user could read the links and
    # charges, and `backup` copied the mode.
    config = write_config(tmp_path)
    assert tracker(config, "track", "101", "102").exit_code == 0
    database = tmp_path / "t.db"
    store = Connection(database)  # a writer holds the -wal and -shm open
    try:
        with store.write() as db:
            db.execute("UPDATE orders SET link = ? WHERE order_id = 101", [LINK])
        beside = {p.name: mode(p) for p in tmp_path.glob("t.db*")}
        assert beside == {"t.db": 0o600, "t.db-wal": 0o600, "t.db-shm": 0o600}
    finally:
        store.close()
    assert tracker(config, "backup", str(tmp_path / "copy.db")).exit_code == 0
    assert mode(tmp_path / "copy.db") == 0o600


def test_a_database_already_there_keeps_the_mode_its_owner_gave_it(tmp_path, umask_022):
    # Shared on purpose with a group (the dashboard run by another account):
    # the tracker never changes an existing file's mode, nor a link's target.
    config = write_config(tmp_path, "link.db")
    real = tmp_path / "real.db"
    assert tracker(config, "track", "101").exit_code == 0
    (tmp_path / "link.db").rename(real)
    real.chmod(0o640)
    (tmp_path / "link.db").symlink_to(real)
    assert tracker(config, "track", "102").exit_code == 0
    assert (tmp_path / "link.db").is_symlink() and mode(real) == 0o640


def doctor_warnings(config: Path) -> list[str]:
    result = tracker(config, "doctor")
    assert KEY not in result.output
    return [line for line in result.output.splitlines() if line.startswith("warn database")]


def test_doctor_warns_of_a_database_every_user_may_read(tmp_path, umask_022):
    config = write_config(tmp_path)
    assert tracker(config, "track", "101").exit_code == 0
    database = tmp_path / "t.db"
    assert doctor_warnings(config) == []
    database.chmod(0o644)  # made by an earlier version under umask 022
    assert doctor_warnings(config) == [
        f"warn database: database {database} is readable by every user (mode 0644): its "
        f"order links and spend are anyone's to read: chmod 600 {database} {database}-wal "
        f"{database}-shm (a database the tracker creates is 0600)"
    ]
    database.chmod(0o640)  # a group of the owner's choosing: not every user
    assert doctor_warnings(config) == []


@pytest.mark.parametrize("directory_mode", [0o1777, 0o777], ids=["sticky", "open"])
def test_doctor_warns_of_a_database_in_a_directory_every_user_may_write(
    tmp_path, umask_022, directory_mode
):
    # Another user creates /tmp/t.db (or its -wal) first, mode 0666: the
    # tracker writes every link and charge into a file that user owns.
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(directory_mode)
    config = write_config(tmp_path, "shared/t.db")
    lines = doctor_warnings(config)  # said before the first run creates it
    assert len(lines) == 1
    assert lines[0].startswith(
        f"warn database: database directory {shared} is writable by every user "
        f"(mode {directory_mode:04o}): another user can create the database"
    )
    shared.chmod(0o755)
    assert doctor_warnings(config) == []
