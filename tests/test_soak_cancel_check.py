"""The fuzz soak's cancel invariant (soak_checks.cancel_breaches) finds a
cancel the product promises not to send: by a command but `cancel`, sent
again in one `cancel` once its answer was stored or its outcome unknown, an
order stored as ended without --force; and nothing else: the halves of a
call refused as a whole, a retried 429, a new `cancel` of the user's."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from fuzzing import KEY
from soak_cancels import cancel_breaches
from soak_panel import Call, SoakPanel
from soak_setup import Clock

from tracker.sim.server import SimulatedPanel

OPEN = ("In progress",)
ENDED = ("Completed",)


def _world(tmp_path, orders: list[int]):
    db = sqlite3.connect(tmp_path / "t.db")
    db.execute("CREATE TABLE cancels (id INTEGER PRIMARY KEY, order_id INTEGER, result TEXT)")
    db.executemany(
        "INSERT INTO cancels (order_id, result) VALUES (?, 'Unknown')", [(o,) for o in orders]
    )
    db.commit()
    db.close()
    return tmp_path


def _call(ids: list[int], mode: str = "honest", code: int = 200, acted: bool = True) -> Call:
    return Call("cancel", ids, mode, acted, acted, {"action": "cancel"}, 0.0, code=code)


def test_a_cancel_sent_again_after_its_answer_or_an_unknown_one_is_a_breach(tmp_path):
    world = _world(tmp_path, [5, 5, 6])
    calls = [_call([5, 6], "lost"), _call([5]), _call([6])]
    found, last = cancel_breaches(world, ["cancel", "--yes", "5", "6"], {5: OPEN}, calls, 0)
    assert last == 3
    assert found == [
        "order 5: 2 cancels rows from one `cancel`: sent again after its answer was stored",
        "order 5: cancel sent again (honest) after one the panel carried out whose answer "
        "was lost (outcome unknown)",
        "order 6: cancel sent again (honest) after one the panel carried out whose answer "
        "was lost (outcome unknown)",
    ]


def test_an_ended_order_without_force_or_a_cancel_by_another_command_is_a_breach(tmp_path):
    world = _world(tmp_path, [7])
    args = ["cancel", "--yes", "7"]
    found, _ = cancel_breaches(world, args, {7: ENDED}, [_call([7])], 0)
    assert found == ["order 7: cancel sent, stored as 'Completed', no --force"]
    assert cancel_breaches(world, [*args, "--force"], {7: ENDED}, [_call([7])], 0) == ([], 1)
    found, _ = cancel_breaches(world, ["run", "--once"], {7: OPEN}, [_call([7])], 1)
    assert found == ["run --once: a cancel sent ([7] honest): only `cancel` sends one"]


def test_halves_a_retried_429_and_the_users_next_cancel_are_none(tmp_path):
    world = _world(tmp_path, [5, 6])
    halves = [_call([5, 6], "whole", acted=False), _call([5], "whole", acted=False)]
    calls = [*halves, _call([5]), _call([6], "lost", code=429), _call([6])]
    assert cancel_breaches(world, ["cancel", "--yes", "5", "6"], {}, calls, 0) == ([], 2)
    with closing(sqlite3.connect(world / "t.db")) as db, db:  # the user's next `cancel` of 5
        db.execute("INSERT INTO cancels (order_id, result) VALUES (5, 'Unknown')")
    assert cancel_breaches(world, ["cancel", "--yes", "5"], {5: OPEN}, [_call([5])], 2) == ([], 3)


def test_force_sends_every_order_named_once_and_no_other(tmp_path):
    world = _world(tmp_path, [7, 8])
    args = ["cancel", "--yes", "--force", "7", "8"]
    ended = {7: ENDED, 8: ENDED}
    assert cancel_breaches(world, args, ended, [_call([7, 8])], 0) == ([], 2)
    found, _ = cancel_breaches(world, args, ended, [_call([7]), _call([8, 9])], 0)
    assert found == [
        "order 8: named to `cancel --force`, not in its first call ([7])",
        "order 9: cancel sent (honest), not named",
    ]
    said = "#8  not sent: Completed (as last polled); --force sends it anyway\n"
    found, _ = cancel_breaches(world, args, ended, [_call([7])], 0, said)
    assert found[0] == f"cancel --force: {said.strip()!r}"


def test_a_cancel_sent_again_after_the_panels_whole_answer_is_a_breach(tmp_path):
    world = _world(tmp_path, [7])
    calls = [_call([7, 8]), _call([8])]  # 8's answer came whole, not stored: sent again
    found, _ = cancel_breaches(world, ["cancel", "--yes", "--force", "7", "8"], {}, calls, 0)
    assert found == [
        "order 8: cancel sent again (honest) after the panel's own answer about it came whole"
    ]


def test_the_soak_panel_records_each_calls_code_and_the_orders_it_canceled():
    # Before, Call(...) took them by position, one field off: `forced` got the
    # code, `code` what was done, `done` nothing; so in the soak a lost cancel
    # was never "carried out" and a refill never "given" (both checks blind).
    sim = SimulatedPanel(key=KEY, clock=Clock(), seed=1, speed=8.0)
    ids = sim.seed_orders(2, status="Pending")
    panel = SoakPanel(1, sim, 5.0, honesty=10**9)  # honest, all but surely
    panel.respond({"action": "cancel", "key": KEY, "orders": f"{ids[0]},{ids[1]}"})
    call = panel.calls[-1]
    assert (call.mode, call.code, call.done, call.forced) == ("honest", 200, frozenset(ids), False)
