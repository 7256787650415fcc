"""`doctor`'s line of a panel whose key is refused (``auth_failed`` open):
with every call failing too (``panel_unreachable`` open) it says both, the
key first, as ``balance`` and ``orders`` do; and it points at what fixes a
refused key (the key where the config sets it, then a reload, or the next
cron run), not at the log's status_failed lines. It named the key alone
("the API key was refused since ...; the log's status_failed lines say why")."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from key_fixes import TAKEN

from tracker.cli import screen as screen_module
from tracker.cli.main import main
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("quick_backoff")  # a panel down on purpose: tries 10 ms apart

KEY = "doctor-key-Rf7Kp2Lw9Qx4"
CONFIG = """
[database]
path = "t.db"
[[panels]]
name = "down"
url = "http://127.0.0.1:9/api/v2"
key_env = "SIM_KEY"
timeout = "2s"
retries = 0
"""
REFUSED, UNREACHABLE = "2026-12-04T08:00:00+00:00", "2026-12-04T09:00:00+00:00"
FIX = (
    "fix the key in panels[0].key_env (environment variable SIM_KEY), then "
    f"{TAKEN['key_env']}; from cron, the next run reads it"
)


def _installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *managers: str) -> None:
    """A smm-tracker.service installed for each manager named ("system",
    "user"), in temporary directories standing in for systemd's."""
    search = [tmp_path / "units" / manager for manager in ("system", "user")]
    for manager, directory in zip(("system", "user"), search, strict=True):
        directory.mkdir(parents=True)
        if manager in managers:
            (directory / "smm-tracker.service").write_text("[Service]\n")
    from tracker.cli import doctor as doctor_command
    from tracker.service.doctor import run_checks

    units = [[directory] for directory in search]
    monkeypatch.setattr(doctor_command, "run_checks", lambda c, e: run_checks(c, e, units))


@pytest.fixture
def doctor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _installed(tmp_path, monkeypatch, "system")  # as the fixes below say: systemctl
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.setenv("COLUMNS", "400")  # one line a check, to compare
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: False)
    (tmp_path / "tracker.toml").write_text(CONFIG)
    Store(tmp_path / "t.db").close()

    def run(*options: str) -> list[str]:
        result = CliRunner().invoke(main, ["doctor", *options], catch_exceptions=False)
        assert result.exit_code == 1, result.output  # the panel's balance call fails
        assert "Traceback" not in result.output and KEY not in result.output
        return result.stdout.splitlines()

    return run


def _open(tmp_path: Path, *episodes: tuple[str, str]) -> None:
    with sqlite3.connect(tmp_path / "t.db") as db:
        for kind, since in episodes:
            db.execute(
                "INSERT INTO alert_state (panel, kind, active, since) VALUES ('down', ?, 1, ?)",
                (kind, since),
            )
    db.close()


def _failing(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("warn panel down: ")]


def test_both_episodes_said_the_key_first_with_its_fix(doctor, tmp_path: Path) -> None:
    _open(tmp_path, ("auth_failed", REFUSED), ("panel_unreachable", UNREACHABLE))
    assert _failing(doctor()) == [
        f"warn panel down: the API key is refused since {REFUSED}, and every call has "
        f"failed since {UNREACHABLE}: the refused key is the cause to fix first: {FIX}"
    ]
    checks = json.loads("\n".join(doctor("--json")))["checks"]
    [check] = [c for c in checks if c["state"] == "warn" and c["name"] == "panel down"]
    assert sorted(check) == ["detail", "failed", "name", "state"]  # its fields kept
    assert check["detail"].startswith(f"the API key is refused since {REFUSED}, and every")
    assert check["detail"].endswith(FIX) and not check["failed"]


def test_a_refused_key_alone_points_at_the_key_not_the_status_lines(doctor, tmp_path: Path) -> None:
    _open(tmp_path, ("auth_failed", REFUSED))
    [line] = _failing(doctor())
    assert line == f"warn panel down: the API key is refused since {REFUSED}: {FIX}"
    assert "status_failed" not in line


def _alerted(tmp_path: Path, said: str) -> None:
    """The daemon's auth_failed episode open, its alert saying ``said``."""
    _open(tmp_path, ("auth_failed", REFUSED))
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute(
            "INSERT INTO alerts (at, panel, kind, severity, message) "
            "VALUES (?, 'down', 'auth_failed', 'error', ?)",
            (REFUSED, said),
        )
    db.close()


def test_its_alert_follows_the_fix(doctor, tmp_path: Path) -> None:
    said = "down: the panel refused the API key (Invalid API key); its jobs are paused."
    _alerted(tmp_path, said)
    [line] = _failing(doctor())
    assert (
        line == f"warn panel down: the API key is refused since {REFUSED}: {FIX}; its alert: {said}"
    )


PAUSED = (
    "down: the panel refused the API key (Invalid API key); its jobs are paused. "
    "A balance check every 15m resumes them once the key is accepted"
)


