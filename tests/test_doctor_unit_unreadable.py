"""doctor says what systemd will do with a smm-tracker.service it cannot
read as a unit file: a link loop, a directory of that name, a file this user
may not read, a link systemd rejects as an alias (passed over: the unit in
a later directory is read, or none is found). Each was read as a unit
setting nothing (systemd's 90 s), no line at all. Temporary directories
stand in for systemd's, through SMM_TRACKER_UNIT_PATH or run_checks' units:
no test reads this machine's /etc."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.test_doctor_unit_dangling import ENV, UNIT_LINES, doctor
from tests.test_doctor_unit_stop import CONFIG
from tracker.service import unit_files
from tracker.service.doctor import run_checks

pytestmark = pytest.mark.usefixtures("quick_backoff")
NOT_STARTED = "systemd will not start the daemon from it (`systemctl start smm-tracker` fails: "
# The unit in /usr/lib: 20 s, under the 40 s a stop may take (CONFIG).
SHORT = "[Service]\nTimeoutStopSec=20s\n"


def _dirs(tmp_path: Path) -> tuple[Path, Path]:
    etc, usr = tmp_path / "etc/systemd/system", tmp_path / "usr/lib/systemd/system"
    etc.mkdir(parents=True)
    usr.mkdir(parents=True)
    (usr / "smm-tracker.service").write_text(SHORT)
    return etc, usr


def _unit_lines(tmp_path: Path, etc: Path, usr: Path) -> list[str]:
    output = doctor(tmp_path, f"{etc}:{usr}")
    assert "Traceback" not in output
    return [line for line in output.splitlines() if line[5:].startswith(UNIT_LINES)]


def test_a_link_loop_is_said_systemd_cannot_read_it(tmp_path):
    etc, usr = _dirs(tmp_path)
    (etc / "smm-tracker.service").symlink_to(etc / "other.service")
    (etc / "other.service").symlink_to(etc / "smm-tracker.service")
    assert _unit_lines(tmp_path, etc, usr) == [
        f"warn systemd unit: {etc}/smm-tracker.service is a link loop (too many levels of "
        f"symbolic links): {NOT_STARTED}systemd cannot read it; a smm-tracker.service in a "
        "later directory is not read), so no stop timeout is checked there; make it a link "
        "to the unit file, or remove it, if the daemon should run"
    ]


def test_a_directory_named_like_the_unit_is_said_systemd_cannot_read_it(tmp_path):
    etc, usr = _dirs(tmp_path)
    (etc / "smm-tracker.service").mkdir()
    assert _unit_lines(tmp_path, etc, usr) == [
        f"warn systemd unit: {etc}/smm-tracker.service is a directory: {NOT_STARTED}systemd "
        "cannot read it; a smm-tracker.service in a later directory is not read), so no "
        "stop timeout is checked there; remove it, or put the unit file in its place, if the "
        "daemon should run"
    ]


def test_a_link_systemd_rejects_as_an_alias_is_passed_over_for_the_next_unit(tmp_path):
    # `ln -s smm-tracker.service.orig smm-tracker.service` in /etc: systemd
    # rejects the alias ("not a valid unit name") and reads /usr/lib's unit,
    # whose 20 s a 40 s stop outlasts; doctor read the .orig file instead.
    etc, usr = _dirs(tmp_path)
    (etc / "smm-tracker.service.orig").write_text("[Service]\nTimeoutStopSec=5min\n")
    (etc / "smm-tracker.service").symlink_to("smm-tracker.service.orig")
    lines = _unit_lines(tmp_path, etc, usr)
    assert lines[0] == (
        f"warn systemd unit: {etc}/smm-tracker.service is a link to {etc}/"
        "smm-tracker.service.orig, which systemd rejects as an alias: "
        "'smm-tracker.service.orig' is not a plain .service unit's name, so systemd passes "
        f"the link over and reads {usr}/smm-tracker.service in its place; remove the link, "
        "or make it a link to the unit file you mean"
    )
    assert lines[1].startswith("warn stop timeout: run stops within 40s of SIGTERM")
    assert lines[1].endswith(
        f"not under the unit's TimeoutStopSec=20s (TimeoutStopSec= in {usr}/smm-tracker.service):"
        " systemd may kill it mid-commit; lower the timeouts or raise TimeoutStopSec"
    )
    assert len(lines) == 2


def test_a_rejected_alias_and_no_other_unit_is_said_not_found(tmp_path):
    etc, usr = _dirs(tmp_path)
    (usr / "smm-tracker.service").unlink()
    (etc / "smm-tracker@.service").write_text(SHORT)
    (etc / "smm-tracker.service").symlink_to("smm-tracker@.service")
    assert _unit_lines(tmp_path, etc, usr) == [
        f"warn systemd unit: {etc}/smm-tracker.service is a link to {etc}/"
        "smm-tracker@.service, which systemd rejects as an alias ('smm-tracker@.service' is "
        f"not a plain .service unit's name): {NOT_STARTED}the unit is not found), so no stop "
        "timeout is checked there; make it a link to the unit file, or put the unit file "
        "there, if the daemon should run"
    ]


def test_a_link_to_its_own_name_is_passed_over_as_systemd_does(tmp_path):
    # A self-alias has no effect (unit-file.c): the unit in /usr/lib is read.
    etc, usr = _dirs(tmp_path)
    (etc / "smm-tracker.service").symlink_to("smm-tracker.service")
    [line] = _unit_lines(tmp_path, etc, usr)
    assert f"TimeoutStopSec=20s (TimeoutStopSec= in {usr}/smm-tracker.service)" in line


def test_a_linked_unit_file_of_another_name_outside_the_unit_directories_is_read(tmp_path):
    # `systemctl link /opt/tracker/tracker.service` (systemd 248 and later:
    # a linked unit file, whatever its target's name): read, as before.
    etc, usr = _dirs(tmp_path)
    target = tmp_path / "opt/tracker/tracker.service"
    target.parent.mkdir(parents=True)
    target.write_text("[Service]\nTimeoutStopSec=30s\n")
    (etc / "smm-tracker.service").symlink_to(target)
    [line] = _unit_lines(tmp_path, etc, usr)
    assert f"TimeoutStopSec=30s (TimeoutStopSec= in {etc}/smm-tracker.service)" in line


def _unreadable(monkeypatch: pytest.MonkeyPatch, unit: Path, euid: int) -> None:
    """The unit file unreadable for a user of uid ``euid``: its mode 000,
    and its open refused as the kernel refuses it to such a user (root reads
    through file modes)."""
    unit.chmod(0)
    opened = unit_files._opened

    def refused(path: Path) -> None:
        if path == unit:
            raise PermissionError(13, "Permission denied", str(path))
        opened(path)

    monkeypatch.setattr(unit_files, "_opened", refused)
    monkeypatch.setattr(os, "geteuid", lambda: euid)


def test_a_system_unit_this_user_cannot_read_is_said_not_checked(tmp_path, monkeypatch):
    etc, usr = _dirs(tmp_path)
    (etc / "smm-tracker.service").write_text(SHORT)
    _unreadable(monkeypatch, etc / "smm-tracker.service", 1000)
    config = tmp_path / "tracker.toml"
    config.write_text(CONFIG)
    checks = run_checks(str(config), ENV, units=[[etc, usr]])
    assert [c.line() for c in checks if c.name in UNIT_LINES] == [
        f"warn systemd unit: {etc}/smm-tracker.service cannot be read by this user "
        "(Permission denied): its stop timeout is not checked (systemd, as root, reads it); "
        "`sudo smm-tracker doctor` checks it"
    ]


def test_a_user_unit_its_user_cannot_read_is_said_not_started(tmp_path, monkeypatch):
    user = tmp_path / "home/u/.config/systemd/user"
    user.mkdir(parents=True)
    (user / "smm-tracker.service").write_text(SHORT)
    _unreadable(monkeypatch, user / "smm-tracker.service", 1000)
    config = tmp_path / "tracker.toml"
    config.write_text(CONFIG)
    checks = run_checks(str(config), ENV, units=[[], [user]])
    assert [c.line() for c in checks if c.name in UNIT_LINES] == [
        f"warn systemd unit: {user}/smm-tracker.service cannot be read: systemd will not "
        "start the daemon from it (`systemctl --user start smm-tracker` fails: systemd "
        "cannot read it either (Permission denied)), so no stop timeout is checked there; "
        "let its owner read it (chmod u+r, or a+r), if the daemon should run"
    ]
