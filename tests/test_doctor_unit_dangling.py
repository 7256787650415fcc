"""doctor says so when smm-tracker.service, where systemd finds it first, is
a dangling link (to a file that does not exist): systemd cannot open it and
takes the unit as not found, so the daemon does not start. Temporary
directories stand in for systemd's, through SMM_TRACKER_UNIT_PATH or
run_checks' units: no test reads this machine's /etc."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.test_doctor_unit_stop import CONFIG
from tracker.cli.main import main
from tracker.service.doctor import run_checks

ENV = {"UNIT_STOP_KEY": "k-Gh4Jk8Lm2Np6"}  # CONFIG's panel key_env
UNIT_LINES = ("stop timeout", "systemd unit")


def doctor(tmp_path: Path, unit_path: str, *flags: str) -> str:
    config = tmp_path / "tracker.toml"
    config.write_text(CONFIG)
    result = CliRunner().invoke(
        main,
        ["--config", str(config), "doctor", *flags],
        env={**ENV, "SMM_TRACKER_UNIT_PATH": unit_path},
    )
    return result.output


def test_a_dangling_unit_link_is_a_warning_naming_its_target(tmp_path):
    # `systemctl link /opt/smm-tracker/smm-tracker.service`, then the file
    # removed: the link in /etc/systemd/system was read as an installed unit
    # that sets nothing (systemd's 90 s), a 40 s stop got no line at all,
    # and nothing said that systemd, which cannot open the link, will not
    # start the daemon (nor read the unit in /usr/lib it hides).
    etc, usr = tmp_path / "etc/systemd/system", tmp_path / "usr/lib/systemd/system"
    etc.mkdir(parents=True)
    usr.mkdir(parents=True)
    (usr / "smm-tracker.service").write_text("[Service]\nTimeoutStopSec=30s\n")
    target = tmp_path / "opt/smm-tracker/smm-tracker.service"
    (etc / "smm-tracker.service").symlink_to(target)
    expected = (
        f"{etc}/smm-tracker.service is a dangling link (to {target}, which does not "
        "exist): systemd will not start the daemon from it (`systemctl start "
        "smm-tracker` fails: the unit is not found; a smm-tracker.service in a later "
        "directory is not read), so no stop timeout is checked there; put the unit "
        f"file at {target}, or remove the link, if the daemon should run"
    )
    output = doctor(tmp_path, f"{etc}:{usr}")
    assert [line for line in output.splitlines() if line[5:].startswith(UNIT_LINES)] == [
        f"warn systemd unit: {expected}"
    ]
    # doctor --json says the same, in the line's detail.
    report = json.loads(doctor(tmp_path, f"{etc}:{usr}", "--json"))
    assert [c for c in report["checks"] if c["name"] in UNIT_LINES] == [
        {"name": "systemd unit", "state": "warn", "detail": expected, "failed": False}
    ]


def test_a_users_dangling_link_says_systemctl_user_and_the_system_unit_is_still_checked(
    tmp_path,
):
    # A relative link (as `ln -s ../../../src/...` makes one) is named by
    # the absolute path it leads to, the missing directory on its way too.
    system = tmp_path / "etc/systemd/system"
    user = tmp_path / "home/u/.config/systemd/user"
    system.mkdir(parents=True)
    user.mkdir(parents=True)
    (system / "smm-tracker.service").write_text("[Service]\nTimeoutStopSec=30s\n")
    (user / "smm-tracker.service").symlink_to("../../../src/gone/smm-tracker.service")
    config = tmp_path / "tracker.toml"
    config.write_text(CONFIG)
    checks = run_checks(str(config), ENV, units=[[system], [user]])
    lines = [c.line() for c in checks if c.name in UNIT_LINES]
    assert lines[0].startswith("warn stop timeout: run stops within 40s of SIGTERM")
    assert lines[1:] == [
        f"warn systemd unit: {user}/smm-tracker.service is a dangling link (to "
        f"{tmp_path}/home/u/src/gone/smm-tracker.service, which does not exist): systemd "
        "will not start the daemon from it (`systemctl --user start smm-tracker` fails: "
        "the unit is not found; a smm-tracker.service in a later directory is not read), "
        "so no stop timeout is checked there; put the unit file at "
        f"{tmp_path}/home/u/src/gone/smm-tracker.service, or remove the link, if the "
        "daemon should run"
    ]
