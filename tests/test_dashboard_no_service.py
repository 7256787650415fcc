"""The dashboard names orders tracked without --service as `report` does.

Ops56: the scorecard's row of such orders read ``(unknown)`` where `report`
on a terminal says ``main, service not recorded (tracked without
--service)``; so did the labels of the outcomes and completion charts. Read
from the dashboard's own queries, as datasette-dashboards runs them."""

from __future__ import annotations

from datetime import timedelta

from test_dashboard_cards import card, orders_db

from tracker.clock import utcnow
from tracker.store.orders import Store

NOT_RECORDED = "service not recorded (tracked without --service)"


def test_the_scorecard_and_its_charts_say_the_service_was_not_recorded(tmp_path):
    db = orders_db(tmp_path / "t.db", [("main", 1, 2.5, "USD"), ("main", 2, 1.0, "USD")])
    [row] = card(db, "services", "scorecard")
    assert (row["Panel"], row["Service"], row["Orders"]) == ("main", NOT_RECORDED, 2)
    for chart in ("outcomes", "completion"):
        labels = {r["service"] for r in card(db, "services", chart)}
        assert labels == {f"main · {NOT_RECORDED}"}, chart


def test_a_service_whose_name_was_never_synced_says_so(tmp_path):
    # `report` says "main service 12: (name not synced)"; the scorecard read
    # "#12" alone and the charts' labels "main · #12".
    store = Store(tmp_path / "t.db")
    now = utcnow()
    store.track("main", [1], now - timedelta(hours=1), service=12)
    with store.write() as db:
        db.execute("UPDATE orders SET status = 'Completed', completed_at = ?", [now.isoformat()])
    store.close()
    [row] = card(tmp_path / "t.db", "services", "scorecard")
    assert (row["Panel"], row["Service"], row["Orders"]) == ("main", "(name not synced) (#12)", 1)
    for chart in ("outcomes", "completion"):
        labels = {r["service"] for r in card(tmp_path / "t.db", "services", chart)}
        assert labels == {"main · #12 (name not synced)"}, chart
