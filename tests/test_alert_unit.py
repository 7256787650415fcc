"""The daemon's ``auth_failed`` names what has it take a fixed key as fits
the smm-tracker.service installed, in the words of the notes of ``orders``,
``balance`` and ``doctor``: the key where the config sets it, then the
system unit's systemctl, ``systemctl --user`` for a user unit, and with no
unit installed (a ``run`` in a terminal, tmux) no systemctl at all. It said
"restart the tracker (systemctl restart)" or "(SIGHUP, systemctl reload)"
whatever was installed: a command that fails with no unit, and addresses
the wrong manager for a user unit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from key_fixes import (
    SYSTEM_CGROUP,
    TAKEN,
    TERMINAL_CGROUP,
    USER_CGROUP,
    install_units,
    run_in,
)
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from test_paused_jobs import refusing  # noqa: F401  (fixture: a panel taking another key)

from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker
from tracker.service.runs import run_once
from tracker.sim.server import PanelServer
from tracker.store.alerts import alerts_since

pytestmark = pytest.mark.usefixtures("fresh_logs")

WRONG = "a-key-the-panel-refuses-4Qz"
ENV_PLACE = "panels[0].key_env (environment variable BAD_KEY)"
NO_UNIT_KEY_ENV = (
    "a restart of `smm-tracker run` where it runs, from a shell that has the variable "
    "set (its environment is read at its start only)"
)
NO_UNIT_KEY = (
    "a reload of `smm-tracker run` where it runs (`kill -HUP` its PID: it reads the config again)"
)
USER = "`systemctl --user restart smm-tracker`"
SYSTEMCTL = "`systemctl restart smm-tracker`"
INSTANCE_CGROUP = "0::/system.slice/system-smm\\x2dtracker.slice/smm-tracker@shop2.service\n"
INSTANCE = "`systemctl restart 'smm-tracker@shop2'`"
COPY_CGROUP = "0::/user.slice/user-1000.slice/user@1000.service/app.slice/smm-tracker-eu.service\n"
COPY = "`systemctl --user restart smm-tracker-eu`"


def _auth_failed(
    tmp_path: Path,
    clock: Any,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    source: dict,
    before_reload: Callable[[], None] | None = None,
) -> str:
    """The daemon started (its Service built, then its first generation) with
    the panel's key set by ``source``: its ``auth_failed`` message once the
    panel refused the key; with ``before_reload``, that called once the first
    generation is built, then a reload's generation the one that runs."""
    from tracker.service import process
    from tracker.service.notify import Notifier
    from tracker.service.process import Service

    class Clocked(Tracker):
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, clock=clock, **kwargs)

    monkeypatch.setattr(process, "Tracker", Clocked)
    panels = [{"name": "bad", "url": url, **source, "retries": 0}]
    settings = {"database": {"path": "t.db"}, "panels": panels}
    config = config_from_dict(settings, base_dir=tmp_path, env={"BAD_KEY": WRONG})
    service = Service(config, load=lambda: config, notifier=Notifier(None))
    generation = service._build(config)
    if before_reload is not None:
        before_reload()
        first, generation = generation, service._build(config)  # a SIGHUP's
        first.close()
    try:
        with capture_logs():
            assert run_once(generation.jobs) is False  # refused: paused
        store = service._watch.tracker.store  # type: ignore[union-attr]
        (row,) = alerts_since(store, None)
    finally:
        generation.close()
    assert row["kind"] == "auth_failed"
    assert WRONG not in row["message"]
    return str(row["message"])


