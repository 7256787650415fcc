"""The daemon's ``auth_failed`` names what has it take a fixed key as fits
the smm-tracker.service installed, in the words of the notes of ``orders``,
``balance`` and ``doctor``: the key where the config sets it, then the
system unit's systemctl, ``systemctl --user`` for a user unit, and with no
unit installed (a ``run`` in a terminal, tmux) no systemctl at all. It said
"restart the tracker (systemctl restart)" or "(SIGHUP, systemctl reload)"
whatever was installed: a command that fails with no unit, and addresses
the wrong manager for a user unit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from key_fixes import TAKEN, install_units
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


def _auth_failed(
    tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch, url: str, source: dict
) -> str:
    """The daemon started (its Service built, then its first generation) with
    the panel's key set by ``source``: its ``auth_failed`` message once the
    panel refused the key."""
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
    ("managers", "taken"),
    [
        ((), NO_UNIT_KEY_ENV),
        (("user",), TAKEN["key_env"].replace("`systemctl restart smm-tracker`", USER)),
        (("system",), TAKEN["key_env"]),
    ],
)
def test_the_alert_names_what_restarts_the_daemon_of_the_unit_installed(
    tmp_path: Path,
    clock: Any,
    refusing: PanelServer,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
    managers: tuple[str, ...],
    taken: str,
) -> None:
    install_units(tmp_path, monkeypatch, *managers)
    message = _auth_failed(tmp_path, clock, monkeypatch, refusing.url, {"key_env": "BAD_KEY"})
    assert message.endswith(
        "; its jobs are paused. A balance check every 15m resumes them once the key is "
        f"accepted; fix the key in {ENV_PLACE}, then {taken}."
    ), message
    if not managers:  # `systemctl restart smm-tracker` fails: no such unit
        assert "systemctl" not in message


def test_a_key_in_the_config_without_a_unit_is_taken_by_a_sighup(
    tmp_path: Path,
    clock: Any,
    refusing: PanelServer,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_units(tmp_path, monkeypatch)
    message = _auth_failed(tmp_path, clock, monkeypatch, refusing.url, {"key": WRONG})
    assert message.endswith(f", then {NO_UNIT_KEY}."), message
    assert "systemctl" not in message
