"""The automation's stale-Pending cancel pass, the panel's answer read but
not stored (the disk full, the database locked past busy_timeout, a stop
past its bound): one line at error names each order and the cancel the
panel accepted, as `cancel` does, and no cancel is sent again. The pass
ended in the store's words alone: the cancels accepted were named nowhere.
Against the simulated panel, on loopback."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from automation_kit import run
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import H
from structlog.testing import capture_logs

from tracker.errors import StoreError
from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store import automation as automation_sql

CANCEL = 'cancel_pending = true\ncancel_pending_after = "24h"\n'
STEP = 600.0


def _stale(w, count: int) -> list[int]:
    """Orders Pending for over a day, polled: the next automation run cancels them."""
    w.sync_services()
    orders = [w.order(SERVICE_FOLLOWERS, "Pending") for _ in range(count)]
    w.poll()
    w.clock.advance(25 * H)
    w.poll()
    return orders


def _full(*args: Any, **kwargs: Any) -> None:
    raise sqlite3.OperationalError("database or disk is full")


def _sending(w) -> list[str]:
    return [a["status"] for a in automation_sql.actions(w.store) if a["action"] == "cancel"]


@pytest.mark.usefixtures("fresh_logs")
def test_cancels_accepted_but_not_stored_are_named_and_never_sent_again(world, monkeypatch):
    w = world(automation=CANCEL)
    orders = _stale(w, 3)
    monkeypatch.setattr(automation_sql, "finish_action", _full)
    with capture_logs() as logs, pytest.raises(sqlite3.OperationalError):
        run(w)
    monkeypatch.undo()
    assert w.panel.calls["cancel"] == 1
    (line,) = [e for e in logs if e["event"] == "cancel_not_recorded"]
    assert line["log_level"] == "error" and line["panel"] == "sim"
    assert line["orders"] == 3
    assert line["first"] == {str(o): "cancel accepted" for o in orders}
    assert line["error"] == "OperationalError: database or disk is full"
    assert "not sent again" in line["hint"]
    assert _sending(w) == ["Sending"] * 3
    # The runs after it, inside the interrupted actions' grace and past it
    # (settled Unknown), send no cancel again.
    for step in (STEP, 2 * H):
        w.clock.advance(step)
        w.poll()
        with capture_logs() as later:
            assert run(w)
        assert w.panel.calls["cancel"] == 1
        assert not [e for e in later if e["event"] == "cancel_not_recorded"]
    assert _sending(w) == ["Unknown"] * 3


@pytest.mark.usefixtures("fresh_logs")
def test_a_stop_while_the_database_is_locked_names_the_cancels_accepted(world):
    w = world(automation=CANCEL)
    orders = _stale(w, 2)
    original = w.panel._cancel
    other = sqlite3.connect(w.store.path, isolation_level=None, check_same_thread=False)

    def cancel(form, now):  # the stop comes as the answer does; another holds the lock
        answer = original(form, now)
        w.tracker.stop_event.set()
        other.execute("BEGIN IMMEDIATE")
        return answer

    w.panel._cancel = cancel
    try:
        with capture_logs() as logs, pytest.raises(StoreError):
            run(w)
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    (line,) = [e for e in logs if e["event"] == "cancel_not_recorded"]
    assert line["first"] == {str(o): "cancel accepted" for o in orders}
    assert line["orders"] == 2
