"""`doctor` before the shipped unit's first start: README's "Run as a
service" writes /etc/smm-tracker/config.toml (database
/var/lib/smm-tracker/tracker.db) in step 2 and starts the unit in step 3;
doctor run between them said `FAIL database: directory /var/lib/smm-tracker
does not exist` (exit 1), as if the setup were wrong, though systemd makes
that directory (the unit's StateDirectory=) at its first start. It now
warns, saying so and what starts it; any other missing directory still fails."""

from __future__ import annotations

import os

import pytest
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in
from test_unit_database_place import TEMPLATE

import tracker.rules.secret_files as secret_files

# doctor asks the offline panel (port 9) at the default 4 retries: 10 ms apart.
pytestmark = pytest.mark.usefixtures("quick_backoff")


def _doctor(
    tmp_path, monkeypatch, database: str, where: str = "config.toml", template: bool = False
) -> list[str]:
    """doctor's database lines for a config at /etc/smm-tracker/WHERE (a
    temporary directory's) naming ``database``, the shipped unit's state
    directory in the same temporary directory, not made yet; the template
    unit installed or not (no unit of this machine read)."""
    units = tmp_path / "units"
    units.mkdir(exist_ok=True)
    if template:
        (units / "smm-tracker@.service").write_text(TEMPLATE.read_text())
    etc = tmp_path / "etc" / "smm-tracker"
    etc.mkdir(parents=True, exist_ok=True)
    state = tmp_path / "var" / "lib" / "smm-tracker"
    monkeypatch.setattr(secret_files, "UNIT_CONFIG", etc / "config.toml")
    monkeypatch.setattr(secret_files, "UNIT_STATE", (state, state.parent / "private" / state.name))
    config = etc / where
    config.write_text(OFFLINE_CONFIG.replace('"t.db"', f'"{database.format(state=state)}"'))
    config.chmod(0o600)
    env = {"SMM_TEST_KEY": TEST_KEY, "SMM_TRACKER_UNIT_PATH": str(units)}
    cli = cli_in(tmp_path, monkeypatch, None, env=env)
    result = cli("--config", str(config), "doctor")
    assert "Traceback" not in result.output
    return [line for line in result.output.splitlines() if " database: " in line]


def test_doctor_before_the_units_first_start_says_systemd_makes_its_directory(
    tmp_path, monkeypatch
):
    state = tmp_path / "var" / "lib" / "smm-tracker"
    assert _doctor(tmp_path, monkeypatch, "{state}/tracker.db") == [
        f"warn database: directory {state} does not exist yet: smm-tracker.service's "
        "StateDirectory=, made at its first start (sudo systemctl enable --now smm-tracker); "
        "a run by hand before that fails"
    ]


def test_any_other_missing_directory_still_fails(tmp_path, monkeypatch):
    # A subdirectory of the state directory: systemd makes only the directory itself.
    state = tmp_path / "var" / "lib" / "smm-tracker"
    assert _doctor(tmp_path, monkeypatch, "{state}/sub/tracker.db") == [
        f"FAIL database: directory {state}/sub does not exist"
    ]
    # The same config anywhere else is no unit's: its directory is a typo.
    assert _doctor(tmp_path, monkeypatch, "{state}/tracker.db", "other.toml") == [
        f"FAIL database: directory {state} does not exist"
    ]


def test_an_instances_state_directory_not_made_yet_is_said_so_too(tmp_path, monkeypatch):
    state = "/var/lib/smm-tracker-shop2"  # the template's StateDirectory=smm-tracker-%i
    if os.path.exists(state):
        pytest.skip(f"{state} exists on this machine")
    assert _doctor(tmp_path, monkeypatch, f"{state}/tracker.db", "shop2.toml", True) == [
        f"warn database: directory {state} does not exist yet: smm-tracker@shop2.service's "
        "StateDirectory=, made at its first start (sudo systemctl enable --now "
        "smm-tracker@shop2); a run by hand before that fails"
    ]
