"""doctor checks the unit that runs the daemon running now (the PID in its
database's lock file, that process's cgroup, as the notes of a refused key
find it), not only smm-tracker.service: an instance of a template
(smm-tracker@shop2.service, its file the template's smm-tracker@.service,
its drop-ins its own and the template's), a renamed copy. Its stop timeout
was never read: doctor checked smm-tracker.service (or, with none
installed, the shipped unit's 90 s) and passed a unit that kills the daemon
mid-stop. With no daemon running, the units installed, as before.
Temporary directories stand in for systemd's (SMM_TRACKER_UNIT_PATH) and
for /proc (SMM_TRACKER_PROC): no test reads this machine's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from key_fixes import SYSTEM_CGROUP
from test_notes_daemon import INSTANCE_CGROUP, USER_INSTANCE_CGROUP

from tests.test_doctor_unit_dangling import ENV, UNIT_LINES
from tests.test_doctor_unit_stop import CONFIG
from tracker.cli.main import main
from tracker.service.lock import DatabaseLock

pytestmark = pytest.mark.usefixtures("quick_backoff")
LONG = "[Service]\nTimeoutStopSec=120s\n"  # over CONFIG's 40 s stop: no line
SHORT = "[Service]\nTimeoutStopSec=20s\n"  # under it: systemd kills it mid-stop
WARNED = "warn stop timeout: run stops within 40s of SIGTERM (panel main timeout 30s + "
WARNED += "database.busy_timeout 10s: one timeout for all the calls on the wire, which run at "
WARNED += "once; a refill call is waited to its deadline), not under the unit's TimeoutStopSec="


def _units(tmp_path: Path, files: dict[str, str], user: dict[str, str] | None = None) -> Path:
    """The system manager's unit directory holding ``files`` ({name: text});
    the user manager's holding ``user``'s."""
    system, home = tmp_path / "units" / "system", tmp_path / "units" / "user"
    for directory, named in ((system, files), (home, user or {})):
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in named.items():
            (directory / name).parent.mkdir(parents=True, exist_ok=True)
            (directory / name).write_text(text)
    return system


def _doctor(tmp_path: Path, cgroup: str | None) -> list[str]:
    """doctor's unit lines, a daemon whose cgroup reads ``cgroup`` holding
    the config's database (None: no daemon running)."""
    config = tmp_path / "tracker.toml"
    config.write_text(CONFIG)
    proc = tmp_path / "proc"
    (proc / str(os.getpid())).mkdir(parents=True, exist_ok=True)
    units = f"{tmp_path / 'units' / 'system'};{tmp_path / 'units' / 'user'}"
    env = {**ENV, "SMM_TRACKER_UNIT_PATH": units, "SMM_TRACKER_PROC": str(proc)}
    args = ["--config", str(config), "doctor"]
    if cgroup is None:
        output = CliRunner().invoke(main, args, env=env).output
    else:
        (proc / str(os.getpid()) / "cgroup").write_text(cgroup)
        (proc / str(os.getpid()) / "environ").write_bytes(b"INVOCATION_ID=0f6c1c7e4b6e\0")
        with DatabaseLock(tmp_path / "t.db"):  # the daemon: this process's PID
            output = CliRunner().invoke(main, args, env=env).output
    assert "Traceback" not in output
    return [line for line in output.splitlines() if line[5:].startswith(UNIT_LINES)]


def test_an_instances_drop_in_directories_are_its_own_and_its_templates() -> None:
    from tracker.rules.unit_stop import drop_in_dirs, template_of

    assert template_of("smm-tracker@shop2.service") == "smm-tracker@.service"
    assert template_of("smm-tracker.service") is None
    assert drop_in_dirs("smm-tracker.service") == (
        "smm-tracker.service.d",
        "smm-.service.d",
        "service.d",
    )
    assert drop_in_dirs("smm-tracker@shop2.service") == (
        "smm-tracker@shop2.service.d",
        "smm-tracker@.service.d",
        "smm-.service.d",
        "service.d",
    )
    assert drop_in_dirs("smm-tracker-eu.service") == (
        "smm-tracker-eu.service.d",
        "smm-tracker-.service.d",
        "smm-.service.d",
        "service.d",
    )


