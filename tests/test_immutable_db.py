"""A database file made immutable (``chattr +i``) or append-only
(``chattr +a``): no one may write it, root included, and no mode change
helps; said so, where "user root cannot write FILE (mode 0644)" blamed the
mode. Needs root and a filesystem with inode flags: skipped elsewhere."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.store.causes import write_cause


def chattr(flag: str, path: Path) -> bool:
    """Run ``chattr FLAG PATH``; True when it took."""
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        return False
    done = subprocess.run(["chattr", flag, str(path)], capture_output=True, check=False)
    return done.returncode == 0


@pytest.fixture(params=[("+i", "immutable (chattr +i)"), ("+a", "append-only (chattr +a)")])
def pinned_db(tmp_path, monkeypatch, request) -> Iterator[tuple[object, Path, str]]:
    """Yield (cli, the database, the words): a database tracking order 5, its flag set."""
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG)
    assert cli("track", "5").exit_code == 0
    gc.collect()  # its connection closed, the -wal and -shm files gone
    db = tmp_path / "t.db"
    flag, words = request.param
    if not chattr(flag, db):
        pytest.skip(f"chattr {flag} needs root and a filesystem with inode flags")
    try:
        yield cli, db, words
    finally:
        chattr(flag.replace("+", "-"), db)


def test_a_pinned_database_is_said_so_not_blamed_on_its_mode(pinned_db):
    cli, db, words = pinned_db
    assert (
        write_cause(db) == f"{db} is {words}: root's `chattr -{words[-2]} {db}` lets it be written"
    )
    result = cli("track", "6")
    assert result.exit_code == 1
    assert f"{db} is {words}" in result.output
    assert "cannot write" not in result.output
    assert "mode 0" not in result.output


def test_doctor_says_a_pinned_database_is_so(pinned_db):
    cli, db, words = pinned_db
    result = cli("doctor")
    line = next(line for line in result.output.splitlines() if "database" in line)
    assert line.startswith("FAIL"), result.output
    assert f"{db} is {words}" in line
