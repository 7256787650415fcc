"""The stall watch's pass reads its orders narrowly (tracker.store.watch_changed.
due_orders: what the quick judgement needs) and reads in full only those the
quick judgement leaves to judge_row. On any orders and watch rows (hostile
statuses, moments in any offset, stalled or not, due or not, confirmed or
not, paged), it stores the same watch rows, raises the same alerts and counts
the same as the pass reading every order in full (open_orders, as it did
before), the quick judgement given the same fields of each."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_quick_stalls import T0, configs, moments, stored
from test_watch_changed import hostile_text

from tracker.clock import iso
from tracker.config.model import AutomationConfig
from tracker.jobs import stalls
from tracker.jobs.stalls import basis_of, watch_stalls
from tracker.store.orders import Store
from tracker.store.watch import open_orders, save_basis
from tracker.store.watch_changed import ChangedRow, due_orders

moment = st.tuples(moments(), st.sampled_from([0, 0, 0, 2, -5]))
maybe_text = st.none() | moment.map(lambda m: stored(*m))
remains = st.none() | st.integers(-5, 3000) | st.sampled_from([0, 10**12])
services = st.sampled_from([None, 1, 3])
watch_rows = st.none() | st.fixed_dictionaries(
    {
        "baseline_at": maybe_text,
        "baseline_remains": remains,
        "eta": maybe_text,
        "eta_basis": st.sampled_from([None, "rate", "median"]),
        "stalled_at": st.sampled_from([None, None, "", iso(T0)]),
        "stalled_change_at": st.sampled_from([None, "", iso(T0)]),
        "stall_reason": st.sampled_from([None, "slow"]),
        "recheck_at": st.none() | moments(60).map(iso),
        "judged": st.booleans(),  # judged by the order's facts as they are now
    }
)
orders = st.lists(
    st.fixed_dictionaries(
        {
            "status": st.sampled_from(
                ["Pending", "In progress", "Processing", "Partial", "Completed", "Canceled"]
            )
            | hostile_text,
            "polling": st.sampled_from([1, 1, 1, 0]),
            "remains": remains,
            "service": services,
            "quantity": st.none() | st.integers(1, 5000),
            "created_at": moment.map(lambda m: stored(*m)),
            "last_change_at": st.sampled_from([None, ""]) | moments().map(iso),
            "last_checked_at": st.none() | moments(70).map(iso),
            "next_check_at": st.none() | moments(70).map(iso),
            "error": st.sampled_from([None, None, "timeout"]),
            "watch": watch_rows,
        }
    ),
    min_size=1,
    max_size=12,
)
medians = st.sampled_from([{}, {1: 3600.0}, {1: 86400.0, 3: 120.5, 0: 7200.0}])
nows = st.integers(0, 70 * 86400).map(lambda s: T0 + timedelta(seconds=s))


class Alerts:
    """An alerter that keeps what it is given; the panel blind when asked."""

    def __init__(self, blind: bool):
        self.blind, self.raised = blind, []

    def episode(self, panel: str, kind: str) -> Any:
        return SimpleNamespace(active=True) if self.blind else None

    def raise_alert(self, alert: Any) -> Any:
        self.raised.append((alert.kind, alert.message, alert.panel, alert.data))
        return alert


def _fill(store: Store, found: list[dict[str, Any]], meds: dict[int, float]) -> None:
    with store.write() as db:
        db.execute("DELETE FROM order_watch")
        db.execute("DELETE FROM watch_basis")
        db.execute("DELETE FROM orders")
        for order_id, o in enumerate(found, 1):
            db.execute(
                "INSERT INTO orders (panel, order_id, status, polling, remains, service, "
                "quantity, created_at, updated_at, last_change_at, last_checked_at, "
                "next_check_at, error) VALUES ('main', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    order_id,
                    o["status"],
                    o["polling"],
                    o["remains"],
                    o["service"],
                    o["quantity"],
                    o["created_at"],
                    iso(T0),
                    o["last_change_at"],
                    o["last_checked_at"],
                    o["next_check_at"],
                    o["error"],
                ],
            )
            w = o["watch"]
            if w is None:
                continue
            facts = [o["status"], o["remains"], o["last_change_at"], o["service"]]
            facts.append(meds.get(o["service"] or 0))
            db.execute(
                "INSERT INTO order_watch (panel, order_id, baseline_at, baseline_remains, eta, "
                "eta_basis, stalled_at, stalled_change_at, stall_reason, updated_at, "
                "recheck_at, judged_status, judged_remains, judged_change_at, judged_service, "
                "judged_median) VALUES ('main', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    order_id,
                    *(w[c] for c in ("baseline_at", "baseline_remains", "eta", "eta_basis")),
                    *(w[c] for c in ("stalled_at", "stalled_change_at", "stall_reason")),
                    iso(T0),
                    w["recheck_at"],
                    *(facts if w["judged"] else ["x", 1, "y", 9, 0.5]),
                ],
            )


def _full_page(store: Store, panel: str, after: int, medians, due, *, whole: bool) -> tuple:
    """The reference: each page read in full (open_orders, as the pass did)."""
    rows = open_orders(store, panel, after=after, limit=stalls.PAGE, medians=medians, due=due)
    return [ChangedRow._make(getattr(r, f) for f in ChangedRow._fields) for r in rows], rows


def _full_left(store: Store, panel: str, ids: list[int], medians, rows) -> list:
    """The reference: the rows left to judge_row, from the page's full rows."""
    return [row for row in rows if row.order_id in ids]


