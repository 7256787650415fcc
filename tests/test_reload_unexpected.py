"""A reload (SIGHUP) that fails for a reason nobody foresaw keeps the daemon
on its previous config, as a broken config does: a thread that could not be
started while building the new jobs ("can't start new thread", under the
unit's TasksMax) ended the daemon, and every panel went untracked until
systemd restarted it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.service.notify import Notifier
from tracker.service.process import Service

pytestmark = pytest.mark.usefixtures("fresh_logs")


def test_a_reload_failing_unexpectedly_keeps_the_previous_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings: dict[str, Any] = {
        "database": {"path": "t.db"},
        "panels": [{"name": "p", "url": "http://127.0.0.1:9/api/v2", "key": "k" * 12}],
    }
    config = config_from_dict(settings, base_dir=tmp_path, env={})
    service = Service(config, load=lambda: config, notifier=Notifier(None))

    def build(_config: Any) -> Any:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(service, "_build", build)
    with capture_logs() as logs:
        assert service._reload() is None  # nothing new: the running generation goes on
    (failed,) = [e for e in logs if e["event"] == "reload_failed"]
    assert failed["kept"] == "previous config"
    assert failed["problems"] == ["can't start new thread"]
    assert failed.get("exc_info")  # a bug: its traceback in the log
    assert service.config is config
    assert "reload failed: can't start new thread" in service.note
