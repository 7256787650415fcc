"""A -wal kept aside beside the database (``NAME-wal.orphaned``, the daemon's
stop after the file was moved, deleted or replaced under it;
``NAME-wal.orphaned-<stamp>``, a start that found another database's): its
rows are in no database file. An operator moved the database back without it
and lost them; doctor never said a word of it. Now doctor warns of each,
`run` says it at start, `backup` and `prune` leave it as it is and `backup`
says its writes are not in the copy. The daemon's own stop is in
test_hostile.py (real daemons)."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from logcapture import fresh_logs  # noqa: F401  (fixture)

from tracker.cli.main import main
from tracker.clock import utcnow
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.orders import Store

KEY = "orphan-key-Qw3Er5Ty7Ui9"
CONFIG = """
[database]
path = "t.db"
[[panels]]
name = "sim"
url = "URL"
key_env = "SIM_KEY"
"""
WRITTEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _wal_with_order(tmp_path: Path, order: int) -> bytes:
    """Return the bytes of a -wal holding ``order`` tracked (committed, never
    checkpointed) over an empty tracker database, made apart in other.db."""
    other = tmp_path / "other" / "t.db"
    other.parent.mkdir()
    Store(other).close()
    keeper = sqlite3.connect(other)  # open: the store's close is not the last, no checkpoint
    keeper.execute("PRAGMA wal_autocheckpoint = 0")
    keeper.execute("SELECT count(*) FROM orders").fetchone()
    store = Store(other)
    store.track("sim", [order], utcnow())
    store.close()
    wal = Path(f"{other}-wal").read_bytes()
    keeper.close()
    return wal


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """A config, its database, and beside it the -wal the daemon
    kept (order 2), one a start kept aside, and one holding no write."""
    panel = SimulatedPanel(key=KEY, seed=1)
    server = PanelServer(panel).start()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.setenv("SIM_KEY", KEY)
    (tmp_path / "tracker.toml").write_text(CONFIG.replace("URL", server.url))
    wal = _wal_with_order(tmp_path, 2)
    db = tmp_path / "t.db"
    Store(db).close()
    kept = {
        tmp_path / "t.db-wal.orphaned": wal,
        tmp_path / "t.db-wal.orphaned-20261201T110000Z": wal,
        tmp_path / "t.db-wal.orphaned-2": b"",
    }
    for minutes, (path, data) in enumerate(kept.items()):
        path.write_bytes(data)
        stamp = WRITTEN.timestamp() + 60 * minutes
        os.utime(path, (stamp, stamp))
    yield db, kept
    server.stop()


def _cli(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output and KEY not in result.output
    return result


def _unchanged(kept: dict[Path, bytes]) -> None:
    assert {path: path.read_bytes() for path in kept} == kept  # never deleted nor changed


def test_doctor_warns_of_each_wal_kept_aside_with_its_size_time_and_what_to_do(setup):
    db, kept = setup
    result = _cli("doctor")
    assert result.exit_code == 0, result.output  # a warning: nothing at risk this moment
    lines = [line for line in result.output.splitlines() if "orphaned" in line]
    first, second, empty = kept
    size = len(kept[first])
    assert lines[0] == (
        f"warn database: {first} ({size} bytes, last written 2026-12-01 10:00 UTC) holds "
        f"the last writes of a database file that was at {db} (moved, replaced or deleted), "
        f"in no database file now: to keep them, stop the daemon and copy {first} beside "
        f"the database file it belongs to (the one moved away, or put back at {db}) as "
        f"that file's -wal ({db}-wal there) before anything opens it, then start the daemon "
        "again; after anything wrote to that file, or beside another database, SQLite "
        'reads it over pages it does not fit ("database disk image is malformed"). The '
        "tracker never deletes it: delete it yourself once you know its rows are not needed"
    )
    assert lines[1].startswith(f"warn database: {second} ({size} bytes, last written 2026-12-01")
    assert lines[2] == (
        f"warn database: {empty} (0 bytes, last written 2026-12-01 10:02 UTC) is a -wal "
        f"kept aside beside {db} that holds no write: nothing to put back; delete it"
    )
    assert len(lines) == 3
    _unchanged(kept)


def test_what_doctor_says_puts_the_rows_back(setup):
    db, kept = setup
    os.replace(db, db.with_name("copy.db"))  # as the file the daemon had open
    Store(db).close()  # the empty database it belonged to, as the -wal was written over
    Path(f"{db}-wal").write_bytes(kept[next(iter(kept))])  # "as that file's -wal"
    conn = sqlite3.connect(db)
    try:
        assert [r[0] for r in conn.execute("SELECT order_id FROM orders")] == [2]
    finally:
        conn.close()


@pytest.mark.usefixtures("fresh_logs")
def test_run_once_says_at_start_what_is_kept_aside_and_runs_on(setup):
    db, kept = setup
    result = _cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output  # it ran all the same
    assert "balance 100.00 USD" in result.output
    warned = [line for line in result.output.splitlines() if "orphaned_wal_found" in line]
    assert len(warned) == 3, result.output
    assert str(next(iter(kept))) in warned[0] and "to keep them, stop the daemon" in warned[0]
    _unchanged(kept)


def test_backup_makes_its_copy_and_says_what_is_not_in_it(setup, tmp_path):
    db, kept = setup
    result = _cli("backup", str(tmp_path / "copy.db"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "copy.db").exists()
    said = [line for line in result.output.splitlines() if line.startswith("warning:")]
    first = next(iter(kept))
    assert said[0].startswith(f"warning: not in the copy, left as it is: {first} (")
    assert len(said) == 3
    _unchanged(kept)


def test_prune_leaves_it_as_it_is(setup):
    db, kept = setup
    assert _cli("prune", "--older-than", "30d", "--yes").exit_code == 0
    _unchanged(kept)
