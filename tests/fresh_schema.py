"""A brand-new database gets its schema as the migrations left it, made once
per test process: in-process tests open thousands of fresh databases
(``tmp_path``'s), and running every migration on each (sqlite-utils looking
up tables and recording each one) took 60-250 ms an open on this machine,
a copy of the schema ~7 ms: the writer's property tests
(test_answers_turned, test_answers_save_nulls, test_store) 214 s -> 81 s
on a loaded machine, the whole clean-clone suite 319 s -> 288 s on a quiet
one with 100 tests more.

The schema is the real migrations' own: they run once per process, on a
template, and its dump (tables, their rows, indexes, views, triggers) is
what a fresh database gets, in the open's own transaction. Anything but a
fresh database (an older schema, ``stop_before``, a test replacing
``apply``) goes through the real migrations as before; so does a test
marked ``real_migrations`` (none needs it yet)."""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from tracker.store.migrations import migrations

_real_apply = migrations.apply
_dump: list[str] = []
cached = [True]  # False: every open migrates for real (the marker's fixture)


def _schema() -> list[str]:
    """The statements that make a fresh database what the migrations make it."""
    if not _dump:
        with tempfile.TemporaryDirectory() as folder:
            db = Database(Path(folder) / "template.db")
            _real_apply(db)
            skip = {"BEGIN TRANSACTION;", "COMMIT;"}
            _dump.extend(s for s in db.conn.iterdump() if s not in skip)
            db.close()
    return _dump


def _is_fresh(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is None


def _apply(db: Database, *args: Any, **kwargs: Any) -> None:
    if cached[0] and not args and not kwargs and _is_fresh(db.conn):
        for statement in _schema():
            db.conn.execute(statement)
        return
    _real_apply(db, *args, **kwargs)


migrations.apply = _apply  # type: ignore[method-assign]


_closed_fresh: list[Path] = []


def fresh_file(path: Path) -> None:
    """Make ``path`` a database file as a Store opening it new and closing it
    leaves it (no -wal, no -shm beside it), copied from one made so once per
    process: for property tests wanting a new database per example, whose
    open, schema and close took ~50 ms an example, the copy ~1 ms."""
    from tracker.store.orders import Store

    if not _closed_fresh:
        folder = Path(tempfile.mkdtemp(prefix="fresh-schema-"))
        atexit.register(shutil.rmtree, folder, True)
        Store(folder / "fresh.db").close()
        _closed_fresh.append(folder / "fresh.db")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(_closed_fresh[0], path)