def test_its_alert_naming_the_same_fix_is_quoted_without_it(doctor, tmp_path: Path) -> None:
    # The daemon's auth_failed ends with the fix doctor says: quoted whole,
    # the line said the same fix twice.
    _alerted(tmp_path, f"{PAUSED}; {FIX.removesuffix('; from cron, the next run reads it')}.")
    [line] = _failing(doctor())
    assert line == (
        f"warn panel down: the API key is refused since {REFUSED}: {FIX}; its alert: {PAUSED}."
    )


def test_its_alert_naming_another_fix_is_quoted_whole(doctor, tmp_path: Path) -> None:
    # A daemon started before its unit was installed, or the key's place changed since
    said = f"{PAUSED}; fix the key in panels[0].key (inline in config), then {TAKEN['key']}."
    _alerted(tmp_path, said)
    [line] = _failing(doctor())
    assert line.endswith(f"{FIX}; its alert: {said}")


def _refused_by_doctors_call(tmp_path, monkeypatch, *managers: str) -> list[str]:
    """doctor's lines when its own balance call is refused for the key and
    the daemon's auth_failed episode is open, with a unit installed for
    each manager named."""
    from tracker.sim.server import PanelServer, SimulatedPanel

    _installed(tmp_path, monkeypatch, *managers)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: False)
    Store(tmp_path / "t.db").close()
    _open(tmp_path, ("auth_failed", REFUSED))
    server = PanelServer(SimulatedPanel(key="another-account-key-Qw3Er5", seed=1)).start()
    try:
        config = CONFIG.replace("http://127.0.0.1:9/api/v2", server.url)
        (tmp_path / "tracker.toml").write_text(config)
        result = CliRunner().invoke(main, ["doctor"], catch_exceptions=False)
    finally:
        server.stop()
    assert result.exit_code == 1 and KEY not in result.output
    return [line for line in result.stdout.splitlines() if line[5:].startswith("panel down:")]


PLACE = "panels[0].key_env (environment variable SIM_KEY)"
OWN_CALL = (
    "FAIL panel down: key: environment variable SIM_KEY; balance call failed: Invalid API "
    f"key; the panel refuses this key: check that {PLACE} holds this account's key, then "
)
SINCE = (
    "; from cron, the next run reads it; the daemon's polls: the API key is refused "
    f"since {REFUSED}"
)


def test_a_key_refused_by_doctors_own_call_is_one_line(tmp_path, monkeypatch) -> None:
    # Walk: the FAIL line said "check that panels[0].key_env (...) holds
    # this account's key", then a warn line under it, of the same refused
    # key, "fix the key as the panel's FAIL line says, then `systemctl
    # restart smm-tracker` ...": one problem, one line, saying since when
    # the daemon meets it and what has the daemon take the fixed key.
    assert _refused_by_doctors_call(tmp_path, monkeypatch, "system") == [
        f"{OWN_CALL}{TAKEN['key_env']}{SINCE}"
    ]


def test_without_a_unit_the_fix_restarts_what_runs_the_tracker(tmp_path, monkeypatch) -> None:
    # No smm-tracker.service installed (a `run` in tmux, cron's `run
    # --once`): it said `systemctl restart smm-tracker` all the same.
    assert _refused_by_doctors_call(tmp_path, monkeypatch) == [
        f"{OWN_CALL}a restart of `smm-tracker run` where it runs, from a shell that has the "
        f"variable set (its environment is read at its start only){SINCE}"
    ]


def test_a_user_unit_is_restarted_by_its_user_manager(tmp_path, monkeypatch) -> None:
    user = "`systemctl --user restart smm-tracker`"
    [line] = _refused_by_doctors_call(tmp_path, monkeypatch, "user")
    assert line.startswith(f"{OWN_CALL}{user} (its environment") and line.endswith(SINCE)
    both = _refused_by_doctors_call(tmp_path / "both", monkeypatch, "system", "user")
    assert both[0].startswith(
        f"{OWN_CALL}`systemctl restart smm-tracker` or {user}, whichever runs it (its "
    )


def test_a_refused_key_without_a_unit_says_how_a_reload_is_sent(doctor, tmp_path, monkeypatch):
    # The warn line of a key refused while doctor's own call could not tell
    # (the panel down now), no unit installed, the key in the config: a
    # SIGHUP to the `run` reads it, no systemctl.
    _installed(tmp_path / "none", monkeypatch)
    config = CONFIG.replace('key_env = "SIM_KEY"', 'key = "k-Config7Key2Xy9"')
    (tmp_path / "tracker.toml").write_text(config)
    _open(tmp_path, ("auth_failed", REFUSED))
    [line] = _failing(doctor())
    assert line == (
        f"warn panel down: the API key is refused since {REFUSED}: fix the key in "
        "panels[0].key (inline in config), then a reload of `smm-tracker run` where it "
        "runs (`kill -HUP` its PID: it reads the config again); from cron, the next run "
        "reads it"
    )
