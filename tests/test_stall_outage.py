"""The stall watch judges only what the panel confirmed (found by a soak test,
"F1"): a panel outage stalls no order and moves none, a stuck order still
stalls, and at a daemon start the stall watch waits for the first poll.

The panel and the tracker share one FakeClock (tests/refill_world.py); the
poll, the balance and the automation job run by hand every 10 minutes, as
the daemon would run them, but for the daemon-start tests, which run the
daemon's own scheduler.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from refill_world import H, World
from waits import idle, next_turns, until

from tracker.jobs.base import Job
from tracker.service.daemon import Generation, JobStats, Scheduler
from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store.alerts import alerts_since

STEP = 600.0  # [automation] every default: 10 minutes
WAIT = 10.0  # seconds: a bound that turns a hang into a failure
THIRTY_MINUTES = """
stall_after = { "In progress" = "30m", Processing = "30m" }
"""


def kinds(w: World, kind: str) -> list[dict]:
    return [a for a in alerts_since(w.store, None, limit=1000) if a["kind"] == kind]


def alerted_ids(w: World, kind: str) -> list[list[int]]:
    return [[o["order_id"] for o in a["data"]["orders"]] for a in kinds(w, kind)]


def stalled_listed(w: World) -> list[int]:
    return [o["order_id"] for o in json.loads(w.cli("orders", "--stalled", "--json").stdout)]


def cycle(w: World, *, balance: bool = False) -> None:
    """Ten minutes on: poll (it may fail), maybe the balance, then the automation."""
    w.clock.advance(STEP)
    w.tracker.poll("sim")
    if balance:
        w.jobs["balance:sim"].run()
    assert w.jobs["automation:sim"].run()


@pytest.mark.parametrize("outage", ["every call", "status calls only"])
def test_a_panel_outage_longer_than_the_threshold_stalls_and_moves_nothing(world, outage):
    # 50 minutes without an answer to a status call, the threshold 30: the
    # soak raised order_stalled for every order it could not poll, then
    # order_moving for them as soon as the panel answered again. "status calls
    # only": the balance answers all along, so no panel_unreachable opens and
    # only the orders' own last checks tell.
    w = world(automation=THIRTY_MINUTES)
    stuck = w.order(SERVICE_FOLLOWERS, "In progress")  # really stalls
    movers = [w.order(SERVICE_FOLLOWERS, "In progress") for _ in range(3)]
    w.poll()
    assert w.jobs["automation:sim"].run()
    cycle(w)
    cycle(w)
    for order_id in movers:
        w.panel.pin(order_id, "Processing")
    cycle(w)  # 30 min: the movers changed
    cycle(w)  # 40 min: stuck, confirmed unchanged for 40 min, stalls
    assert alerted_ids(w, "order_stalled") == [[stuck]]

    w.panel.inject("json500", count=10_000, action=None if outage == "every call" else "status")
    for minutes in (50, 60, 70, 80, 90):
        cycle(w, balance=outage != "every call")
        if minutes == 60:
            for order_id in movers:  # they move on, unseen
                w.panel.pin(order_id, "In progress")
    # The outage was one to the tracker: as panel_unreachable, or the status
    # checks alone failing while the balance answers.
    assert len(kinds(w, "panel_unreachable")) == (1 if outage == "every call" else 0)
    assert alerted_ids(w, "order_stalled") == [[stuck]]  # none of the movers
    assert stalled_listed(w) == [stuck]

    w.panel.clear_faults()
    cycle(w, balance=True)  # the panel answers: the movers moved, the stuck one did not
    cycle(w, balance=True)
    assert alerted_ids(w, "order_stalled") == [[stuck]]
    assert kinds(w, "order_moving") == []  # nor does the stuck one "move" for the panel's return
    assert stalled_listed(w) == [stuck]

    w.panel.pin(stuck, "Processing")  # a real change ends its episode
    cycle(w, balance=True)
    assert alerted_ids(w, "order_moving") == [[stuck]]
    assert stalled_listed(w) == []


def test_no_order_stalls_while_its_panel_is_unreachable(world):
    # An order quiet for 5 h 40 min is next checked an hour later (adaptive
    # polling): its last check is not overdue when its 6 h pass during an
    # outage, but while panel_unreachable is open nothing the tracker holds
    # of that panel is news. It moved meanwhile.
    w = world()
    order_id = w.order(SERVICE_FOLLOWERS, "In progress")  # stalls after 6 h
    w.poll()
    assert w.jobs["automation:sim"].run()
    for _ in range(34):  # to 5 h 40 min, the panel answering
        cycle(w)
    w.panel.inject("json500", count=10_000)
    for _ in range(3):  # 5 h 50 min to 6 h 10 min: unreachable for 20 min
        cycle(w)
        w.panel.pin(order_id, "Processing")
    assert len(kinds(w, "panel_unreachable")) == 1  # opened at 6 h 10 min's poll
    assert kinds(w, "order_stalled") == []
    w.panel.clear_faults()
    cycle(w)
    cycle(w)
    assert kinds(w, "order_stalled") == [] and kinds(w, "order_moving") == []
    assert stalled_listed(w) == []


def test_an_order_not_checked_since_the_tracker_stopped_does_not_stall(world):
    # The daemon was stopped for 8 h (an In progress order stalls after 6 h):
    # what the database says of its open orders is 8 h old, and the stall
    # watch must not take it for 8 h without a change.
    w = world()
    order_id = w.order(SERVICE_FOLLOWERS, "In progress")
    w.poll()
    assert w.jobs["automation:sim"].run()
    w.clock.advance(8 * H)
    assert w.jobs["automation:sim"].run()  # before any poll
    assert kinds(w, "order_stalled") == []
    w.poll()  # the panel confirms: unchanged since it was last seen, 8 h ago
    assert w.jobs["automation:sim"].run()
    assert alerted_ids(w, "order_stalled") == [[order_id]]


def test_a_final_order_is_never_listed_as_stalled(world):
    # A stalled order that completes keeps its watch row until the next pass
    # of the stall watch, which ends its episode (order_moving); in between,
    # `orders --stalled` listed it, Completed.
    w = world()
    order_id = w.order(SERVICE_FOLLOWERS, "In progress")
    w.poll()
    assert w.jobs["automation:sim"].run()
    for _ in range(int(7 * H / STEP)):
        w.clock.advance(STEP)
        w.poll()
        assert w.jobs["automation:sim"].run()
    assert stalled_listed(w) == [order_id]
    w.panel.pin(order_id, "Completed")
    w.clock.advance(STEP)
    w.poll()  # stored Completed; the stall watch has not run since
    assert stalled_listed(w) == []
    assert w.cli("orders", "--stalled").stderr == "no stalled orders\n"
    (row,) = json.loads(w.cli("orders", "--json").stdout)
    assert row["status"] == "Completed" and row["stalled_at"] is None
    assert w.jobs["automation:sim"].run()  # the pass ends the episode
    assert alerted_ids(w, "order_moving") == [[order_id]]


def test_the_rule_an_order_status_is_confirmed_by():
    from tracker.rules.stalls import confirmed

    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    minutes = lambda m: now - timedelta(minutes=m)  # noqa: E731
    assert not confirmed(None, None, now, 600)  # never answered without an error
    assert confirmed(minutes(60), minutes(-5), now, 600)  # next check still ahead
    assert confirmed(minutes(20), minutes(10), now, 600)  # due 10 min ago: late, not stale
    assert not confirmed(minutes(20), minutes(11), now, 600)  # overdue past `late`
    assert not confirmed(minutes(11), None, now, 600)  # due at the next poll since 11 min


# --- the daemon's start ---------------------------------------------------------------


class Jobs:
    """Jobs of two panels that record when they start and end; panel a's poll
    blocks until released."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.release = threading.Event()
        self.ran = {name: threading.Event() for name in ("automation:a", "automation:b")}
        self.lock = threading.Lock()

    def job(self, name: str, *, block: bool = False) -> Job:
        def run() -> bool:
            with self.lock:
                self.events.append(f"start {name}")
            if block:
                self.release.wait(WAIT)
            with self.lock:
                self.events.append(f"end {name}")
            if name in self.ran:
                self.ran[name].set()
            return True

        return Job(name, 3600, run)


