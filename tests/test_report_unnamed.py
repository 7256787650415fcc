"""`report` on a terminal, a service with no name: it said "(name not
synced)" also for an ID the synced catalogue does not hold. It says which:
the catalogue synced without it, or no catalogue synced yet (and how)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from test_wide_report import run, seeded


def _report(tmp_path, monkeypatch, *sql: str) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    path = seeded(tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE orders SET service = 77 WHERE order_id = 624030")
        for statement in sql:
            db.execute(statement)
    shown, _ = run(["report", "--since", "3650d"], monkeypatch, True)
    return " ".join(shown.split())


def test_a_service_missing_from_the_synced_catalogue_is_said_so(tmp_path, monkeypatch):
    shown = _report(tmp_path, monkeypatch)
    assert "main service 77: (not in the synced catalogue) (1 order)" in shown, shown
    assert "not synced" not in shown


def test_a_service_of_a_panel_never_synced_says_how_to_sync(tmp_path, monkeypatch):
    shown = _report(tmp_path, monkeypatch, "DELETE FROM services")
    said = "(services not synced yet: services --refresh)"
    assert f"main service 77: {said} (1 order)" in shown, shown
    assert f"main service 1: {said} (1 order)" in shown, shown


def test_a_service_listed_with_no_name_is_not_said_missing(tmp_path, monkeypatch):
    listed = (
        "INSERT INTO services (panel, service, name, updated_at)"
        " VALUES ('main', 77, '', '2026-12-04T15:44:45+00:00')"
    )
    shown = _report(tmp_path, monkeypatch, listed)
    assert "main service 77: (listed with no name) (1 order)" in shown, shown


def test_the_retired_words_are_in_no_module():
    """scorecard.py fell back to "(name not synced)" for a service with no
    name: no caller reached it (report, its one caller, passes why for each
    service with no name, an empty one too), and the words were those ux158
    retired, true of one case in three. It is gone: a name-less service
    reads as the three tests above show."""
    import tracker

    modules = Path(tracker.__file__).parent.rglob("*.py")
    assert [m.name for m in modules if "name not synced" in m.read_text()] == []
