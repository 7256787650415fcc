"""prune keeps the alert_state rows of the panels the running daemon has
loaded, not those its config file names now (ux187).

ux183 read the daemon's config file (its lock file's ``config=``) as it is
now: a panel taken out of the file, the daemon not reloaded yet and still
running it, lost its marks (a quirk told again, an open episode
forgotten). The daemon's lock file now names the panels it has loaded
(``panels=``), at its start and again at each reload; prune reads that
first. A ``run --once`` (cron's) still counts for nothing: it lasts seconds,
and a prune a moment after it would find none running."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from test_prune import EXPECTED, setup, shown  # noqa: F401  (fixture)
from test_prune_gone_panels import _kept, _marked, _said
from test_prune_run_urls import URL

import tracker.service.process as process
from tracker.cli.main import main
from tracker.service.lock import DatabaseLock
from tracker.service.lock_holder import Said, read_said, said_lines

WENT = {table: rows for table, rows in EXPECTED.items() if rows}  # as _said reads them


def _config(db: Path, *panels: str) -> str:
    text = f'[database]\npath = "{db}"\n'
    for name in panels:
        text += f'[[panels]]\nname = "{name}"\nurl = "{URL}"\nkey = "{name}-key-a1b2c3d4e5"\n'
    return text


@pytest.mark.usefixtures("fresh_logs")
def test_a_panel_the_daemon_still_runs_keeps_its_rows_until_a_reload_drops_it(
    setup,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    cli, db = setup  # this prune's config names panel sim alone
    _marked(db, "sim", "new", "gone")
    theirs = tmp_path / "etc" / "daemon.toml"  # the daemon's: sim and new (no order yet)
    theirs.parent.mkdir()
    theirs.write_text(_config(db, "sim", "new"))
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    lock_file = db.with_name("t.db.lock")
    seen: dict[str, Any] = {}

    class Reloaded(process.Service):
        def run(self) -> bool:  # the daemon: its first generation, an edit, a reload
            first = self._build(self.config)
            try:
                seen["start"] = lock_file.read_text()
                theirs.write_text(_config(db, "sim"))  # new taken out, not reloaded yet
                seen["edited"] = cli("prune", "--older-than", "365d", "--yes")
                seen["edited_kept"] = _kept(db)
                again = self._reload()
                assert again is not None
                again.close()
                seen["reloaded"] = lock_file.read_text()
                seen["after"] = cli("prune", "--older-than", "365d", "--yes")
                seen["after_kept"] = _kept(db)
            finally:
                first.close()
            return True

    monkeypatch.setattr(process, "Service", Reloaded)
    ran = main.main(["--config", str(theirs), "run"], standalone_mode=False)
    assert ran is None
    pid = os.getpid()
    assert seen["start"] == f"{pid}\nrun\npanel=\nconfig={theirs}\npanels=sim,new\n"
    edited = seen["edited"]
    assert edited.exit_code == 0, edited.output
    assert _said(edited.output) == {**WENT, "alert_state": 4}, edited.output  # gone's alone
    kept = seen["edited_kept"]
    assert kept["new"] == 4 and "gone" not in kept, kept  # was: new's 4 deleted too
    assert seen["reloaded"] == f"{pid}\nrun\npanel=\nconfig={theirs}\npanels=sim\n"
    after = seen["after"]
    assert after.exit_code == 0, after.output
    assert _said(after.output) == {"alert_state": 4}, after.output  # the daemon runs new no more
    assert "new" not in seen["after_kept"] and "sim" in seen["after_kept"]


def test_a_run_once_holding_the_database_keeps_no_panel_of_its_own(setup, tmp_path):  # noqa: F811
    cli, db = setup
    _marked(db, "new")
    with DatabaseLock(db, once=True, panels=["sim", "new"]) as lock:  # cron's run, seconds long
        # Its panels said, as a daemon's (the notes name it): a run --once's kept none the less.
        assert lock.path.read_text() == f"{os.getpid()}\nrun --once\npanel=\npanels=sim,new\n"
        result = cli("prune", "--older-than", "365d", "--yes")
    assert result.exit_code == 0, result.output
    assert _said(result.output) == {**WENT, "alert_state": 4}, result.output
    assert "new" not in _kept(db)  # as a prune a minute later, none running, deletes them


def test_the_loaded_panels_line_holds_any_name_whole(tmp_path):
    names = ["a,b", "c\nd", "e=f", "g%2C", "été"]
    path = tmp_path / "t.lock"
    path.write_text(f"1\nrun\n{said_lines(None, tmp_path / 'c.toml', names)}")
    fd = os.open(path, os.O_RDONLY)
    try:
        said = read_said(fd)
        assert said == Said("", str(tmp_path / "c.toml"), tuple(names))
        path.write_text(path.read_text()[:-1])  # its line cut short: not read
        assert read_said(fd).panels is None
        path.write_text(f"1\nrun\n{said_lines('x', None)}")  # an older lock file: none said
        assert read_said(fd) == Said("x", None, None)
    finally:
        os.close(fd)
