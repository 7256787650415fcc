"""A smm-tracker.service systemd finds first but cannot load (a link loop, a
directory of that name, a file its manager cannot read) is no unit to
restart, and the note of a migration left to the daemon says what it is,
as it says a masked unit or a dangling link. It was counted an installed
unit: `systemctl restart smm-tracker` said, which fails on it. Temporary
directories stand in for systemd's (SMM_TRACKER_UNIT_PATH): no test reads
this machine's /etc."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_notes_unit import (  # noqa: F401  (refused: a fixture)
    NO_UNIT_KEY_ENV,
    _orders_fix,
    migration_note,
    refused,
)

from tests.test_doctor_unit_unreadable import _unreadable
from tracker.rules.not_answering import daemon_restart
from tracker.service.doctor_unit import unit_manager

AGAIN = "stop `smm-tracker run` where it runs and start it again"


def _system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system manager's unit directory, its smm-tracker.service left to
    the test; the user manager's empty."""
    system, user = tmp_path / "units" / "system", tmp_path / "units" / "user"
    system.mkdir(parents=True)
    user.mkdir(parents=True)
    monkeypatch.setenv("SMM_TRACKER_UNIT_PATH", f"{system};{user}")
    return system


def _loop(unit: Path) -> None:
    """The unit a link to a file outside the unit directories that links back."""
    outside = unit.parent.parent.parent / "opt" / "tracker.service"
    outside.parent.mkdir(parents=True, exist_ok=True)
    unit.symlink_to(outside)
    outside.symlink_to(unit)


def test_the_words_of_a_unit_systemd_cannot_load() -> None:
    unit = "/etc/systemd/system/smm-tracker.service"
    assert daemon_restart("none", fault=(unit, "loop")) == (
        f"smm-tracker.service is a link loop ({unit}): {AGAIN}"
    )
    assert daemon_restart("none", fault=(unit, "directory")) == (
        f"smm-tracker.service is a directory ({unit}): {AGAIN}"
    )
    assert daemon_restart("none", fault=(unit, "unreadable: Permission denied")) == (
        f"smm-tracker.service cannot be read ({unit}: Permission denied): {AGAIN}"
    )


@pytest.mark.parametrize("kind", ["loop", "directory"])
def test_a_unit_systemd_cannot_load_is_none_to_restart(tmp_path, monkeypatch, kind) -> None:
    system = _system(tmp_path, monkeypatch)
    unit = system / "smm-tracker.service"
    _loop(unit) if kind == "loop" else unit.mkdir()
    assert unit_manager([[system], []]) == "none"
    said = migration_note(tmp_path)
    what = "a link loop" if kind == "loop" else "a directory"
    assert f"Restart it (smm-tracker.service is {what} ({unit}): {AGAIN}" in said, said
    assert "systemctl" not in said


def test_a_user_unit_its_manager_cannot_read_is_none_to_restart(tmp_path, monkeypatch) -> None:
    system = _system(tmp_path, monkeypatch)
    unit = system.parent / "user" / "smm-tracker.service"
    unit.write_text("[Service]\n")
    _unreadable(monkeypatch, unit, 1000)
    assert unit_manager([[system], [unit.parent]]) == "none"
    said = migration_note(tmp_path)
    why = f"smm-tracker.service cannot be read ({unit}: Permission denied)"
    assert f"Restart it ({why}: {AGAIN}" in said, said


def test_a_system_unit_only_this_user_cannot_read_is_still_restarted(tmp_path, monkeypatch) -> None:
    # systemd, as root, reads it: `systemctl restart smm-tracker` works.
    system = _system(tmp_path, monkeypatch)
    (system / "smm-tracker.service").write_text("[Service]\n")
    _unreadable(monkeypatch, system / "smm-tracker.service", 1000)
    assert unit_manager([[system], []]) == "system"
    monkeypatch.setattr(os, "geteuid", lambda: 0)  # root cannot read it either: none
    assert unit_manager([[system], []]) == "none"


def test_a_refused_keys_fix_beside_a_link_loop_is_a_run_where_it_runs(
    refused,  # noqa: F811  (the fixture)
    tmp_path,
    monkeypatch,
) -> None:
    system = _system(tmp_path, monkeypatch)
    _loop(system / "smm-tracker.service")
    assert _orders_fix(refused) == NO_UNIT_KEY_ENV
