"""The notes of ``orders`` and ``balance`` of a refused key, doctor's
refused-key line and a command's line of a migration left to the daemon's
restart name what runs the daemon running now, as its own ``auth_failed``
does: the unit whose cgroup its PID (in the lock file it holds) runs in,
and for a ``run`` in a terminal or tmux, ``smm-tracker run`` where it runs,
even with a unit installed beside it. They went by what is installed
alone: ``systemctl restart smm-tracker``, which starts a second daemon
there, and both managers named when both are installed."""

from __future__ import annotations

import os

import pytest
from key_fixes import (
    SYSTEM_CGROUP,
    TAKEN,
    TERMINAL_CGROUP,
    USER_CGROUP,
    daemon_in,
    install_units,
)
from test_notes_unit import (  # noqa: F401  (refused: a fixture)
    NO_UNIT_KEY,
    NO_UNIT_KEY_ENV,
    USER,
    _balance_fix,
    _orders_fix,
    migration_note,
    refused,
)

from tracker.rules.not_answering import APART
from tracker.service.lock import DatabaseLock

NOT_SYSTEMCTL = f"; not `systemctl`: {APART}"


def test_a_run_in_a_terminal_beside_a_unit_is_told_to_restart_where_it_runs(
    refused,  # noqa: F811  (the fixture)
    tmp_path,
    monkeypatch,
) -> None:
    # `systemctl restart smm-tracker` would start the unit: a second daemon.
    install_units(tmp_path, monkeypatch, "system")
    daemon_in(tmp_path, monkeypatch, TERMINAL_CGROUP)
    with DatabaseLock(tmp_path / "t.db"):  # `smm-tracker run` in tmux
        assert _orders_fix(refused) == NO_UNIT_KEY_ENV + NOT_SYSTEMCTL
        assert _balance_fix(refused) == NO_UNIT_KEY_ENV + NOT_SYSTEMCTL
        shown = refused("doctor")
    assert f"then {NO_UNIT_KEY_ENV}{NOT_SYSTEMCTL}; from cron" in shown.output, shown.output
    assert "systemctl restart" not in shown.output


def test_a_key_in_the_config_of_a_run_in_a_terminal_is_reloaded_by_a_sighup(
    refused,  # noqa: F811  (the fixture)
    tmp_path,
    monkeypatch,
) -> None:
    install_units(tmp_path, monkeypatch, "user")
    daemon_in(tmp_path, monkeypatch, TERMINAL_CGROUP)
    config = (tmp_path / "tracker.toml").read_text()
    (tmp_path / "tracker.toml").write_text(config.replace('key_env = "BAD_KEY"', 'key = "x1"'))
    with DatabaseLock(tmp_path / "t.db"):
        listed = refused("orders")
    assert listed.stderr.endswith(
        f"then {NO_UNIT_KEY}{NOT_SYSTEMCTL}; from cron, the next run reads it)\n"
    )


@pytest.mark.parametrize(
    ("cgroup", "taken"),
    [
        (USER_CGROUP, TAKEN["key_env"].replace("`systemctl restart smm-tracker`", USER)),
        (SYSTEM_CGROUP, TAKEN["key_env"]),
    ],
)
def test_with_both_units_installed_the_one_running_the_daemon_is_named(
    refused,  # noqa: F811  (the fixture)
    tmp_path,
    monkeypatch,
    cgroup,
    taken,
) -> None:
    install_units(tmp_path, monkeypatch, "system", "user")
    daemon_in(tmp_path, monkeypatch, cgroup)
    with DatabaseLock(tmp_path / "t.db"):
        assert _orders_fix(refused) == taken
        assert _balance_fix(refused) == taken
        shown = refused("doctor")
    assert f"then {taken}; from cron" in shown.output, shown.output


def test_without_a_daemon_running_or_its_cgroup_the_unit_installed_is_named(
    refused,  # noqa: F811  (the fixture)
    tmp_path,
    monkeypatch,
) -> None:
    install_units(tmp_path, monkeypatch, "system")
    daemon_in(tmp_path, monkeypatch, TERMINAL_CGROUP)  # no lock held: no daemon
    assert _orders_fix(refused) == TAKEN["key_env"]
    daemon_in(tmp_path / "unread", monkeypatch, None)  # no /proc/PID/cgroup to read
    with DatabaseLock(tmp_path / "t.db"):
        assert _balance_fix(refused) == TAKEN["key_env"]


def test_a_migration_left_to_a_run_in_a_terminal_names_its_restart(tmp_path, monkeypatch) -> None:
    install_units(tmp_path, monkeypatch, "system")
    daemon_in(tmp_path, monkeypatch, TERMINAL_CGROUP)
    said = migration_note(tmp_path)
    restart = f"stop `smm-tracker run` where it runs and start it again{NOT_SYSTEMCTL}"
    assert f"Restart it ({restart}), which applies them, then run this again" in said
    assert "systemctl restart" not in said


