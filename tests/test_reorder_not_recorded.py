"""A re-order the panel placed but the database did not record: the log line
``reorder_not_recorded`` names the new order and the `track` command, the
daemon stopping meanwhile included (its waits for the database cut short),
and whatever error ended the transaction. One other than the store's went
up with no such line: the order placed and paid for named nowhere."""

from __future__ import annotations

import contextlib
import errno
import sqlite3

import pytest
from automation_kit import REORDER, run
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.errors import StoreError
from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store import automation as automation_sql


def _reordering(world):
    w = world(automation=REORDER.replace("1.0", "100"))
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    return w, parent


def _connect(w) -> sqlite3.Connection:  # another process's: used from the panel's thread
    return sqlite3.connect(w.store.path, isolation_level=None, check_same_thread=False)


def _said(logs, parent, new_id) -> None:
    (said,) = [e for e in logs if e["event"] == "reorder_not_recorded"]
    assert said["order"] == parent and said["new_order"] == new_id
    assert said["hint"] == f"smm-tracker track {new_id} --panel sim"


@pytest.mark.usefixtures("fresh_logs")
def test_a_stop_while_the_answer_came_and_the_database_locked_names_the_new_order(world):
    w, parent = _reordering(world)
    original, answered, other = w.panel._add, [], _connect(w)

    def add(form, now):  # the stop comes while the answer is awaited; another holds the lock
        answered.append(original(form, now))
        w.tracker.stop_event.set()
        other.execute("BEGIN IMMEDIATE")
        return answered[-1]

    w.panel._add = add  # type: ignore[method-assign]
    try:
        with capture_logs() as logs, contextlib.suppress(StoreError):
            run(w)
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    _said(logs, parent, answered[0]["order"])


@pytest.mark.usefixtures("fresh_logs")
def test_an_error_not_the_stores_while_recording_still_names_the_new_order(world, monkeypatch):
    w, parent = _reordering(world)
    original, answered = w.panel._add, []

    def add(form, now):
        answered.append(original(form, now))
        return answered[-1]

    def failing(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    w.panel._add = add  # type: ignore[method-assign]
    monkeypatch.setattr(automation_sql, "record_placed", failing)
    with capture_logs() as logs, contextlib.suppress(OSError):
        run(w)
    _said(logs, parent, answered[0]["order"])
    (said,) = [e for e in logs if e["event"] == "reorder_not_recorded"]
    assert "No space left on device" in said["error"]
