"""An upgrade installed while the older daemon still runs: a one-off command of
the new version leaves the schema to the daemon's restart, rather than
migrating it under a daemon that does not know it."""

from __future__ import annotations

import os

from click.testing import CliRunner
from test_upgrade import applied, old_database

from tracker.cli.main import main
from tracker.service.lock import DatabaseLock
from tracker.store.schema import MIGRATIONS

LAST = MIGRATIONS[-1]  # the one migration the version before this one lacks


def write_config(tmp_path):
    config = tmp_path / "tracker.toml"
    config.write_text(
        '[database]\npath = "tracker.db"\n\n'
        '[[panels]]\nname = "main"\nurl = "http://127.0.0.1:9/api/v2"\nkey = "k3y"\n'
    )
    return config


def test_a_command_leaves_the_migrations_to_the_older_daemon_running_on_the_database(tmp_path):
    path = tmp_path / "tracker.db"
    old_database(path, LAST)
    before = applied(path)
    config = write_config(tmp_path)
    runner = CliRunner()
    with DatabaseLock(path):  # the older daemon, still running after `pip install --upgrade`
        for args in (["track", "7"], ["orders"], ["orders", "--database", str(path)], ["report"]):
            result = runner.invoke(main, ["--config", str(config), *args])
            assert result.exit_code == 1, (args, result.output)
            assert "Traceback" not in result.output
            line = result.stderr.strip()
            assert "\n" not in line
            assert f"database {path} needs 1 migration of this smm-tracker" in line
            assert f"({LAST})" in line
            assert "Restart it" in line
        assert applied(path) == before  # the daemon's schema, left as it knows it

    # Stopped (its lock file left, held by none), the new version upgrades it; nothing lost.
    result = runner.invoke(main, ["--config", str(config), "track", "7"])
    assert result.exit_code == 0, result.output
    assert applied(path)[-1] == LAST
    result = runner.invoke(main, ["--config", str(config), "orders", "--ids"])
    assert sorted(result.stdout.split(), key=int) == ["7", "101", "102"]


def test_a_run_once_holding_the_older_database_is_waited_for_not_restarted(tmp_path):
    # Cron's run --once of the older smm-tracker, still going as the new one's
    # command runs: there is no daemon to restart; it ends on its own.
    path = tmp_path / "tracker.db"
    old_database(path, LAST)
    config = write_config(tmp_path)
    with DatabaseLock(path, once=True):
        result = CliRunner().invoke(main, ["--config", str(config), "orders"])
    assert result.exit_code == 1, result.output
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in result.output
    assert f"database {path} needs 1 migration of this smm-tracker ({LAST})" in line
    assert f"a run --once (pid {os.getpid()}) is using it without them" in line
    assert "Wait for it to end" in line and "then run this again" in line
    assert "Restart" not in line and "daemon" not in line
