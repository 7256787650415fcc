"""prune keeps the alert_state rows of the running daemon's panels (ux183).

ux173 had a prune of every panel delete every alert_state row of a panel
its config no longer names and no order is left of. The command judged by
its own config: run with one naming fewer panels than the running daemon's
(``prune --config other.toml``), it deleted the marks of the daemon's other
order-less panels (a quirk told again, an open episode forgotten). The
daemon's lock file says its config (``config=PATH``): every panel of that
config now counts as configured too; a daemon whose config cannot be read
(gone, invalid, or its lock file names none) leaves every such row, said in
one line, the rest of the prune going on."""

from __future__ import annotations

import os

import pytest
from test_prune import EXPECTED, setup, shown  # noqa: F401  (fixture)
from test_prune_gone_panels import _kept, _marked, _said
from test_prune_run_urls import URL

from tracker.service.lock import DatabaseLock

# The lines a daemon's config holds: panels sim and new (new: no order yet).
THEIRS = (
    '[database]\npath = "t.db"\n'
    f'[[panels]]\nname = "sim"\nurl = "{URL}"\nkey_env = "SIM_KEY"\n'
    f'[[panels]]\nname = "new"\nurl = "{URL}"\nkey_env = "NEW_KEY"\n'
)
WENT = {table: rows for table, rows in EXPECTED.items() if rows}  # as _said reads them
KEPT = "alert_state rows of panels gone from the config: none deleted"


@pytest.mark.parametrize("alone", [None, "sim"])
def test_the_running_daemons_panels_keep_their_rows(setup, tmp_path, alone):  # noqa: F811
    cli, db = setup  # this prune's config names panel sim alone
    _marked(db, "sim", "new", "gone")
    theirs = tmp_path / "etc.toml"
    theirs.write_text(THEIRS)  # NEW_KEY unset: no key is read
    with DatabaseLock(db, panel=alone, config=theirs):  # as `run [--panel sim]` writes it
        dry = cli("prune", "--older-than", "365d", "--dry-run")
        result = cli("prune", "--older-than", "365d", "--yes")
    assert dry.exit_code == 0 and shown(dry.output)["alert_state"] == 4, dry.output  # gone's
    assert result.exit_code == 0, result.output
    assert _said(result.output) == {**WENT, "alert_state": 4}, result.output
    assert set(_kept(db)) == {"", "sim", "new"}  # new's 4 were deleted: the daemon runs it


def _unreadable(tmp_path, how: str):
    theirs = tmp_path / "etc.toml"
    if how == "invalid":
        theirs.write_text(THEIRS.replace("[[panels]]", "[[panels]", 1))
    elif how == "no panel url":
        theirs.write_text(THEIRS.replace(f'url = "{URL}"\n', ""))
    elif how == "a directory":
        theirs.mkdir()
    return theirs  # "gone": nothing there


@pytest.mark.parametrize(
    ("how", "why"),
    [
        ("gone", "it does not exist"),
        ("invalid", "invalid TOML: Expected ']]' at the end of an array declaration (at line 3"),
        ("no panel url", "at 'panels[0].url': is required"),
        ("a directory", "not a file"),
    ],
)
def test_a_daemon_whose_config_cannot_be_read_leaves_every_such_row(setup, tmp_path, how, why):  # noqa: F811
    cli, db = setup
    _marked(db, "sim", "new", "gone")
    before = _kept(db)
    theirs = _unreadable(tmp_path, how)
    with DatabaseLock(db, config=theirs):
        dry = cli("prune", "--older-than", "365d", "--dry-run")
        result = cli("prune", "--older-than", "365d", "--yes")
    assert dry.exit_code == 0 and "alert_state" not in shown(dry.output), dry.output
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if "alert_state" in line]
    assert line.startswith(f"{KEPT} (8 kept): the daemon running on this database ")
    assert f"(pid {os.getpid()}) runs config {theirs}, which this prune cannot read: {why}" in line
    assert _said(result.output) == WENT, result.output  # the rest of the prune went on
    assert _kept(db) == before


def test_an_older_daemons_lock_file_naming_no_config_leaves_them(setup):  # noqa: F811
    cli, db = setup
    _marked(db, "gone")
    with DatabaseLock(db) as lock:
        lock.path.write_text(f"{os.getpid()}\nrun\n")  # as smm-tracker before ux173 wrote it
        result = cli("prune", "--older-than", "365d", "--yes")
    assert result.exit_code == 0, result.output
    assert (
        f"{KEPT} (4 kept): the daemon running on this database (pid {os.getpid()})"
        " names no config in its lock file (an older smm-tracker's)"
    ) in result.output.splitlines()
    assert "gone" in _kept(db)
    again = cli("prune", "--older-than", "365d", "--yes")  # the daemon stopped: they go
    assert _said(again.output) == {"alert_state": 4} and "gone" not in _kept(db), again.output


@pytest.mark.parametrize("dry", [True, False])
def test_rows_kept_for_an_unknown_daemon_are_not_said_to_go(setup, tmp_path, dry):  # noqa: F811
    cli, db = setup
    assert cli("prune", "--older-than", "365d", "--yes").exit_code == 0  # the old history gone
    _marked(db, "gone")
    with DatabaseLock(db, config=_unreadable(tmp_path, "gone")):
        result = cli("prune", "--older-than", "365d", *(["--dry-run"] if dry else ["--yes"]))
    assert result.exit_code == 0, result.output
    kept = "none would go" if dry else "none deleted"
    assert result.output.splitlines()[1:] == [  # never "4 would go" over "nothing to delete"
        f"alert_state rows of panels gone from the config: {kept} (4 kept): the daemon running"
        f" on this database (pid {os.getpid()}) runs config {tmp_path / 'etc.toml'}, which"
        " this prune cannot read: it does not exist",
        "nothing to delete",
    ]
    assert "gone" in _kept(db)
