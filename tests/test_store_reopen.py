"""A database SQLite opened read-only (its file not writable by the daemon's
user) is opened again once it is writable: writes come back without a restart.
Run as another user in a forked child: root writes any file whatever its mode."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

from tracker.clock import utcnow
from tracker.errors import StoreError
from tracker.store.orders import Store

NOBODY = 65534

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or os.geteuid() != 0, reason="needs root, to be another user"
)


def _as_nobody(path: str) -> dict:
    """In a forked child running as nobody, with the database file mode 0444:
    write (refused), make it writable, write again; return what happened."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: everything it needs is imported already
        os.close(reader)
        said: dict = {}
        try:
            os.setuid(NOBODY)
            store = Store(path)
            try:
                store.track("p", [2], utcnow())
                said["first"] = "written"
            except StoreError as exc:
                said["first"] = str(exc)
            # SQLite made the -wal and -shm with the file's mode: all three
            # are fixed, as the message about each tells.
            for name in (path, f"{path}-wal", f"{path}-shm"):
                if os.path.exists(name):
                    os.chmod(name, 0o644)
            try:
                store.track("p", [3], utcnow())
                said["second"] = "written"
            except StoreError as exc:
                said["second"] = str(exc)
            store.close()
        except BaseException as exc:  # anything else: said, not a hung test
            said["error"] = repr(exc)
        os.write(writer, json.dumps(said).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as got:
        answer = got.read()
    os.waitpid(pid, 0)
    return json.loads(answer)


@pytest.fixture
def shared_dir():
    """A directory nobody may enter (pytest's own tmp_path is root's alone)."""
    made = Path(tempfile.mkdtemp(prefix="smm-reopen-", dir="/tmp"))
    yield made
    shutil.rmtree(made, ignore_errors=True)


def test_a_database_made_writable_again_is_written_without_a_restart(shared_dir):
    tmp_path = shared_dir
    path = tmp_path / "t.db"
    store = Store(path)
    store.track("p", [1], utcnow())
    store.close()
    os.chown(tmp_path, NOBODY, -1)
    os.chown(path, NOBODY, -1)
    path.chmod(0o444)
    said = _as_nobody(str(path))
    assert said.get("first", "").endswith(
        f"is read-only: user nobody cannot write {path} (owner nobody, mode 0444)"
    ), said
    assert said.get("second") == "written", said
    conn = sqlite3.connect(path)
    try:
        ids = [r[0] for r in conn.execute("SELECT order_id FROM orders ORDER BY order_id")]
    finally:
        conn.close()
    assert ids == [1, 3]
