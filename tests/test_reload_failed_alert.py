"""A reload that fails is an alert, not only a journal line.

Operator's week (daemon90): `systemctl reload smm-tracker` runs the unit's
`ExecReload=/bin/kill -HUP $MAINPID`, which succeeds whatever the daemon
makes of the file; a config with a typo (pushed by a tool, or edited to
stop re-orders or lower `automation.daily_cap`) was logged as
``reload_failed`` and shown in `systemctl status`, and the daemon ran on the
old config, spending by it, with nothing reaching the webhook an unattended
operator watches. Now the failed reload also raises ``config_reload_failed``
(error: log, alerts table, webhook), naming the problems and that the
previous config runs on.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.load import load_config
from tracker.service.notify import Notifier
from tracker.service.process import Service

pytestmark = pytest.mark.usefixtures("fresh_logs")


def _write(path: Path, cap: str) -> None:
    path.write_text(
        '[database]\npath = "t.db"\n\n'
        '[[panels]]\nname = "p"\nurl = "http://127.0.0.1:9/api/v2"\nkey = "k1k2k3k4k5k6"\n\n'
        f"[automation]\ndaily_cap = {cap}\n"
    )


def test_a_failed_reload_raises_an_alert_saying_the_old_config_runs_on(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    _write(path, "50")
    config = load_config(str(path), {})
    service = Service(config, load=lambda: load_config(str(path), {}), notifier=Notifier(None))
    first = service._build(config)  # what `run` starts with
    try:
        _write(path, '"10 USD"')  # the cap lowered, with a typo
        with capture_logs() as logs:
            assert service._reload() is None  # the running config goes on
    finally:
        first.close()
    assert service.config is config
    alerts = [e for e in logs if e["event"] == "alert"]
    assert [e["alert"] for e in alerts] == ["config_reload_failed"]  # before: none
    (alert,) = alerts
    assert alert["log_level"] == "error"
    assert "automation.daily_cap" in alert["message"]
    assert "previous config" in alert["message"]
    assert alert["data"]["problems"] and "daily_cap" in alert["data"]["problems"][0]
    with sqlite3.connect(tmp_path / "t.db") as db:  # kept: `alerts` lists it, the webhook gets it
        kinds = [row[0] for row in db.execute("SELECT kind FROM alerts")]
    assert kinds == ["config_reload_failed"]


def test_a_good_reload_raises_none(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    _write(path, "50")
    config = load_config(str(path), {})
    service = Service(config, load=lambda: load_config(str(path), {}), notifier=Notifier(None))
    first = service._build(config)
    try:
        _write(path, "10")
        with capture_logs() as logs:
            second = service._reload()
        assert second is not None
        second.close()
    finally:
        first.close()
    assert not [e for e in logs if e["event"] == "alert"]
