"""The daemon's refill round, its panel's answer read but not stored (the
disk full, the database locked past busy_timeout, a stop past its bound):
one line at error names each order and the refill ID the panel gave, as
`refill ID` does, and nothing is asked of the panel again inside the
cooldown. The round ended in the store's words alone: the refill IDs the
panel gave were named nowhere. Against the simulated panel, on loopback."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import H
from structlog.testing import capture_logs

from tracker.errors import StoreError
from tracker.jobs import few_lines
from tracker.store import refills as store_refills


def _full(*args: Any, **kwargs: Any) -> None:  # inside the transaction storing the answer
    raise sqlite3.OperationalError("database or disk is full")


def _answered(w) -> list[Any]:
    """The panel's refill answers, kept as it gives them."""
    answers, original = [], w.panel._refill

    def refill(form, now):
        answers.append(original(form, now))
        return answers[-1]

    w.panel._refill = refill
    return answers


def _given(orders: list[int], answers: list[Any]) -> dict[str, str]:
    (answer,) = answers
    if isinstance(answer, dict):  # one order's call
        return {str(orders[0]): f"refill {answer['refill']}"}
    return {str(item["order"]): f"refill {item['refill']}" for item in answer}


@pytest.mark.usefixtures("fresh_logs")
@pytest.mark.parametrize("count", [1, 3], ids=["single call", "multi call"])
def test_a_refill_round_answered_but_not_stored_names_each_refill_and_resends_none(
    world, monkeypatch, count
):
    w = world()
    orders = w.dropped(count)
    answers = _answered(w)
    monkeypatch.setattr(store_refills, "not_before", _full)
    with capture_logs() as logs, pytest.raises(StoreError):
        w.round()
    monkeypatch.undo()
    assert w.panel.calls["refill"] == 1
    (line,) = [e for e in logs if e["event"] == "refill_not_recorded"]
    assert line["log_level"] == "error" and line["panel"] == "sim"
    assert line["orders"] == count
    assert line["first"] == _given(orders, answers)
    assert "disk full" in line["error"]
    assert "not sent again inside refill.cooldown" in line["hint"]
    assert [r["status"] for o in orders for r in w.requests(o)] == ["Requesting"] * count
    # The next rounds, the one right after and one past the interrupted
    # requests' grace (settled Unknown), ask nothing inside the cooldown.
    for step in (60, 2 * H):
        w.clock.advance(step)
        with capture_logs() as later:
            assert w.round()
        assert w.panel.calls["refill"] == 1
        assert not [e for e in later if e["event"] == "refill_not_recorded"]
    assert [r["status"] for o in orders for r in w.requests(o)] == ["Unknown"] * count


@pytest.mark.usefixtures("fresh_logs")
def test_many_refills_not_stored_are_named_the_first_few_and_counted(world, monkeypatch):
    monkeypatch.setattr(few_lines, "LISTED", 2)
    w = world()
    orders = w.dropped(5)
    answers = _answered(w)
    monkeypatch.setattr(store_refills, "not_before", _full)
    with capture_logs() as logs, pytest.raises(StoreError):
        w.round()
    given = _given(orders, answers)
    said = [e for e in logs if e["event"] == "refill_not_recorded"]
    first, rest = said
    assert (first["log_level"], first["orders"]) == ("error", 5)
    assert first["first"] == dict(list(given.items())[:2])
    assert first["more"] == "3 more at --log-level debug"
    assert (rest["log_level"], rest["rest"]) == ("debug", dict(list(given.items())[2:]))


@pytest.mark.usefixtures("fresh_logs")
def test_a_stop_while_the_database_is_locked_names_the_refill_given(world):
    # The daemon stopping as the answer comes, another process holding the
    # database's lock: the store's wait is cut short, the answer not stored.
    w = world()
    orders = w.dropped(1)
    answers, original = [], w.panel._refill
    other = sqlite3.connect(w.store.path, isolation_level=None, check_same_thread=False)

    def refill(form, now):
        answers.append(original(form, now))
        w.tracker.stop_event.set()
        other.execute("BEGIN IMMEDIATE")
        return answers[-1]

    w.panel._refill = refill
    try:
        with capture_logs() as logs, pytest.raises(StoreError):
            w.round()
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    (line,) = [e for e in logs if e["event"] == "refill_not_recorded"]
    assert line["first"] == _given(orders, answers)


@pytest.mark.usefixtures("fresh_logs")
def test_a_refusal_not_stored_is_not_told_to_be_checked_as_a_refill(world, monkeypatch):
    # The panel refused: there is no refill to check on the panel.
    w = world()
    (order,) = w.dropped(1)
    w.panel._refill = lambda form, now: {"error": "Refill is disabled for this service"}
    monkeypatch.setattr(store_refills, "not_before", _full)
    with capture_logs() as logs, pytest.raises(StoreError):
        w.round()
    (line,) = [e for e in logs if e["event"] == "refill_not_recorded"]
    assert line["first"] == {str(order): "refused: Refill is disabled for this service"}
    assert "not sent again inside refill.cooldown" in line["hint"]
    assert "check these refills on the panel" not in line["hint"]
    assert "refused" in line["hint"]