def test_at_a_start_each_panel_stall_watch_runs_after_its_first_poll():
    # The soak's start: the automation (stall) job ran 3 ms before the first
    # poll stored its answers, and judged the statuses of before the stop.
    jobs = Jobs()
    generation = Generation(
        [
            jobs.job("status:a", block=True),
            jobs.job("status:b"),
            jobs.job("refill:a"),
            jobs.job("refill:b"),
            jobs.job("automation:a"),
            jobs.job("automation:b"),
            jobs.job("balance:a"),
            jobs.job("balance:b"),
        ],
        threading.Event(),
    )
    scheduler = Scheduler(JobStats())
    scheduler.start(generation)
    try:
        assert jobs.ran["automation:b"].wait(WAIT)  # b's poll is done: b goes on
        # Every job but a's blocked poll has run or is held, and none is due:
        # one started early has run by now (a fixed 0.3 s gave it the time on
        # a quiet host only).
        until(lambda: idle(scheduler, frozenset({"status:a"})), "the start never went quiet")
        with jobs.lock:
            assert "start automation:a" not in jobs.events
            assert "start refill:a" not in jobs.events
        assert next_turns(scheduler).keys().isdisjoint({"automation:a", "refill:a"})  # held
        jobs.release.set()
        assert jobs.ran["automation:a"].wait(WAIT)
    finally:
        jobs.release.set()
        scheduler.shutdown()
    for panel in "ab":
        ends = [jobs.events.index(f"end {kind}:{panel}") for kind in ("status", "balance")]
        for kind in ("refill", "automation"):
            assert jobs.events.index(f"start {kind}:{panel}") > max(ends)


def test_a_daemon_start_judges_the_stalls_by_what_its_first_poll_stored(world):
    # Stopped for 8 h while the panel completed the orders, the daemon starts;
    # its first poll is slow. The stall watch's first pass comes after it: no
    # order_stalled for orders the panel calls Completed, none listed stalled,
    # and their watch rows gone with the pass (a pass before the poll kept
    # them, stalled or not, until the next one, ten minutes later).
    w = world(slow_seconds=0.5)
    ids = [w.order(SERVICE_FOLLOWERS, "In progress") for _ in range(3)]
    w.poll()
    assert w.jobs["automation:sim"].run()
    w.clock.advance(8 * H)
    for order_id in ids:
        w.panel.pin(order_id, "Completed")
    w.panel.inject("slow", count=1, action="status")
    stats = JobStats()
    scheduler = Scheduler(stats)
    scheduler.start(Generation(list(w.jobs.values()), threading.Event()))
    try:
        end = time.monotonic() + WAIT
        while not stats.snapshot().runs_by_job.get("automation:sim"):
            assert time.monotonic() < end, "the automation job never ran"
            time.sleep(0.05)
    finally:
        scheduler.shutdown()
    assert kinds(w, "order_stalled") == []
    assert stalled_listed(w) == []
    assert w.store.tuples("SELECT order_id FROM order_watch") == []
