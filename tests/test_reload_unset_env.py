"""A reload (SIGHUP) over a config whose ``key_env`` names a variable the
daemon's environment lacks: the variable was exported in a shell, or added to
the unit, after the daemon started. The daemon's environment is the one it
started with, so no reload can see it; ``reload_failed`` says what does (the
unit or its EnvironmentFile, then a restart), where it said only "is not set".
A one-off command, started with the shell's environment, says what it said."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.cli.main import main
from tracker.config.load import load_config
from tracker.service.notify import Notifier
from tracker.service.process import Service

pytestmark = pytest.mark.usefixtures("fresh_logs")

CURE = "the daemon's environment is read at its start only"


def _config(tmp_path: Path, first: str, second: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[database]\npath = "t.db"\n\n'
        f'[[panels]]\nname = "p"\nurl = "http://127.0.0.1:9/api/v2"\n{first}\n\n'
        f'[[panels]]\nname = "q"\nurl = "http://127.0.0.1:8/api/v2"\n{second}\n'
    )
    return path


def test_a_reload_missing_the_key_variable_says_a_restart_is_what_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = _config(tmp_path, 'key = "k1k2k3k4k5k6"', 'key = "q1q2q3q4q5q6"')
    config = load_config(str(path), {})
    service = Service(config, load=lambda: load_config(str(path), {}), notifier=Notifier(None))
    # The key moved to a variable the daemon never had, the other to a file not there.
    _config(tmp_path, 'key_env = "SMM_NEW_KEY"', 'key_file = "missing"')
    with capture_logs() as logs:
        assert service._reload() is None  # the running config goes on
    (failed,) = [e for e in logs if e["event"] == "reload_failed"]
    unset, missing = failed["problems"]
    assert unset == (
        "at 'panels[0].key_env': environment variable SMM_NEW_KEY is not set (the daemon's "
        "environment is read at its start only: set it in the unit or its EnvironmentFile, "
        "then restart)"
    )
    assert missing.startswith("at 'panels[1].key_file': ") and CURE not in missing
    assert service.config is config
    assert service.note.startswith("reload failed: ") and CURE in service.note  # systemctl status
    # A one-off command starts with the shell's environment: said as before.
    monkeypatch.delenv("SMM_NEW_KEY", raising=False)
    ran = CliRunner().invoke(main, ["--config", str(path), "run", "--once"])
    assert ran.exit_code == 2, ran.output
    assert "environment variable SMM_NEW_KEY is not set" in ran.output
    assert CURE not in ran.output and "Traceback" not in ran.output


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("", "is empty"),
        ("k1k2k3k4 Zq9Wx8Vt", "must hold only the key (it holds several words)"),
        ("k1k2k3k4\u200bZq9Wx8Vt", "must hold only the key (it holds an invisible character)"),
        ("k1k2k3k4\x1bZq9Wx8Vt", "must hold only the key (it holds a control character)"),
    ],
)
def test_a_reload_finding_the_key_variable_unusable_says_a_restart_is_what_reads_it(
    tmp_path: Path, value: str, said: str
):
    # It said "fix the file (`smm-tracker doctor` checks it), then reload
    # again": the file was right, and the variable the same at every reload.
    env = {"SMM_OLD_KEY": "k9k8k7k6k5k4", "SMM_NEW_KEY": value}
    path = _config(tmp_path, 'key_env = "SMM_OLD_KEY"', 'key = "q1q2q3q4q5q6"')
    config = load_config(str(path), env)
    service = Service(config, load=lambda: load_config(str(path), env), notifier=Notifier(None))
    first = service._build(config)
    try:
        _config(tmp_path, 'key_env = "SMM_NEW_KEY"', 'key = "q1q2q3q4q5q6"')
        with capture_logs() as logs:
            assert service._reload() is None  # the running config goes on
    finally:
        first.close()
    (failed,) = [e for e in logs if e["event"] == "reload_failed"]
    assert failed["problems"] == [
        f"at 'panels[0].key_env': environment variable SMM_NEW_KEY {said} (the daemon's "
        "environment is read at its start only: set it in the unit or its EnvironmentFile, "
        "then restart)"
    ]
    (alert,) = [e for e in logs if e["event"] == "alert"]
    message = str(alert["message"])
    assert message.endswith("restart the daemon to take the file as it is (a reload cannot)")
    assert "reload again" not in message and "Zq9Wx8Vt" not in message
