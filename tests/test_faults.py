"""Fault injection: a bad hour on the panel's side costs the user nothing.

Two identical seeded simulated panels share one injected clock; one of them
fails 30% of its calls with every fault a proxy or a panel produces. The
tracker following the faulty one must end with the same rows as the one
following the healthy one, and non-idempotent requests (add, refill) must
never be placed twice.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import tenacity
from refill_world import DAY, World
from simconfig import PanelClock

from tracker.config.load import config_from_dict
from tracker.config.model import Config
from tracker.errors import OutcomeUnknownError, TransientError
from tracker.jobs.tracker import Tracker
from tracker.panel import budget
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder
from tracker.panel.statuses import COMPLETED
from tracker.sim.faults import AFTER
from tracker.sim.server import (
    FAULT_KINDS,
    SERVICE_FOLLOWERS,
    FaultPlan,
    PanelServer,
    SimulatedPanel,
)
from tracker.store.refill_reads import refills

KEY = "fault-key-Wv3Kp9Lq2Xz7Rb5T"
SEED = 11
# Check-times differ between a tracker that had to ask twice and one that did not.
CHECK_TIMES = {"updated_at", "last_checked_at", "next_check_at"}


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    # Real backoff starts at 1-2 s; the retry logic is the same with 10 ms waits.
    # A 429's own Retry-After (1 s) is still honoured.
    monkeypatch.setattr(budget, "BACKOFF", tenacity.wait_fixed(0.01))


def make_config(tmp_path: Path, url: str, db: str, **panel: object) -> Config:
    return config_from_dict(
        {
            "database": {"path": db, "busy_timeout": "2s"},
            "panels": [
                {
                    "name": "sim",
                    "url": url,
                    "key_env": "SIM_KEY",
                    "timeout": "500ms",
                    "retries": 3,
                    "retry_budget": "5s",
                    **panel,
                }
            ],
            "schedule": {"status_every": "1m", "status_max_every": "1m"},
        },
        base_dir=tmp_path,
        env={"SIM_KEY": KEY},
    )


def rows(db_path: Path, table: str, skip: set[str]) -> list[dict]:
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    order = "panel, order_id" if table == "orders" else "panel, order_id, id"
    found = [
        {k: r[k] for k in r.keys() if k not in skip}  # noqa: SIM118 (sqlite3.Row)
        for r in db.execute(f"SELECT * FROM {table} ORDER BY {order}")
    ]
    db.close()
    return found


def test_thirty_percent_faults_end_with_the_same_rows_as_a_clean_run(tmp_path):
    clock = PanelClock()
    clean = SimulatedPanel(key=KEY, clock=clock, seed=SEED, speed=60.0)
    faulty = SimulatedPanel(
        key=KEY,
        clock=clock,
        seed=SEED,
        speed=60.0,
        slow_seconds=0.8,  # longer than the 500 ms timeout
        retry_after=0,  # a 429 retried at the backoff, not after a second each
        faults=FaultPlan(0.3, tuple(sorted(FAULT_KINDS))),
    )
    ids = clean.seed_orders(80, spread=120)
    assert faulty.seed_orders(80, spread=120) == ids
    with PanelServer(clean) as clean_server, PanelServer(faulty) as faulty_server:
        trackers = {}
        for name, server in (("clean", clean_server), ("faulty", faulty_server)):
            # 10 IDs per call: several calls per poll, some of them in parallel.
            config = make_config(tmp_path, server.url, f"{name}.db", max_batch=10)
            tracker = Tracker(config, clock=clock.utc)
            tracker.everything = True
            tracker.store.track("sim", ids, clock.utc())
            trackers[name] = tracker
        try:
            for _step in range(30):  # 20 s of panel time per step
                assert trackers["clean"].poll("sim")
                # Polled again at the same panel time until it gets through:
                # that is what the next scheduled run would do.
                for _attempt in range(20):
                    if trackers["faulty"].poll("sim"):
                        break
                else:
                    pytest.fail("the faulty panel never answered in 20 polls")
                clock.now += 20
        finally:
            for tracker in trackers.values():
                tracker.close()

    # The faults were real: many requests had to be sent again.
    assert clean.calls["status"] >= 40
    assert faulty.calls["status"] >= clean.calls["status"] + 10
    orders = {n: rows(tmp_path / f"{n}.db", "orders", CHECK_TIMES) for n in trackers}
    transitions = {n: rows(tmp_path / f"{n}.db", "transitions", {"id"}) for n in trackers}
    assert len(orders["clean"]) == 80
    assert orders["faulty"] == orders["clean"]
    assert transitions["faulty"] == transitions["clean"]
    # The run went far enough to matter: every order reached a final status.
    assert all(r["polling"] == 0 for r in orders["clean"])
    steps = [(t["order_id"], t["from_status"], t["to_status"]) for t in transitions["faulty"]]
    assert len(steps) == len(set(steps)), "a status change was recorded twice"


# --- add: never placed twice -------------------------------------------------


@pytest.fixture
def served(tmp_path):
    clock = PanelClock()
    panel = SimulatedPanel(key=KEY, clock=clock, seed=SEED, speed=60.0, slow_seconds=0.8)
    with PanelServer(panel) as server:
        config = make_config(tmp_path, server.url, "t.db")
        client = PanelClient(config.panels[0])
        yield panel, clock, client
        client.close()


# The faults that prove the panel never saw the request.
UNSENT = ("429", "challenge")
ORDER = NewOrder(SERVICE_FOLLOWERS, "https://example.test/p", 100, None, None, {})


@pytest.mark.parametrize("kind", sorted(FAULT_KINDS))
def test_add_under_each_fault_places_at_most_one_order(served, kind):
    panel, _clock, client = served
    panel.inject(kind, count=1, action="add")
    try:
        order_id = client.add(ORDER)
    except OutcomeUnknownError as exc:
        assert "outcome unknown" in str(exc)
        # Never resent: the one request either reached the panel or it did not.
        assert panel.calls["add"] == 1
        assert panel.order_count == (1 if kind in AFTER else 0)
    else:
        # Only a fault that proves nothing was placed may be retried: a 429,
        # or Cloudflare's challenge (cf-mitigated: it answered in the panel's stead).
        assert kind in UNSENT
        assert panel.order_count == 1 and panel.order(order_id).order_id == order_id
        assert panel.calls["add"] == 2


def test_add_with_thirty_percent_faults_never_duplicates(served):
    panel, _clock, client = served
    panel.faults = FaultPlan(0.3, tuple(sorted(FAULT_KINDS - {"slow"})), actions=("add",))
    placed, unknown = [], 0
    for _ in range(20):
        try:
            placed.append(client.add(ORDER))
        except OutcomeUnknownError:
            unknown += 1
    assert unknown > 0  # the faults were real
    assert len(set(placed)) == len(placed)
    # Each of the 20 intents made at most one order on the panel.
    assert len(placed) <= panel.order_count <= len(placed) + unknown


# --- refill: never requested twice ---------------------------------------------


def refill_ids(panel: SimulatedPanel, first: int = 12345) -> list[int]:
    """Return the IDs of every refill the panel created (they are sequential)."""
    found = []
    while True:
        try:
            panel.refill_state(first + len(found))
        except KeyError:
            return found
        found.append(first + len(found))


@pytest.mark.parametrize("kind", sorted(FAULT_KINDS))
def test_refill_under_each_fault_is_requested_at_most_once(served, kind):
    panel, clock, client = served
    (order_id,) = panel.seed_orders(1, status=COMPLETED, age=3600)
    panel.drop(order_id, 50)
    panel.inject(kind, count=1, action="refill")
    try:
        request = client.refill(order_id)
    except OutcomeUnknownError as exc:
        assert "outcome unknown" in str(exc)
        assert panel.calls["refill"] == 1
        assert len(refill_ids(panel)) == (1 if kind in AFTER else 0)
    else:
        assert kind in UNSENT and request.error is None
        assert refill_ids(panel) == [int(request.refill_id)]
        assert panel.calls["refill"] == 2


# --- every fault kind, one at a time, on the idempotent status call ---------------


@pytest.mark.parametrize("kind", sorted(FAULT_KINDS))
def test_status_survives_each_fault_kind_by_retrying(served, kind):
    panel, _clock, client = served
    ids = panel.seed_orders(3)
    panel.inject(kind, count=2, action="status")
    found = client.statuses(ids)
    assert sorted(found) == ids
    assert all(found[i].status == panel.order(i).status for i in ids)
    assert panel.calls["status"] == 3


def test_a_fault_that_outlasts_the_retries_is_one_transient_error(served):
    panel, _clock, client = served
    ids = panel.seed_orders(2)
    panel.inject("html502", count=10, action="status")
    with pytest.raises(TransientError) as caught:
        client.statuses(ids)
    assert "502" in str(caught.value) and "\n" not in str(caught.value)
    assert panel.calls["status"] == 4  # retries = 3: bounded


# --- the refill job: a lost answer counts as sent ------------------------------------


def test_refill_job_counts_a_lost_answer_as_sent_under_every_fault(tmp_path, clock):
    world = World(tmp_path, clock, refill="max_requests = 50")
    # "slow" is left out: the shared World's 5 s timeout outlasts it.
    kinds = sorted(FAULT_KINDS - {"slow"})
    try:
        assert world.sync_services()
        ids = [world.order(SERVICE_FOLLOWERS) for _ in range(8)]
        world.poll()
        for kind in [*kinds, None]:  # one request a day per order, each day a fault
            clock.advance(DAY)
            if kind is not None:
                world.panel.inject(kind, count=1, action="refill")
            world.round()
        rows = refills(world.store)
        panel_refills = refill_ids(world.panel)
    finally:
        world.close()

    # Every fault but a 429 or a challenge (which prove the panel never saw the
    # request, so it is sent again) may have been acted on: those requests are
    # recorded as sent, outcome Unknown.
    unknown = [r for r in rows if r["status"] == "Unknown"]
    assert len(unknown) == len(ids) * (len(kinds) - len(UNSENT))
    assert all("outcome unknown" in r["error"] for r in unknown)
    # The panel acted on the requests whose answer was lost after it acted,
    # and on the last, clean round: one refill per order each time (a request
    # it never saw is not recorded, and asked for again the next day).
    assert len(panel_refills) == len(ids) * (len(AFTER - {"slow"}) + 1)
    by_order: dict[int, list[str]] = {}
    for row in sorted(rows, key=lambda r: r["id"]):
        assert row["order_id"] in ids
        by_order.setdefault(row["order_id"], []).append(row["requested_at"])
        # The panel enforces a day between requests and one open refill per
        # order: a resent request would come back refused for that.
        assert "not eligible" not in (row["error"] or "")
        assert "not completed" not in (row["error"] or "")
    for times in by_order.values():
        assert len(times) == len(set(times)), "an order was requested twice in one round"
    # Every refill the panel created is one of the requests recorded as sent,
    # and no recorded refill ID is made up.
    sent = [r for r in rows if r["status"] != "Refused"]
    assert {r["refill_id"] for r in rows if r["refill_id"]} <= {str(i) for i in panel_refills}
    assert len(panel_refills) <= len(sent)
