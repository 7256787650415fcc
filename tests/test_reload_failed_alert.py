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
from collections.abc import Callable
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


def _reload_fails(tmp_path: Path, edited: str) -> str:
    """Start on a good config, write ``edited`` in its place, reload; return
    the ``config_reload_failed`` alert's message."""
    path = tmp_path / "config.toml"
    _write(path, "50")
    return _failed_reload(path, lambda: path.write_text(edited))


def _failed_reload(path: Path, edit: Callable[[], object]) -> str:
    """Start a service on the config at ``path``, ``edit`` what it reads,
    reload; return the ``config_reload_failed`` alert's message."""
    config = load_config(str(path), {})
    service = Service(config, load=lambda: load_config(str(path), {}), notifier=Notifier(None))
    first = service._build(config)
    try:
        edit()
        with capture_logs() as logs:
            assert service._reload() is None
    finally:
        first.close()
    (alert,) = [e for e in logs if e["event"] == "alert"]
    return str(alert["message"])


def test_a_reload_only_a_restart_can_apply_says_restart_not_reload_again(tmp_path: Path) -> None:
    """Operator's week (walkd99): `database.path` moved, `systemctl reload`:
    the alert said "database.path changed (...): restart to use another
    database; ... fix the file (`smm-tracker doctor` checks it), then reload
    again". doctor found the file valid, and a reload again failed again:
    the advice at its end was the one thing that could not work."""
    moved = (
        '[database]\npath = "other.db"\n\n'
        '[[panels]]\nname = "p"\nurl = "http://127.0.0.1:9/api/v2"\nkey = "k1k2k3k4k5k6"\n'
    )
    message = _reload_fails(tmp_path, moved)
    assert "database.path changed" in message
    assert "reload again" not in message
    assert message.endswith("restart the daemon to take the file as it is (a reload cannot)")


def test_a_key_env_unset_at_reload_says_restart_at_the_end_too(tmp_path: Path) -> None:
    keyed = (
        '[database]\npath = "t.db"\n\n'
        '[[panels]]\nname = "p"\nurl = "http://127.0.0.1:9/api/v2"\nkey_env = "WALKD99_KEY"\n'
    )
    message = _reload_fails(tmp_path, keyed.replace("WALKD99_KEY", "WALKD99_OTHER"))
    assert "WALKD99_OTHER is not set" in message
    assert "reload again" not in message
    assert message.endswith("restart the daemon to take the file as it is (a reload cannot)")


def test_a_typo_beside_an_unset_variable_says_fix_then_restart(tmp_path: Path) -> None:
    keyed = (
        '[database]\npath = "t.db"\n\n'
        '[[panels]]\nname = "p"\nurl = "http://127.0.0.1:9/api/v2"\nkey_env = "WALKD99_KEY"\n'
    )
    edited = keyed.replace("WALKD99_KEY", "WALKD99_OTHER") + '\n[schedule]\nstatus_evry = "5m"\n'
    message = _reload_fails(tmp_path, edited)
    assert message.endswith(
        "fix the file (`smm-tracker doctor` checks it), then restart the daemon (a reload cannot"
        " apply all of it)"
    )


def _key_file_reload(tmp_path: Path, key: bytes, extra: str = "") -> str:
    """Start on a config whose key is in a file, write ``key`` in that file
    (and ``extra`` after the config), reload; return the alert's message."""
    path, key_file = tmp_path / "tracker.toml", tmp_path / "api-key"
    key_file.write_text("k1k2k3k4k5k6\n")
    path.write_text(
        '[database]\npath = "t.db"\n\n'
        '[[panels]]\nname = "p"\nurl = "http://127.0.0.1:9/api/v2"\nkey_file = "api-key"\n'
    )

    def edit() -> None:
        key_file.write_bytes(key)
        if extra:
            path.write_text(path.read_text() + extra)

    return _failed_reload(path, edit)


