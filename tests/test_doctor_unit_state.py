"""`doctor` before the shipped unit's first start: README's "Run as a
service" writes /etc/smm-tracker/config.toml (database
/var/lib/smm-tracker/tracker.db) in step 2 and starts the unit in step 3;
doctor run between them said `FAIL database: directory /var/lib/smm-tracker
does not exist` (exit 1), as if the setup were wrong, though systemd makes
that directory (the unit's StateDirectory=) at its first start. It now
says so in a note (info, no failure), and what starts it, also for any
config whose database lies in the StateDirectory= of the smm-tracker.service
installed (newuser206); any other missing directory still fails, with its fix."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in
from test_unit_database_place import TEMPLATE

import tracker.rules.secret_files as secret_files

# doctor asks the offline panel (port 9) at the default 4 retries: 10 ms apart.
pytestmark = pytest.mark.usefixtures("quick_backoff")


def _doctor(
    tmp_path,
    monkeypatch,
    database: str,
    where: str = "config.toml",
    template: bool = False,
    unit: str | None = None,
) -> list[str]:
    """doctor's database lines for a config at /etc/smm-tracker/WHERE (a
    temporary directory's) naming ``database``, the shipped unit's state
    directory in the same temporary directory, not made yet; the template
    unit installed or not, and ``unit``, an smm-tracker.service's text, (no
    unit of this machine read); /etc/smm-tracker/WHERE is an absolute path
    for a config elsewhere."""
    units = tmp_path / "units"
    units.mkdir(exist_ok=True)
    if unit is not None:
        (units / "smm-tracker.service").write_text(unit)
    if template:
        (units / "smm-tracker@.service").write_text(TEMPLATE.read_text())
    etc = tmp_path / "etc" / "smm-tracker"
    etc.mkdir(parents=True, exist_ok=True)
    state = tmp_path / "var" / "lib" / "smm-tracker"
    monkeypatch.setattr(secret_files, "UNIT_CONFIG", etc / "config.toml")
    monkeypatch.setattr(secret_files, "UNIT_STATE", (state, state.parent / "private" / state.name))
    monkeypatch.setattr(secret_files, "STATE_ROOT", state.parent)
    config = etc / where
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(OFFLINE_CONFIG.replace('"t.db"', f'"{database.format(state=state)}"'))
    config.chmod(0o600)
    env = {"SMM_TEST_KEY": TEST_KEY, "SMM_TRACKER_UNIT_PATH": str(units)}
    cli = cli_in(tmp_path, monkeypatch, None, env=env)
    result = cli("--config", str(config), "doctor")
    assert "Traceback" not in result.output
    said = [line for line in result.output.splitlines() if " database: " in line]
    checks = json.loads(cli("--config", str(config), "doctor", "--json").stdout)["checks"]
    failed = [c["failed"] for c in checks if c["name"] == "database"]
    assert failed == [line.startswith("FAIL") for line in said]  # a note: no failure, exit 0
    return said


def test_doctor_before_the_units_first_start_says_systemd_makes_its_directory(
    tmp_path, monkeypatch
):
    state = tmp_path / "var" / "lib" / "smm-tracker"
    assert _doctor(tmp_path, monkeypatch, "{state}/tracker.db") == [
        f"info database: directory {state} does not exist yet: created by systemd at the "
        "service's first start (smm-tracker.service's StateDirectory=; sudo systemctl enable "
        "--now smm-tracker); a run by hand before that fails"
    ]


def test_any_other_missing_directory_still_fails(tmp_path, monkeypatch):
    # A subdirectory of the state directory: systemd makes only the directory itself.
    state = tmp_path / "var" / "lib" / "smm-tracker"
    assert _doctor(tmp_path, monkeypatch, "{state}/sub/tracker.db") == [
        f"FAIL database: directory {state}/sub does not exist: create it (mkdir -p "
        f"{state}/sub), or set [database] path in the config to a file in a directory that exists"
    ]
    # The same config anywhere else is no unit's: installing one comes first.
    assert _doctor(tmp_path, monkeypatch, "{state}/tracker.db", "other.toml") == [
        NO_UNIT.format(state)
    ]


def test_an_instances_state_directory_not_made_yet_is_said_so_too(tmp_path, monkeypatch):
    state = "/var/lib/smm-tracker-shop2"  # the template's StateDirectory=smm-tracker-%i
    if os.path.exists(state):
        pytest.skip(f"{state} exists on this machine")
    assert _doctor(tmp_path, monkeypatch, f"{state}/tracker.db", "shop2.toml", True) == [
        f"info database: directory {state} does not exist yet: created by systemd at the "
        "service's first start (smm-tracker@shop2.service's StateDirectory=; sudo systemctl "
        "enable --now smm-tracker@shop2); a run by hand before that fails"
    ]


SHIPPED = Path(__file__).parent.parent / "tracker" / "data" / "smm-tracker.service"


def test_the_installed_units_state_directory_is_a_note_whatever_the_configs_path(
    tmp_path, monkeypatch
):
    # A config elsewhere (an edited ExecStart=, a copy in a home), its database
    # in /var/lib/smm-tracker: the installed unit's StateDirectory=smm-tracker.
    state = tmp_path / "var" / "lib" / "smm-tracker"
    elsewhere = str(tmp_path / "srv" / "tracker.toml")
    unit = tmp_path / "units" / "smm-tracker.service"
    assert _doctor(
        tmp_path, monkeypatch, "{state}/tracker.db", elsewhere, unit=SHIPPED.read_text()
    ) == [
        f"info database: directory {state} does not exist yet: created by systemd at the "
        f"service's first start (StateDirectory=smm-tracker in {unit}; sudo systemctl enable "
        "--now smm-tracker); a run by hand before that fails"
    ]


def test_a_drop_in_changing_the_state_directory_is_read(tmp_path, monkeypatch):
    elsewhere = str(tmp_path / "srv" / "tracker.toml")
    drop_in = tmp_path / "units" / "smm-tracker.service.d"
    drop_in.mkdir(parents=True)
    (drop_in / "state.conf").write_text("[Service]\nStateDirectory=\nStateDirectory=tracker\n")
    other = tmp_path / "var" / "lib" / "tracker"
    said = _doctor(
        tmp_path, monkeypatch, f"{other}/tracker.db", elsewhere, unit=SHIPPED.read_text()
    )
    assert said[0].startswith(f"info database: directory {other} does not exist yet: created by")
    # /var/lib/smm-tracker is no longer the unit's: systemd makes none there.
    said = _doctor(tmp_path, monkeypatch, "{state}/tracker.db", elsewhere, unit=SHIPPED.read_text())
    assert said[0].startswith("FAIL database: directory ")


NO_UNIT = (
    "FAIL database: directory {0} does not exist: it is the state directory of "
    "smm-tracker.service, which systemd creates at the service's first start, and no such "
    "unit is installed: install it (smm-tracker unit | sudo tee "
    "/etc/systemd/system/smm-tracker.service; README's Run as a service, step 3); or, to run "
    "by hand, create it (sudo mkdir -p {0}), or set [database] path in the config to a file "
    "in a directory that exists"
)


def test_no_unit_installed_a_config_elsewhere_fails_with_installing_the_unit_first(
    tmp_path, monkeypatch
):
    # It said "create it (mkdir -p ...)" alone: the unit, which makes it, comes first.
    state = tmp_path / "var" / "lib" / "smm-tracker"
    elsewhere = str(tmp_path / "srv" / "tracker.toml")
    assert _doctor(tmp_path, monkeypatch, "{state}/tracker.db", elsewhere) == [
        NO_UNIT.format(state)
    ]
    private = state.parent / "private" / state.name  # DynamicUser='s place
    said = _doctor(tmp_path, monkeypatch, f"{private}/tracker.db", elsewhere)
    assert said == [NO_UNIT.format(private)]
