"""The refill round's follow-up of a refusal saying the order's earlier
refill still runs ("The refill task is not completed for this order"): a
failure writing that refill In progress (the disk full, the database locked
past busy_timeout) is named in one line at error, each order and the refill
the panel said still runs, as `refill_not_recorded` names answers not
stored. It ended in the store's words alone; nothing is lost (the refusal
and the refill's ID are stored), but the operator was told of no refill.
Against the simulated panel, on loopback."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import DAY, H
from structlog.testing import capture_logs
from test_refill_still_running import SlowWordyPanel

from tracker.errors import StoreError
from tracker.jobs import refill_outcomes
from tracker.rules.refill_states import IN_PROGRESS
from tracker.store import refills as store_refills


def _full(*args: Any, **kwargs: Any) -> None:  # inside the transaction writing it
    raise sqlite3.OperationalError("database or disk is full")


@pytest.mark.usefixtures("fresh_logs")
def test_a_failure_writing_a_refill_still_running_names_it(world, monkeypatch):
    w = world(panel_class=SlowWordyPanel)
    (order,) = w.dropped()
    assert w.round()
    w.panel.word = "Working"  # a word the tracker does not know
    w.clock.advance(H)
    assert w.round()
    (first,) = w.requests(order)
    write = refill_outcomes.update_refills

    def failing(store, updates, now):  # only the write reading a refill In progress
        if updates and all(f == {"status": IN_PROGRESS} for f in updates.values()):
            with monkeypatch.context() as patched:
                patched.setattr(store_refills, "not_before", _full)
                return write(store, updates, now)
        return write(store, updates, now)

    monkeypatch.setattr(refill_outcomes, "update_refills", failing)
    w.clock.advance(DAY)  # past the cooldown: asked, refused "still running"
    with capture_logs() as logs, pytest.raises(StoreError):
        w.round()
    (line,) = [e for e in logs if e["event"] == "refill_running_not_recorded"]
    assert (line["log_level"], line["panel"], line["orders"]) == ("error", "sim", 1)
    assert line["first"] == {str(order): f"refill {first['refill_id']}"}
    assert "disk full" in line["error"]
    assert "asked again after refill.cooldown" in line["hint"]
    assert not [e for e in logs if e["event"] == "refill_not_recorded"]  # the refusal is stored
    earlier, refused = w.requests(order)
    assert (earlier["status"], earlier["raw_status"]) == ("Working", "Working")
    assert refused["status"] == "Refused"