def test_a_migration_left_to_a_user_units_daemon_names_its_manager(tmp_path, monkeypatch) -> None:
    install_units(tmp_path, monkeypatch, "system", "user")
    daemon_in(tmp_path, monkeypatch, USER_CGROUP)
    assert f"Restart it ({USER}), which applies them" in migration_note(tmp_path)


def test_a_masked_unit_is_said_masked_in_a_migrations_note(tmp_path, monkeypatch) -> None:
    system = tmp_path / "units" / "system"
    system.mkdir(parents=True)
    (system / "smm-tracker.service").symlink_to("/dev/null")  # `systemctl mask smm-tracker`
    monkeypatch.setenv("SMM_TRACKER_UNIT_PATH", str(system))
    said = migration_note(tmp_path)
    masked = f"smm-tracker.service is masked ({system / 'smm-tracker.service'})"
    assert f"Restart it ({masked}: stop `smm-tracker run` where it runs and start" in said
    assert "no smm-tracker.service installed" not in said


# A reseller's second daemon: an instance of a template unit, its own config.
INSTANCE_CGROUP = "0::/system.slice/system-smm\\x2dtracker.slice/smm-tracker@shop2.service\n"
USER_INSTANCE_CGROUP = (
    "0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
    "app-smm\\x2dtracker.slice/smm-tracker@shop2.service\n"
)
INSTANCE = "`systemctl restart 'smm-tracker@shop2'`"


@pytest.mark.parametrize("managers", [(), ("system",)])
def test_a_template_instances_daemon_is_told_its_own_unit(
    refused,  # noqa: F811  (the fixture)
    tmp_path,
    monkeypatch,
    managers,
) -> None:
    # Without smm-tracker.service it was told a `run` where it runs (a second
    # daemon); beside one, `systemctl restart smm-tracker` (another daemon).
    install_units(tmp_path, monkeypatch, *managers)
    daemon_in(tmp_path, monkeypatch, INSTANCE_CGROUP)
    taken = TAKEN["key_env"].replace("`systemctl restart smm-tracker`", INSTANCE)
    with DatabaseLock(tmp_path / "t.db"):
        assert _orders_fix(refused) == taken
        assert _balance_fix(refused) == taken
        shown = refused("doctor")
    assert f"then {taken}; from cron" in shown.output, shown.output
    assert "`systemctl restart smm-tracker`" not in shown.output
    assert "where it runs" not in shown.output


def test_a_migration_left_to_an_instances_daemon_names_its_unit(tmp_path, monkeypatch) -> None:
    install_units(tmp_path, monkeypatch)
    daemon_in(tmp_path, monkeypatch, USER_INSTANCE_CGROUP)
    said = migration_note(tmp_path)
    assert "Restart it (`systemctl --user restart 'smm-tracker@shop2'`), which applies" in said


def test_a_dangling_unit_is_said_in_a_migrations_note(tmp_path, monkeypatch) -> None:
    system = tmp_path / "units" / "system"
    system.mkdir(parents=True)
    gone = tmp_path / "gone" / "smm-tracker.service"
    (system / "smm-tracker.service").symlink_to(gone)  # the file it led to removed
    monkeypatch.setenv("SMM_TRACKER_UNIT_PATH", str(system))
    said = migration_note(tmp_path)
    link = system / "smm-tracker.service"
    dangling = f"smm-tracker.service is a dangling link ({link}, to {gone}, which does not exist)"
    assert f"Restart it ({dangling}: stop `smm-tracker run` where it runs and start" in said
    assert "no smm-tracker.service installed" not in said


@pytest.mark.parametrize(
    ("environ", "taken"),
    [
        # myapp.service's script started it: systemd's $INVOCATION_ID inherited.
        (b"PATH=/usr/bin\0INVOCATION_ID=0f6c1c7e4b6e\0", "`systemctl restart myapp`"),
        (None, "`systemctl restart myapp`"),  # another user's: not read, the unit named
        # cron's @reboot: no $INVOCATION_ID, so a `run` where it runs.
        (b"PATH=/usr/bin\0HOME=/root\0", None),
    ],
)
def test_a_daemon_in_a_unit_of_another_name_is_told_that_unit_if_systemd_started_it(
    refused,  # noqa: F811  (the fixture)
    tmp_path,
    monkeypatch,
    environ,
    taken,
) -> None:
    install_units(tmp_path, monkeypatch)
    daemon_in(tmp_path, monkeypatch, "0::/system.slice/myapp.service\n")
    if environ is not None:
        (tmp_path / "proc" / str(os.getpid()) / "environ").write_bytes(environ)
    expected = TAKEN["key_env"].replace("`systemctl restart smm-tracker`", taken or "")
    with DatabaseLock(tmp_path / "t.db"):
        assert _orders_fix(refused) == (expected if taken else NO_UNIT_KEY_ENV)