def _pass(store: Store, found, config, meds, now, blind, *, full_read: bool) -> tuple:
    _fill(store, found, meds)
    if found[0]["watch"] is not None:  # the stall settings unchanged since: only due orders
        save_basis(store, "main", basis_of(config), T0)
    alerts = Alerts(blind)
    with patch.object(stalls, "PAGE", 3):
        if full_read:
            with (
                patch.object(stalls, "_page", _full_page),
                patch.object(stalls, "_left", _full_left),
            ):
                counts = watch_stalls(store, "main", config, alerts, lambda: now, meds, late=600.0)
        else:
            counts = watch_stalls(store, "main", config, alerts, lambda: now, meds, late=600.0)
    watched = store.tuples("SELECT * FROM order_watch ORDER BY order_id")
    return counts, alerts.raised, watched, store.tuples("SELECT * FROM watch_basis")


SHARED = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]  # examples_store: _fill


@settings(max_examples=300, deadline=None, suppress_health_check=SHARED)
@given(found=orders, config=configs(), meds=medians, now=nows, blind=st.booleans())
def test_the_pass_stores_and_alerts_what_reading_in_full_does(
    examples_store, found, config, meds, now, blind
):
    store = examples_store
    narrow = _pass(store, found, config, meds, now, blind, full_read=False)
    full = _pass(store, found, config, meds, now, blind, full_read=True)
    assert narrow == full


@settings(max_examples=150, deadline=None, suppress_health_check=SHARED)
@given(found=orders, meds=medians, due=st.none() | nows)
def test_due_orders_read_what_open_orders_read(examples_store, found, meds, due):
    store = examples_store
    _fill(store, found, meds)
    for after, limit in ((0, 50), (2, 3)):
        fast = due_orders(store, "main", after=after, limit=limit, medians=meds, due=due)
        full = open_orders(store, "main", after=after, limit=limit, medians=meds, due=due)
        assert fast == [ChangedRow._make(getattr(r, f) for f in ChangedRow._fields) for r in full]


def _in_progress(last_change: datetime, watch: dict[str, Any] | None) -> dict[str, Any]:
    """An order In progress since T0, 400 of 1000 left, checked two days on,
    last changed at ``last_change``, with ``watch`` (None: never judged)."""
    return {
        "status": "In progress",
        "polling": 1,
        "remains": 400,
        "service": 1,
        "quantity": 1000,
        "created_at": iso(T0),
        "last_change_at": iso(last_change),
        "last_checked_at": iso(T0 + timedelta(days=2)),
        "next_check_at": iso(T0 + timedelta(days=2, minutes=5)),
        "error": None,
        "watch": watch,
    }


def test_a_stalled_order_is_alerted_from_its_full_row(tmp_path):
    # The alert's facts (quantity, charge, first seen) are read only in full.
    store = Store(tmp_path / "t.db")
    try:
        order = _in_progress(T0, None)
        config = AutomationConfig(stalls=True, stall_after=(("In progress", 3600.0),))
        now = T0 + timedelta(days=2)
        counts, raised, watched, _basis = _pass(
            store, [order], config, {}, now, False, full_read=False
        )
        assert counts == {"judged": 1, "stalled": 1, "moving": 0, "held": 0}
        [(kind, message, panel, data)] = raised
        assert (kind, panel) == ("order_stalled", "main")
        assert "remains 400 of 1000" in message
        assert watched[0][6] == iso(now)  # stalled_at
    finally:
        store.close()


def test_pages_mostly_left_to_judge_row_store_and_alert_the_same(tmp_path):
    # Runs of orders that stall now (S), or are stalled already (Z), between
    # runs of orders judged quickly (Q), and orders not due (U: judged by
    # these facts, no recheck): the pass reads a page in full after a page
    # mostly left to judge_row, narrowly again after one mostly quick.
    def order(kind: str) -> dict[str, Any]:
        stalls, stalled = kind == "S", kind == "Z"
        last = T0 if stalls else T0 + timedelta(days=2)
        watch = {
            "baseline_at": None,
            "baseline_remains": None,
            "eta": None,
            "eta_basis": None,
            "stalled_at": iso(T0 + timedelta(hours=2)) if stalled else None,
            "stalled_change_at": iso(T0) if stalled else None,
            "stall_reason": "slow" if stalled else None,
            "recheck_at": None,
            "judged": kind == "U",
        }
        return _in_progress(last, watch)

    kinds = "QQQ SSS QSS QUU ZZS SQQ QUQ QSZ ZZZ UQ"
    found = [order(kind) for kind in kinds.replace(" ", "")]
    config = AutomationConfig(stalls=True, stall_after=(("In progress", 3600.0),))
    now = T0 + timedelta(days=2)
    store = Store(tmp_path / "t.db")
    try:
        for blind in (False, True):
            narrow = _pass(store, found, config, {}, now, blind, full_read=False)
            full = _pass(store, found, config, {}, now, blind, full_read=True)
            assert narrow == full
            assert narrow[0]["judged"] == len(found) - kinds.count("U")
        assert narrow[0]["held"] == kinds.count("S")
    finally:
        store.close()