def test_an_empty_key_file_at_reload_is_named_as_the_file_to_fix(tmp_path: Path) -> None:
    """Operator's walk (walkd99): the key file emptied (`> api-key`, an
    editor's save gone wrong), `systemctl reload`: the alert said "fix the
    file (`smm-tracker doctor` checks it)" after naming tracker.toml, the
    one file with nothing to fix."""
    message = _key_file_reload(tmp_path, b"")
    key_file = tmp_path / "api-key"
    assert message.endswith(
        f"put the key in the key file {key_file} (it is empty), then reload again"
    )
    assert "fix the file" not in message


def test_a_key_file_of_several_words_says_so_never_what_it_holds(tmp_path: Path) -> None:
    message = _key_file_reload(tmp_path, b"k9k8k7k6k5 Xq7Wr2Zt9Yu4\n")
    key_file = tmp_path / "api-key"
    assert message.endswith(
        f"fix the key file {key_file} (it must hold only the key: it holds several words), "
        "then reload again"
    )
    assert "k9k8k7k6k5" not in message and "Xq7Wr2Zt9Yu4" not in message


def test_a_key_file_beside_a_typo_names_both_files(tmp_path: Path) -> None:
    message = _key_file_reload(tmp_path, b"", '\n[schedule]\nstatus_evry = "5m"\n')
    key_file, config = tmp_path / "api-key", tmp_path / "tracker.toml"
    assert message.endswith(
        f"fix {config} and put the key in the key file {key_file} (it is empty) "
        "(`smm-tracker doctor` checks both), then reload again"
    )


def test_each_key_file_fault_is_said_with_the_file() -> None:
    from tracker.rules.reloads import key_file_fault

    at = "at 'panels[1].key_file': "
    assert key_file_fault(f"{at}file /k/api key does not exist") == (
        "put the key in the key file /k/api key (it does not exist)"
    )
    assert key_file_fault(
        f"{at}file /k/a does not exist (also looked in $CREDENTIALS_DIRECTORY)"
    ) == (
        "put the key in the key file /k/a (it does not exist; also looked in "
        "$CREDENTIALS_DIRECTORY)"
    )
    assert key_file_fault(f"{at}file /k/a is not UTF-8 text") == (
        "fix the key file /k/a (it is not UTF-8 text)"
    )
    assert key_file_fault(f"{at}cannot read file /k/a: Permission denied") == (
        "fix the key file /k/a (it cannot be read: Permission denied)"
    )
    assert key_file_fault(f"{at}file named here does not exist") is None  # the config's
    assert key_file_fault("at 'schedule.status_evry': unknown key") is None


def test_a_key_file_systemd_copied_at_start_is_fixed_at_its_source_then_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key file the unit hands over (LoadCredential=) is read from the copy
    systemd made in $CREDENTIALS_DIRECTORY at the daemon's start: the alert
    said to put the key in that copy (read-only), then reload again, which
    reads the same copy."""
    import os

    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "api-key").write_text("k1k2k3k4k5k6\n")
    (credentials / "other-key").write_text("\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    path = tmp_path / "tracker.toml"
    keyed = (
        '[database]\npath = "t.db"\n\n'
        '[[panels]]\nname = "p"\nurl = "http://127.0.0.1:9/api/v2"\nkey_file = "api-key"\n'
    )
    path.write_text(keyed)
    config = load_config(str(path), os.environ)
    service = Service(
        config, load=lambda: load_config(str(path), os.environ), notifier=Notifier(None)
    )
    first = service._build(config)
    try:
        path.write_text(keyed.replace("api-key", "other-key"))
        with capture_logs() as logs:
            assert service._reload() is None
    finally:
        first.close()
    (failed,) = [e for e in logs if e["event"] == "reload_failed"]
    assert failed["problems"] == [
        f"at 'panels[0].key_file': file {credentials / 'other-key'} is empty (a copy systemd "
        "made at the daemon's start of the file the unit's LoadCredential= names: fix that "
        "file, then restart)"
    ]
    (alert,) = [e for e in logs if e["event"] == "alert"]
    message = str(alert["message"])
    assert message.endswith(
        "fix the key file the unit's LoadCredential= names, then restart the daemon (a reload "
        "reads the copy made at its start)"
    ), message
    assert "reload again" not in message and "put the key in" not in message
