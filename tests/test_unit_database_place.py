"""The wheel install's trap: `smm-tracker init /etc/smm-tracker/config.toml`
keeps `path = "tracker.db"`, which the shipped unit (ProtectSystem=strict)
may not write. The service's start failed with "cannot create lock file
/etc/smm-tracker/tracker.db.lock: Read-only file system", naming no setting,
while `sudo smm-tracker doctor`, run outside the unit, said all was well."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from key_fixes import SYSTEM_CGROUP
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in
from test_notes_daemon import INSTANCE_CGROUP as INSTANCE

import tracker.rules.secret_files as secret_files
from tracker.errors import StoreError
from tracker.service.lock import DatabaseLock

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


# An instance of the shipped template, smm-tracker@shop2, reads
# /etc/smm-tracker/shop2.toml and may write /var/lib/smm-tracker-shop2 alone.
# doctor checked /etc/smm-tracker/config.toml only: a shop2.toml copied from
# systemd/config.toml keeps smm-tracker.service's database, where the
# instance cannot write (nor should: it is the other daemon's), unsaid.
TEMPLATE = Path(__file__).resolve().parent.parent / "systemd" / "smm-tracker@.service"
SHIPPED_PATH = '"/var/lib/smm-tracker/tracker.db"'  # systemd/config.toml's


def _instance_doctor(
    tmp_path, monkeypatch, name: str, path: str, template: bool = True, cgroup: str | None = None
) -> list[str]:
    """doctor's lines naming a shipped unit's database place, for the config
    /etc/smm-tracker/NAME (a temporary directory's) whose database is ``path``,
    the template installed or not, a daemon whose cgroup reads ``cgroup``
    holding that database (None: none running)."""
    etc = tmp_path / "etc" / "smm-tracker"
    etc.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(secret_files, "UNIT_CONFIG", etc / "config.toml")
    units, proc = tmp_path / "units", tmp_path / "proc" / str(os.getpid())
    units.mkdir(exist_ok=True)
    (units / "smm-tracker@.service").unlink(missing_ok=True)
    if template:
        (units / "smm-tracker@.service").write_text(TEMPLATE.read_text())
    config = etc / name
    config.write_text(OFFLINE_CONFIG.replace('"t.db"', path))
    config.chmod(0o600)
    env = {"SMM_TEST_KEY": TEST_KEY, "SMM_TRACKER_UNIT_PATH": str(units)}
    cli = cli_in(tmp_path, monkeypatch, None, env={**env, "SMM_TRACKER_PROC": str(proc.parent)})
    if cgroup is None:
        output = cli("--config", str(config), "doctor").output
    else:
        proc.mkdir(parents=True, exist_ok=True)
        (proc / "cgroup").write_text(cgroup)
        (proc / "environ").write_bytes(b"INVOCATION_ID=0f6c1c7e4b6e\0")
        with DatabaseLock(etc / "t.db"):  # the daemon: this process's PID
            output = cli("--config", str(config), "doctor").output
    assert "Traceback" not in output
    return [line for line in output.splitlines() if "lets the service write" in line]


def test_an_instances_config_naming_smm_tracker_services_database_is_warned(tmp_path, monkeypatch):
    etc = tmp_path / "etc" / "smm-tracker"
    assert _instance_doctor(tmp_path, monkeypatch, "shop2.toml", SHIPPED_PATH) == [
        "warn database: /var/lib/smm-tracker/tracker.db is outside /var/lib/smm-tracker-shop2, "
        "the one place smm-tracker@shop2.service (the shipped template's instance, which reads "
        f'{etc}/shop2.toml) lets the service write: its start fails with "cannot create lock '
        'file ..."; set [database] path = "/var/lib/smm-tracker-shop2/tracker.db" in the '
        "config, or ReadWritePaths= in the unit"
    ]
    # init's path = "tracker.db": in /etc, read-only to it.
    [line] = _instance_doctor(tmp_path, monkeypatch, "shop2.toml", '"tracker.db"')
    assert line.startswith(f"warn database: {etc}/tracker.db is outside /var/lib/smm-tracker-shop2")
    # Its own state directory (or where DynamicUser= keeps it): nothing said.
    for good in (
        "/var/lib/smm-tracker-shop2/tracker.db",
        "/var/lib/private/smm-tracker-shop2/t.db",
    ):
        assert _instance_doctor(tmp_path, monkeypatch, "shop2.toml", f'"{good}"') == []
    # No template installed: no instance reads it, nothing said, as before.
    assert _instance_doctor(tmp_path, monkeypatch, "shop2.toml", SHIPPED_PATH, False) == []


def test_the_unit_running_a_daemon_on_the_database_is_named_or_trusted(tmp_path, monkeypatch):
    # smm-tracker.service runs on it: two daemons, one database.
    [line] = _instance_doctor(tmp_path, monkeypatch, "shop2.toml", '"t.db"', cgroup=SYSTEM_CGROUP)
    assert "smm-tracker@shop2.service (the shipped template's instance, which reads" in line
    assert "(smm-tracker.service runs a daemon on it now: each daemon needs its own)" in line
    # The instance runs on it itself: it writes there (a ReadWritePaths= of its own).
    assert _instance_doctor(tmp_path, monkeypatch, "shop2.toml", '"t.db"', cgroup=INSTANCE) == []
    # So for smm-tracker.service's own config, which was warned while its daemon ran on it.
    assert (
        _instance_doctor(tmp_path, monkeypatch, "config.toml", '"t.db"', cgroup=SYSTEM_CGROUP) == []
    )
    [line] = _instance_doctor(tmp_path, monkeypatch, "config.toml", '"t.db"', cgroup=INSTANCE)
    assert "the one place the shipped unit lets the service write" in line


def test_an_instances_lock_file_refusal_names_its_own_state_directory(tmp_path, monkeypatch):
    # Under smm-tracker@shop2, systemd sets $STATE_DIRECTORY: the place to
    # name is that one, not smm-tracker.service's /var/lib/smm-tracker.
    env = {"SMM_TEST_KEY": TEST_KEY, "STATE_DIRECTORY": "/var/lib/smm-tracker-shop2"}
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env=env)
    real_open = os.open

    def read_only_directory(path, flags, *args):  # /etc under ProtectSystem=strict
        if str(path).endswith(".lock") and flags & (os.O_RDWR | os.O_WRONLY):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only_directory)
    result = cli("run")
    assert result.exit_code == 1, result.output
    assert result.output == (
        f"smm-tracker: cannot create lock file {tmp_path / 't.db.lock'}: Read-only file "
        "system: [database] path must be in a directory this process may write (under "
        "this unit: /var/lib/smm-tracker-shop2, its StateDirectory=)\n"
    )


def test_an_instance_started_on_smm_tracker_services_database_names_its_own_state_directory(
    tmp_path, monkeypatch
):
    # smm-tracker@shop2 with a copy of systemd/config.toml not edited: its
    # /var/lib/smm-tracker is hidden from the instance (DynamicUser=), so the
    # start failed "directory ... does not exist" and said nothing of where to go.
    missing = tmp_path / "var" / "lib" / "smm-tracker"
    config = OFFLINE_CONFIG.replace('"t.db"', f'"{missing / "tracker.db"}"')
    env = {"SMM_TEST_KEY": TEST_KEY, "STATE_DIRECTORY": "/var/lib/smm-tracker-shop2"}
    cli = cli_in(tmp_path, monkeypatch, config, env=env)
    for command in [("run",), ("run", "--once")]:
        result = cli(*command)
        assert result.exit_code == 2, result.output
        assert result.output == (
            f"smm-tracker: config {tmp_path / 'tracker.toml'}: at 'database.path': directory "
            f"{missing} does not exist: [database] path must be in a directory this process "
            "may write (under this unit: /var/lib/smm-tracker-shop2, its StateDirectory=)\n"
        )
    # Run by hand (no unit's $STATE_DIRECTORY): a typo, or a unit's directory not made yet.
    monkeypatch.delenv("STATE_DIRECTORY")
    result = cli("run", "--once")
    assert result.exit_code == 2
    assert result.output.endswith(f"at 'database.path': directory {missing} does not exist\n")


def test_a_lock_in_a_directory_gone_under_an_instance_names_its_state_directory(
    tmp_path, monkeypatch
):
    lock = DatabaseLock(tmp_path / "gone" / "tracker.db")
    with pytest.raises(StoreError) as refused:
        lock.acquire()
    assert str(refused.value) == f"database directory {tmp_path / 'gone'} does not exist"
    monkeypatch.setenv("STATE_DIRECTORY", "/var/lib/smm-tracker-shop2")
    with pytest.raises(StoreError) as refused:
        lock.acquire()
    assert str(refused.value) == (
        f"database directory {tmp_path / 'gone'} does not exist: [database] path must be in a "
        "directory this process may write (under this unit: /var/lib/smm-tracker-shop2, its "
        "StateDirectory=)"
    )
