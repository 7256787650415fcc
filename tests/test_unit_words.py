"""What a daemon another unit runs is told to restart or reload it (its
``auth_failed``, the notes of ``orders``, ``balance``, doctor's lines, a
migration left to the daemon): that unit's systemctl, by its name, quoted
as a shell takes it. Only smm-tracker.service was ever named: a daemon of
``smm-tracker@shop2.service`` was told to restart ``smm-tracker`` (another
daemon) or, with none installed, a ``run`` where it runs (a second one)."""

from __future__ import annotations

import pytest

from tracker.rules.not_answering import daemon_key_fix, daemon_restart, key_taken

ENV = "panels[0].key_env (environment variable SMM_KEY)"
KEY = "panels[0].key (the config file)"
STARTS = "(its environment, the unit's or its EnvironmentFile's, is read at its start only)"


@pytest.mark.parametrize(
    ("manager", "restart"),
    [
        ("system", "`systemctl restart smm-tracker`"),  # today's words, kept
        ("user", "`systemctl --user restart smm-tracker`"),
        ("system:smm-tracker@shop2.service", "`systemctl restart 'smm-tracker@shop2'`"),
        ("user:smm-tracker@shop2.service", "`systemctl --user restart 'smm-tracker@shop2'`"),
        ("system:smm-tracker-eu.service", "`systemctl restart smm-tracker-eu`"),
        ("system:myapp.service", "`systemctl restart myapp`"),
        # systemd-escape's instance names: a shell would eat the backslash.
        ("system:smm-tracker@my\\x20shop.service", "`systemctl restart 'smm-tracker@my\\x20shop'`"),
        ("system:it's.service", "`systemctl restart 'it'\\''s'`"),
    ],
)
def test_the_unit_running_the_daemon_is_the_one_restarted(manager, restart) -> None:
    assert daemon_restart(manager) == restart
    assert key_taken(ENV, manager) == f"{restart} {STARTS}"
    assert daemon_key_fix(ENV, manager) == f"fix the key in {ENV}, then {restart} {STARTS}"


@pytest.mark.parametrize(
    ("manager", "reload"),
    [
        ("system", "`systemctl reload smm-tracker`"),
        ("system:smm-tracker@shop2.service", "`systemctl reload 'smm-tracker@shop2'`"),
        ("user:smm-tracker-eu.service", "`systemctl --user reload smm-tracker-eu`"),
    ],
)
def test_a_key_in_the_config_is_a_reload_of_a_smm_tracker_unit(manager, reload) -> None:
    assert key_taken(KEY, manager) == f"{reload} (the daemon reads it again)"


def test_a_unit_of_another_name_is_restarted_for_a_key_in_the_config() -> None:
    # Its reload is its own (ExecReload=, if any), not the shipped unit's SIGHUP.
    assert key_taken(KEY, "system:myapp.service") == (
        "`systemctl restart myapp` (myapp.service runs the daemon: its reload is that unit's own)"
    )


def test_a_dangling_unit_is_said_in_place_of_none_installed() -> None:
    link, target = "/etc/systemd/system/smm-tracker.service", "/opt/gone/smm-tracker.service"
    assert daemon_restart("none", dangling=(link, target)) == (
        f"smm-tracker.service is a dangling link ({link}, to {target}, which does not exist): "
        "stop `smm-tracker run` where it runs and start it again"
    )
    assert daemon_restart("none") == (
        "no smm-tracker.service installed: stop `smm-tracker run` where it runs and start it again"
    )
