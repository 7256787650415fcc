"""A -wal kept aside beside the database (``NAME-wal.orphaned``, the daemon's
stop after the file was moved, deleted or replaced under it;
``NAME-wal.orphaned-<stamp>``, a start that found another database's): its
rows are in no database file. An operator moved the database back without it
and lost them; doctor never said a word of it. Now doctor warns of each,
`run` says it at start (at warning the first time, then at info), `backup`
and `prune` leave it as it is and `backup` says its writes are not in the
copy. The daemon's own stop is in test_hostile.py (real daemons)."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from logcapture import fresh_logs, json_entries  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.cli.main import main
from tracker.clock import utcnow
from tracker.config.load import config_from_dict
from tracker.errors import StoreError
from tracker.service.notify import Notifier
from tracker.service.process import Service
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.orders import Store
from tracker.store.orphans import tell_orphans

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


# --- told at warning once, not at every start --------------------------------
# From cron (``--log-level warning run --once`` every minute) each run warned
# of the same file again, a mail a minute until it was dealt with. The first
# start that finds a file (its name, size and time) warns; a later one, of the
# daemon or ``run --once``, says the same words at info; a file changed or new
# is warned of again. ``doctor`` says each one every time.

LATER = datetime(2026, 12, 2, 9, 30, tzinfo=UTC).timestamp()


def _run_once(*options: str) -> list[dict[str, Any]]:
    """Run ``run --once --all``; return its ``orphaned_wal_found`` lines."""
    result = _cli("--log-format", "json", *options, "run", "--once", "--all")
    assert result.exit_code == 0, result.output
    return [e for e in json_entries(result.output) if e.get("event") == "orphaned_wal_found"]


def _told(lines: list[dict[str, Any]]) -> dict[str, str]:
    return {Path(e["path"]).name: e["level"] for e in lines}


ALL = ["t.db-wal.orphaned", "t.db-wal.orphaned-20261201T110000Z", "t.db-wal.orphaned-2"]


@pytest.mark.usefixtures("fresh_logs")
def test_a_second_run_once_says_an_orphan_already_told_below_warning(setup):
    db, kept = setup
    assert _told(_run_once()) == dict.fromkeys(ALL, "warning")
    again = _run_once()
    assert _told(again) == dict.fromkeys(ALL, "info")  # never silent: each named
    first = again[0]
    assert first["path"] == str(db.with_name(ALL[0])) and "to keep them" in first["what"]
    assert _run_once("--log-level", "warning") == []  # cron's mail: nothing of them
    assert {path: path.read_bytes() for path in kept} == kept


@pytest.mark.usefixtures("fresh_logs")
def test_an_orphan_touched_grown_or_new_is_warned_of_again(setup):
    db, kept = setup
    first, second, empty = kept
    _run_once()
    os.utime(first, (LATER, LATER))  # touched: its time alone changed
    written = second.stat().st_mtime
    second.write_bytes(kept[second] + b"\0" * 8)  # grown, its time as it was
    os.utime(second, (written, written))
    db.with_name("t.db-wal.orphaned-3").write_bytes(b"")
    assert _told(_run_once()) == {
        first.name: "warning",
        second.name: "warning",
        empty.name: "info",
        "t.db-wal.orphaned-3": "warning",
    }
    assert set(_told(_run_once()).values()) == {"info"}


def test_doctor_warns_of_each_at_every_look_after_a_run_told_it(setup):
    _run_once()
    _run_once()
    for _ in range(2):
        result = _cli("doctor")
        said = [line for line in result.output.splitlines() if "orphaned" in line]
        assert len(said) == 3 and all(line.startswith("warn database: ") for line in said)


@pytest.mark.usefixtures("fresh_logs")
def test_the_daemon_warns_at_its_first_start_then_at_info_after_a_restart(tmp_path):
    config = config_from_dict(
        {
            "database": {"path": "t.db"},
            "panels": [{"name": "p", "url": "http://127.0.0.1:9/api/v2", "key": "k" * 12}],
        },
        base_dir=tmp_path,
        env={},
    )
    (tmp_path / "t.db-wal.orphaned").write_bytes(b"")
    levels = []
    for _ in range(3):  # a start, a restart, another
        service = Service(config, load=lambda: config, notifier=Notifier(None))
        with capture_logs() as logs:
            generation = service._build(config)
        generation.close()
        levels.append([e["log_level"] for e in logs if e["event"] == "orphaned_wal_found"])
    assert levels == [["warning"], ["info"], ["info"]]


@pytest.mark.usefixtures("fresh_logs")
def test_a_database_that_cannot_say_what_was_told_warns_as_before(tmp_path):
    class Busy:
        def rows(self, *args: Any) -> Any:
            raise StoreError("database t.db is busy (another process holds a write lock)")

    (tmp_path / "t.db-wal.orphaned").write_bytes(b"")
    now = datetime(2026, 12, 7, tzinfo=UTC)
    with capture_logs() as logs:
        found = tell_orphans(tmp_path / "t.db", Busy(), now)  # type: ignore[arg-type]
    assert [o.path.name for o in found] == ["t.db-wal.orphaned"]
    assert [e["log_level"] for e in logs if e["event"] == "orphaned_wal_found"] == ["warning"]
