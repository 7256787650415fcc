"""A reload reads the file the daemon started with, and no other.

Operator's walk (ops95): the daemon's config found by the search at start
(./tracker.toml) was moved away; a reload (SIGHUP, `systemctl reload`)
searched the default places again and loaded /etc/smm-tracker/config.toml:
another account's panels, keys and thresholds, on the same database. Now a
reload reads the file the daemon started with, however it was named
(--config, $SMM_TRACKER_CONFIG, the search); when it is gone the reload
fails in one line (``reload_failed``, ``config_reload_failed``) and the
running config goes on."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from logcapture import fresh_logs, json_entries  # noqa: F401  (fixture)

import tracker.config.load as config_load
import tracker.service.process as process
from tracker.cli.main import main

pytestmark = pytest.mark.usefixtures("fresh_logs")


def _write(path: Path, panel: str, key: str, database: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'[database]\npath = "{database}"\n\n'
        f'[[panels]]\nname = "{panel}"\nurl = "http://127.0.0.1:9/api/v2"\nkey = "{key}"\n'
    )


@pytest.mark.parametrize("named_by", ["search", "--config", "$SMM_TRACKER_CONFIG"])
def test_a_reload_reads_the_started_file_alone_and_fails_when_it_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, named_by: str
) -> None:
    here, database = tmp_path / "shop", tmp_path / "shop" / "t.db"
    mine = here / "tracker.toml"
    _write(mine, "mine", "mine-key-a1b2c3d4", database)
    # Another account's config at the system place, on the same database.
    system = tmp_path / "etc" / "config.toml"
    _write(system, "theirs", "their-key-e5f6g7h8", database)
    monkeypatch.setattr(config_load, "SYSTEM_CONFIG", system)
    monkeypatch.chdir(here)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    args = ["--log-format", "json", "run"]
    if named_by == "--config":
        args = ["--config", str(mine), *args]
    elif named_by != "search":
        monkeypatch.setenv("SMM_TRACKER_CONFIG", str(mine))
    seen: dict[str, Any] = {}

    class Reloaded(process.Service):
        def run(self) -> bool:  # the daemon, its first generation and two reloads
            first = self._build(self.config)
            try:
                mine.rename(here / "moved.toml")  # moved away while the daemon runs
                seen["gone"] = self._reload()
                seen["kept"] = [p.name for p in self.config.panels]
                _write(mine, "mine", "mine-key-a1b2c3d4", database)  # put back
                seen["back"] = self._reload()
                if seen["back"] is not None:
                    seen["back"].close()
            finally:
                first.close()
            return True

    monkeypatch.setattr(process, "Service", Reloaded)
    ran = CliRunner().invoke(main, args, catch_exceptions=False)
    assert ran.exit_code == 0, ran.output
    assert seen["gone"] is None and seen["kept"] == ["mine"]  # not their panels
    assert seen["back"] is not None  # the file back: the next reload reads it
    said = f"config file {mine}, the one the daemon started with, does not exist"
    (failed,) = [e for e in json_entries(ran.stderr) if e.get("event") == "reload_failed"]
    assert failed["problems"] == [
        f"{said}: a reload reads that file alone; put it back, then reload again"
    ]
    with sqlite3.connect(database) as db:
        alerts = db.execute("SELECT kind, message FROM alerts").fetchall()
    # the file put back and reloaded: that failed reload's end
    assert [kind for kind, _ in alerts] == ["config_reload_failed", "config_reloaded"]
    assert said in alerts[0][1] and "runs on with the previous config" in alerts[0][1]
    assert "Traceback" not in ran.output
