"""The fuzz soak's refill invariant (soak_checks.refill_breaches) finds a
refill sent again for one order inside refill.cooldown, and nothing else: a
`refill --force` and a request the tracker never recorded (forgotten as not
sent) may go inside it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from soak_checks import refill_breaches
from soak_panel import Call

T0 = 1_800_000_000.0


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def _world(tmp_path, stamps: list[float]):
    db = sqlite3.connect(tmp_path / "t.db")
    db.execute("CREATE TABLE refills (id INTEGER PRIMARY KEY, order_id INTEGER, requested_at TEXT)")
    db.executemany(
        "INSERT INTO refills (order_id, requested_at) VALUES (5, ?)", [(_stamp(t),) for t in stamps]
    )
    db.commit()
    db.close()
    return tmp_path


def _call(at: float, forced: bool = False, done: bool = True) -> Call:
    form = {"action": "refill"}
    return Call("refill", [5], "honest", True, True, form, at, forced, 200, frozenset([5] * done))


def test_a_refill_sent_again_inside_the_cooldown_is_a_breach(tmp_path):
    world = _world(tmp_path, [T0 + 1, T0 + 25])  # the first unknown or not: stamped
    found = refill_breaches(world, [_call(T0), _call(T0 + 24)], cooldown=300)
    assert len(found) == 2, found
    assert "order 5: refills row 2 requested 24 s after the one before" in found[0]
    assert "order 5: refill sent again 24 s after one the panel carried out" in found[1]


def test_forced_past_the_cooldown_or_never_recorded_is_none(tmp_path):
    world = _world(tmp_path, [T0 + 1, T0 + 25])
    assert refill_breaches(world, [_call(T0), _call(T0 + 24, forced=True)], cooldown=300) == []
    assert refill_breaches(world, [_call(T0), _call(T0 + 24)], cooldown=20) == []
    assert refill_breaches(world, [_call(T0), _call(T0 + 24)], cooldown=0) == []
    (tmp_path / "forgotten").mkdir()  # no row: the tracker read it as never sent
    forgotten = _world(tmp_path / "forgotten", [])
    assert refill_breaches(forgotten, [_call(T0), _call(T0 + 24)], cooldown=300) == []


def test_a_refill_sent_again_after_the_panel_refused_it_is_none(tmp_path):
    # Seed 77 round 8: a 403 Cloudflare challenge around the panel's refusal of
    # both orders ("You are not eligible to send refill request", errors alone:
    # retried, as README says), then its answer read: no refill was given.
    world = _world(tmp_path, [T0 - 66, T0 + 2])
    assert refill_breaches(world, [_call(T0, done=False), _call(T0 + 1)], cooldown=60) == []
    # The same call giving a refill, lost, then sent again: a breach as before.
    assert len(refill_breaches(world, [_call(T0), _call(T0 + 1, done=False)], cooldown=60)) == 1


def test_a_refill_inside_the_cooldown_of_one_given_before_the_call_before_is_a_breach(tmp_path):
    # Given at T0, then a `refill --force` the panel refused, then a plain
    # refill 20 s after the one given: the cooldown of T0's is still running.
    world = _world(tmp_path, [T0 + 1, T0 + 11])
    calls = [_call(T0), _call(T0 + 10, forced=True, done=False), _call(T0 + 20, done=False)]
    found = refill_breaches(world, calls, cooldown=300)
    assert found == [
        "order 5: refill sent again 20 s after one the panel carried out (honest), inside "
        "refill.cooldown (300 s): refill [5] honest"
    ]
    # The forced one given too: the cooldown runs from it, the latest.
    calls[1] = _call(T0 + 10, forced=True)
    assert "sent again 10 s after" in refill_breaches(world, calls, cooldown=300)[0]