@pytest.mark.parametrize(
    ("managers", "cgroup", "taken"),
    [
        ((), TERMINAL_CGROUP, NO_UNIT_KEY_ENV),
        (
            ("user",),
            USER_CGROUP,
            TAKEN["key_env"].replace("`systemctl restart smm-tracker`", USER),
        ),
        (("system",), SYSTEM_CGROUP, TAKEN["key_env"]),
        # Both installed: the daemon's cgroup tells which runs it.
        (("system", "user"), SYSTEM_CGROUP, TAKEN["key_env"]),
        # An instance of a template (no smm-tracker.service installed at all):
        # it was told a `run` where it runs, a second daemon.
        ((), INSTANCE_CGROUP, TAKEN["key_env"].replace(SYSTEMCTL, INSTANCE)),
        # A renamed copy beside the user's smm-tracker.service: not that one.
        (("user",), COPY_CGROUP, TAKEN["key_env"].replace(SYSTEMCTL, COPY)),
        # Started by cron's @reboot (no $INVOCATION_ID): not cron.service's to restart.
        ((), "0::/system.slice/cron.service\n", NO_UNIT_KEY_ENV),
    ],
)
def test_the_alert_names_what_restarts_the_daemon_of_the_unit_installed(
    tmp_path: Path,
    clock: Any,
    refusing: PanelServer,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
    managers: tuple[str, ...],
    cgroup: str,
    taken: str,
) -> None:
    install_units(tmp_path, monkeypatch, *managers)
    run_in(tmp_path, monkeypatch, cgroup)
    message = _auth_failed(tmp_path, clock, monkeypatch, refusing.url, {"key_env": "BAD_KEY"})
    assert message.endswith(
        "; its jobs are paused. A balance check every 15m resumes them once the key is "
        f"accepted; fix the key in {ENV_PLACE}, then {taken}."
    ), message
    if taken == NO_UNIT_KEY_ENV:  # `systemctl restart smm-tracker` fails: no such unit
        assert "systemctl" not in message


def test_a_key_in_the_config_without_a_unit_is_taken_by_a_sighup(
    tmp_path: Path,
    clock: Any,
    refusing: PanelServer,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_units(tmp_path, monkeypatch)
    run_in(tmp_path, monkeypatch, TERMINAL_CGROUP)
    message = _auth_failed(tmp_path, clock, monkeypatch, refusing.url, {"key": WRONG})
    assert message.endswith(f", then {NO_UNIT_KEY}."), message
    assert "systemctl" not in message


APART = "; not `systemctl`: the smm-tracker.service installed does not run this daemon"


@pytest.mark.parametrize("source", [{"key_env": "BAD_KEY"}, {"key": WRONG}])
def test_a_daemon_in_a_terminal_beside_an_installed_unit_names_no_systemctl(
    tmp_path: Path,
    clock: Any,
    refusing: PanelServer,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
    source: dict,
) -> None:
    # `smm-tracker run` in tmux while a system unit is installed (not
    # started): `systemctl restart smm-tracker` would start a second daemon.
    install_units(tmp_path, monkeypatch, "system")
    run_in(tmp_path, monkeypatch, TERMINAL_CGROUP)
    message = _auth_failed(tmp_path, clock, monkeypatch, refusing.url, source)
    taken = NO_UNIT_KEY_ENV if "key_env" in source else NO_UNIT_KEY
    assert message.endswith(f", then {taken}{APART}."), message
    assert "`systemctl restart" not in message and "`systemctl reload" not in message


def test_a_daemon_systemd_started_is_told_by_its_invocation_id_without_a_cgroup(
    tmp_path: Path,
    clock: Any,
    refusing: PanelServer,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_units(tmp_path, monkeypatch, "user")
    run_in(tmp_path, monkeypatch, None)  # no /proc/self/cgroup to read
    monkeypatch.setenv("INVOCATION_ID", "0f6c1c7e4b6e4d0d9d9f1b2a3c4d5e6f")
    message = _auth_failed(tmp_path, clock, monkeypatch, refusing.url, {"key_env": "BAD_KEY"})
    assert message.endswith(
        f", then {USER} (its environment, the unit's or its EnvironmentFile's, "
        "is read at its start only)."
    ), message


def test_a_reload_sees_a_unit_installed_since_the_start(
    tmp_path: Path,
    clock: Any,
    refusing: PanelServer,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_units(tmp_path, monkeypatch)  # none at the start: a `run` in a terminal
    run_in(tmp_path, monkeypatch, TERMINAL_CGROUP)
    message = _auth_failed(
        tmp_path,
        clock,
        monkeypatch,
        refusing.url,
        {"key_env": "BAD_KEY"},
        before_reload=lambda: install_units(tmp_path, monkeypatch, "system"),
    )
    assert message.endswith(f", then {NO_UNIT_KEY_ENV}{APART}."), message
