"""A first refusal waiting for a second keeps the mark of the key it was
refused with (never the key): one of another key's counts not. The mark is
slow on purpose (PBKDF2, some 50 ms): made or checked only at a refusal,
once a process, never at a success."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.config.model import Secret
from tracker.jobs.refused_once import second_refusal, succeeded
from tracker.store import key_marks
from tracker.store.orders import Store

OLD, NEW = "old-account-key-Qd4Lm8Tx2Rw6", "Nk7Hp3Vc"
URL = "https://panel.example/api/v2"
NOW = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)


def _new_process(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Forget the marks this process made or checked; return the list each
    PBKDF2 computation of a mark is appended to from now on."""
    made: list[str] = []
    written = key_marks._written
    monkeypatch.setattr(key_marks, "_made", {})
    monkeypatch.setattr(key_marks, "_checked", {})
    monkeypatch.setattr(key_marks, "_written", lambda *a: made.append(a[0]) or written(*a))
    return made


def _refused(store: Store, key: str) -> bool:
    return second_refusal(store, "main", "cancel", NOW, known=False, url=URL, key=Secret(key))


def test_marks_are_made_at_refusals_only_once_a_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _new_process(monkeypatch)
    store = Store(tmp_path / "t.db")
    try:
        succeeded(store, "main", "cancel", URL)  # nothing waits: no mark
        assert made == []
        assert not _refused(store, OLD) and len(made) == 1  # the first: its key's mark made
        succeeded(store, "main", "cancel", URL)  # a success forgets it: no mark checked
        assert not _refused(store, OLD) and _refused(store, OLD)  # first, then second
        assert len(made) == 1
        assert not _refused(store, OLD)  # the old key's first refusal waits
        made = _new_process(monkeypatch)  # the next process has the new key
        assert not _refused(store, NEW)  # the old key's counts not: a first
        assert len(made) == 2  # the old mark checked, the new one made
        assert _refused(store, NEW) and len(made) == 2  # its own second: learned
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "t.db") as db:  # learned: none waits
        assert db.execute("SELECT kind FROM alert_state").fetchall() == []


def test_a_first_refusal_keeps_a_mark_never_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _new_process(monkeypatch)
    store = Store(tmp_path / "t.db")
    try:
        assert not _refused(store, NEW)
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "t.db") as db:
        [(kind,)] = db.execute("SELECT kind FROM alert_state").fetchall()
    assert kind.startswith("cancel_refused_once@") and "#pbkdf2-sha256$50000$" in kind
    assert NEW not in kind and NEW.encode().hex() not in kind
