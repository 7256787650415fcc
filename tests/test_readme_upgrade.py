"""README's Upgrade steps (polish212): a `backup` comes before the restart
onto a new version, which migrates the database at its start; and that line
runs as written (the config's database copied as it is, migrations not
applied, into the directory the line before it makes)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in
from sqlite_utils import Database

from tracker.store.migrations import migrations

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
VENV = "/opt/smm-tracker/venv/bin/smm-tracker"
CONFIG = "/etc/smm-tracker/config.toml"


def _steps() -> list[str]:
    """The lines of the Upgrade section's first code block."""
    start = README.index("\n### Upgrade\n")
    block = re.search(r"^```sh\n(.*?)^```", README[start:], flags=re.S | re.M)
    assert block is not None
    return block.group(1).splitlines()


def test_the_upgrade_takes_a_backup_before_the_restart():
    steps = _steps()
    [restart] = [i for i, line in enumerate(steps) if "systemctl restart smm-tracker" in line]
    [backup] = [i for i, line in enumerate(steps) if f"{VENV} --config {CONFIG} backup " in line]
    [install] = [i for i, line in enumerate(steps) if "pip install --upgrade" in line]
    assert backup < install < restart  # the file as the running version wrote it


def test_the_backup_line_runs_as_written(tmp_path, monkeypatch):
    steps = _steps()
    [made] = [shlex.split(x, comments=True) for x in steps if x.startswith("sudo install -d")]
    [said] = [x for x in steps if f"{VENV} --config" in x and " backup " in x]
    # The shell's $(date ...), a moment's stamp, in its place.
    line = shlex.split(re.sub(r"\$\(date [^)]*\)", "20261208-001500", said), comments=True)
    backups = made[-1]  # the directory backup writes in (it makes none)
    assert line[:2] == ["sudo", VENV] and line[2:4] == ["--config", CONFIG], line
    here = tmp_path / backups.lstrip("/")
    here.mkdir(parents=True)
    dest = line[-1].replace(backups, str(here))
    assert dest.startswith(str(here)) and "$" not in dest, dest

    names = [m.name for m in migrations.pending(Database(memory=True))]
    old = Database(tmp_path / "t.db")  # an older release's database: migrations pending
    migrations.apply(old, stop_before=names[-3])
    old.close()
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})
    done = cli("--config", str(tmp_path / "tracker.toml"), *line[4:-1], dest)
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith(f"backed up {tmp_path / 't.db'} to {dest}: ")
    for path in (tmp_path / "t.db", dest):  # copied as it is: the restart migrates
        assert [m.name for m in migrations.pending(Database(path))] == names[-3:]
