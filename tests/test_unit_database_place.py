"""The wheel install's trap: `smm-tracker init /etc/smm-tracker/config.toml`
keeps `path = "tracker.db"`, which the shipped unit (ProtectSystem=strict)
may not write. The service's start failed with "cannot create lock file
/etc/smm-tracker/tracker.db.lock: Read-only file system", naming no setting,
while `sudo smm-tracker doctor`, run outside the unit, said all was well."""

from __future__ import annotations

import errno
import os

import pytest
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in

import tracker.rules.secret_files as secret_files

# doctor asks the offline panel (port 9) at the default 4 retries: 10 ms apart.
pytestmark = pytest.mark.usefixtures("quick_backoff")


def test_doctor_warns_that_the_units_config_puts_the_database_where_the_unit_cannot_write(
    tmp_path, monkeypatch
):
    unit_config = tmp_path / "etc" / "smm-tracker" / "config.toml"
    unit_config.parent.mkdir(parents=True)
    unit_config.write_text(OFFLINE_CONFIG.replace('"t.db"', '"tracker.db"'))
    unit_config.chmod(0o600)
    # Where /etc/smm-tracker/config.toml is (raising=False: before the fix, no such check).
    monkeypatch.setattr(secret_files, "UNIT_CONFIG", unit_config, raising=False)
    cli = cli_in(tmp_path, monkeypatch, None, env={"SMM_TEST_KEY": TEST_KEY})

    lines = cli("--config", str(unit_config), "doctor").output.splitlines()
    warned = [line for line in lines if "the shipped unit" in line]
    assert warned == [
        f"warn database: {unit_config.parent / 'tracker.db'} is outside /var/lib/smm-tracker, "
        "the one place the shipped unit lets the service write (ProtectSystem=strict): its "
        'start fails with "cannot create lock file ...: Read-only file system"; set '
        '[database] path = "/var/lib/smm-tracker/tracker.db" in the config, or '
        "ReadWritePaths= in the unit"
    ]

    # The same file anywhere else is no unit's: a database beside it is fine.
    elsewhere = tmp_path / "tracker.toml"
    elsewhere.write_text(unit_config.read_text())
    elsewhere.chmod(0o600)
    assert "the shipped unit" not in cli("--config", str(elsewhere), "doctor").output


def test_a_lock_file_that_cannot_be_created_names_the_setting_to_change(tmp_path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})
    real_open = os.open

    def read_only_directory(path, flags, *args):  # /etc under ProtectSystem=strict
        if str(path).endswith(".lock") and flags & (os.O_RDWR | os.O_WRONLY):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only_directory)
    for command in [("run", "--once"), ("run",)]:
        result = cli(*command)
        assert result.exit_code == 1, result.output
        assert result.output == (
            f"smm-tracker: cannot create lock file {tmp_path / 't.db.lock'}: Read-only file "
            "system: [database] path must be in a directory this process may write (under "
            "the shipped unit: /var/lib/smm-tracker)\n"
        )