def test_an_instances_daemon_has_its_templates_stop_timeout_checked(tmp_path) -> None:
    # smm-tracker.service (120 s) was checked: no line, and the instance's
    # 20 s kills a 40 s stop.
    system = _units(tmp_path, {"smm-tracker.service": LONG, "smm-tracker@.service": SHORT})
    assert _doctor(tmp_path, INSTANCE_CGROUP) == [
        f"{WARNED}20s (smm-tracker@shop2.service, which runs the daemon: TimeoutStopSec= "
        f"in {system}/smm-tracker@.service): systemd may kill it mid-commit; lower the "
        "timeouts or raise TimeoutStopSec"
    ]
    assert _doctor(tmp_path, None) == []  # no daemon running: smm-tracker.service, as before


@pytest.mark.parametrize(
    "drop_in", ["smm-tracker@shop2.service.d/stop.conf", "smm-tracker@.service.d/stop.conf"]
)
def test_an_instances_drop_ins_and_its_templates_are_read(tmp_path, drop_in) -> None:
    system = _units(tmp_path, {"smm-tracker@.service": LONG, drop_in: SHORT})
    [line] = _doctor(tmp_path, INSTANCE_CGROUP)
    assert "TimeoutStopSec=20s (smm-tracker@shop2.service, which runs the daemon: " in line
    assert f"TimeoutStopSec= in {system}/{drop_in})" in line


def test_an_instances_own_file_is_read_before_its_templates(tmp_path) -> None:
    system = _units(tmp_path, {"smm-tracker@.service": LONG, "smm-tracker@shop2.service": SHORT})
    [line] = _doctor(tmp_path, INSTANCE_CGROUP)
    assert f"TimeoutStopSec= in {system}/smm-tracker@shop2.service)" in line


def test_a_masked_instance_is_said_with_its_own_unmask(tmp_path) -> None:
    system = _units(tmp_path, {"smm-tracker.service": LONG, "smm-tracker@.service": LONG})
    (system / "smm-tracker@shop2.service").symlink_to("/dev/null")
    assert _doctor(tmp_path, INSTANCE_CGROUP) == [
        f"warn systemd unit: {system}/smm-tracker@shop2.service is masked (a link to "
        "/dev/null): systemd will not start the daemon from it (`systemctl start "
        "'smm-tracker@shop2'` fails: the unit is masked), so no stop timeout is checked "
        "there; `sudo systemctl unmask 'smm-tracker@shop2'` if the daemon should run"
    ]


def test_a_user_instances_daemon_has_the_user_managers_unit_checked(tmp_path) -> None:
    # Only a system smm-tracker.service was checked (120 s): nothing said.
    _units(
        tmp_path,
        {"smm-tracker.service": LONG},
        user={"smm-tracker@.service": "[Service]\n", "smm-tracker@.service.d/a.conf": SHORT},
    )
    [line] = _doctor(tmp_path, USER_INSTANCE_CGROUP)
    assert line.startswith(f"{WARNED}20s (smm-tracker@shop2.service, which runs the daemon")
    assert "/units/user/smm-tracker@.service.d/a.conf)" in line


def test_the_daemons_unit_alone_is_checked_not_the_other_managers(tmp_path) -> None:
    # The system unit runs it: the user manager's masked one is not its own.
    _units(tmp_path, {"smm-tracker.service": LONG}, user={"smm-tracker.service": ""})
    assert _doctor(tmp_path, SYSTEM_CGROUP) == []
    [line] = _doctor(tmp_path, None)  # none running: both installed checked, as before
    assert "/units/user/smm-tracker.service is masked (an empty file)" in line


def test_a_daemons_unit_of_no_file_found_is_said_at_the_managers_default(tmp_path) -> None:
    # myapp.service (systemd started it: $INVOCATION_ID) has no file in the
    # search path: its manager's DefaultTimeoutStopSec= (30 s here) is its.
    system = _units(tmp_path, {"smm-tracker.service": LONG})
    conf = system.parent / "system.conf"
    conf.write_text("[Manager]\nDefaultTimeoutStopSec=30s\n")
    assert _doctor(tmp_path, "0::/system.slice/myapp.service\n") == [
        f"{WARNED}30s (myapp.service, which runs the daemon, no file of it found: "
        f"systemd's default, DefaultTimeoutStopSec= in {conf}): systemd may kill it "
        "mid-commit; lower the timeouts or raise TimeoutStopSec"
    ]
