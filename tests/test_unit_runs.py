"""What runs the daemon, told by its cgroup: the words its ``auth_failed``
names (``systemctl`` of the unit running it, or the ``run`` where it runs)."""

from __future__ import annotations

import pytest

from tracker.rules.unit_runs import running_manager

UNIFIED = "0::/system.slice/smm-tracker.service\n"
# cgroup v1, systemd's legacy set-up: the unit in name=systemd's line, "0::/" empty.
LEGACY = "2:cpu,cpuacct:/\n1:name=systemd:/system.slice/smm-tracker.service\n0::/\n"
HYBRID_USER = (
    "1:name=systemd:/user.slice/user-1000.slice/user@1000.service/app.slice/smm-tracker.service\n"
    "0::/user.slice/user-1000.slice/user@1000.service/app.slice/smm-tracker.service\n"
)
TMUX = "0::/user.slice/user-1000.slice/user@1000.service/app.slice/tmux-spawn-1.scope\n"


@pytest.mark.parametrize(
    ("cgroup", "invocation", "installed", "said"),
    [
        (UNIFIED, "abc", "both", "system"),
        (LEGACY, "abc", "both", "system"),  # the unit runs it: not "apart"
        (HYBRID_USER, "abc", "both", "user"),
        (TMUX, None, "user", "apart"),
        (TMUX, "leaked-from-a-service", "user", "apart"),  # tmux started by a unit
        (TMUX, None, "none", "none"),
        (None, "abc", "user", "user"),  # no /proc: $INVOCATION_ID, and the unit installed
        (None, None, "system", "apart"),
    ],
)
def test_what_runs_the_daemon(cgroup, invocation, installed, said) -> None:
    assert running_manager(cgroup, invocation, installed) == said


# A daemon another unit runs: an instance of a template (its slice named
# after the template), a renamed copy, a user's instance, any unit at all.
INSTANCE = "0::/system.slice/system-smm\\x2dtracker.slice/smm-tracker@shop2.service\n"
COPY = "0::/system.slice/smm-tracker-eu.service\n"
USER_INSTANCE = (
    "0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
    "app-smm\\x2dtracker.slice/smm-tracker@shop2.service\n"
)
OTHER = "0::/system.slice/myapp.service\n"
# The user manager's own cgroup: no unit of its own runs the daemon there.
MANAGER = "0::/user.slice/user-1000.slice/user@1000.service\n"


@pytest.mark.parametrize(
    ("cgroup", "installed", "said"),
    [
        (INSTANCE, "system", "system:smm-tracker@shop2.service"),  # not smm-tracker.service
        (INSTANCE, "none", "system:smm-tracker@shop2.service"),  # a template only: "none"
        (COPY, "none", "system:smm-tracker-eu.service"),
        (USER_INSTANCE, "both", "user:smm-tracker@shop2.service"),
        (OTHER, "none", "system:myapp.service"),
        (MANAGER, "user", "apart"),
    ],
)
def test_another_unit_running_the_daemon_is_named(cgroup, installed, said) -> None:
    assert running_manager(cgroup, "abc", installed) == said
    assert running_manager(cgroup, None, installed) == said  # the CLI's: no $INVOCATION_ID


CRON = "0::/system.slice/cron.service\n"


@pytest.mark.parametrize(
    ("cgroup", "installed", "said"),
    [
        # `smm-tracker run` cron started (@reboot): cron's jobs get no
        # $INVOCATION_ID; `systemctl restart cron` restarts no daemon.
        (CRON, "none", "none"),
        (CRON, "system", "apart"),
        (OTHER, "none", "none"),
        # A unit of smm-tracker's name is its own, whatever its environment.
        (INSTANCE, "none", "system:smm-tracker@shop2.service"),
        (UNIFIED, "system", "system"),
    ],
)
def test_a_process_another_unit_started_without_its_invocation_is_not_its(
    cgroup, installed, said
) -> None:
    assert running_manager(cgroup, "", installed) == said
