"""The dashboard names orders tracked without --service as `report` does.

Ops56: the scorecard's row of such orders read ``(unknown)`` where `report`
on a terminal says ``main, service not recorded (tracked without
--service)``; so did the labels of the outcomes and completion charts. Read
from the dashboard's own queries, as datasette-dashboards runs them; the
canned queries (stuck orders, spend by service, rejected refills) too, whose
service_name cell was empty for such orders."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from urllib.parse import unquote

import pytest
from test_dashboard_cards import card, connect, orders_db, panel_of

from tracker.cli.dashboard import build_metadata
from tracker.clock import utcnow
from tracker.store.orders import Store

NOT_RECORDED = "service not recorded (tracked without --service)"
NOT_SYNCED = "(services not synced yet: services --refresh)"


def test_the_scorecard_and_its_charts_say_the_service_was_not_recorded(tmp_path):
    db = orders_db(tmp_path / "t.db", [("main", 1, 2.5, "USD"), ("main", 2, 1.0, "USD")])
    [row] = card(db, "services", "scorecard")
    assert (panel_of(row), re.sub("<[^>]+>", "", row["Service"]), row["Orders"]) == (
        "main",
        NOT_RECORDED,
        2,
    )
    # The flag kept whole: on a phone "--" ended a line, "service)" under it.
    assert '<span class="flag">--service</span>' in row["Service"]
    css = unquote(build_metadata("t", {})["extra_css_urls"][0])
    assert re.search(r"#chart-services\) td \.flag \{\s*white-space: nowrap;", css)
    for chart in ("outcomes", "completion"):
        labels = {r["service"] for r in card(db, "services", chart)}
        assert labels == {f"main · {NOT_RECORDED}"}, chart


def test_a_service_whose_name_was_never_synced_says_so(tmp_path):
    # `report` says "(services not synced yet: services --refresh)"; the
    # scorecard read "#12" alone and the charts' labels "main · #12", then
    # "(name not synced)" for this and the two cases below alike.
    store = Store(tmp_path / "t.db")
    now = utcnow()
    store.track("main", [1], now - timedelta(hours=1), service=12)
    with store.write() as db:
        db.execute("UPDATE orders SET status = 'Completed', completed_at = ?", [now.isoformat()])
    store.close()
    [row] = card(tmp_path / "t.db", "services", "scorecard")
    said = re.sub("<[^>]+>", "", row["Service"])
    assert (panel_of(row), said, row["Orders"]) == ("main", f"{NOT_SYNCED} (#12)", 1)
    # The command kept whole, as a flag: at 1024 px "services --" ended a
    # line of the Service column, "refresh) (#12)" under it.
    assert '<span class="flag">services --refresh</span>' in row["Service"]
    for chart in ("outcomes", "completion"):
        labels = {r["service"] for r in card(tmp_path / "t.db", "services", chart)}
        assert labels == {f"main · #12 {NOT_SYNCED}"}, chart


@pytest.mark.parametrize(
    ("listed", "said"),
    [
        ("7, 'Likes'", "(not in the synced catalogue)"),
        ("12, ''", "(listed with no name)"),
    ],
)
def test_a_service_with_no_name_says_why_as_report_does(tmp_path, listed, said):
    # `report` on a terminal tells the catalogue synced without the service
    # from one listing it with no name; the dashboard said "(name not
    # synced)" for both.
    store = Store(tmp_path / "t.db")
    now = utcnow()
    store.track("main", [1], now - timedelta(hours=1), service=12)
    with store.write() as db:
        db.execute("UPDATE orders SET status = 'Completed', completed_at = ?", [now.isoformat()])
        db.execute(
            f"INSERT INTO services (panel, service, name, updated_at) VALUES ('main', {listed}, '')"
        )
    store.close()
    [row] = card(tmp_path / "t.db", "services", "scorecard")
    assert (panel_of(row), row["Service"]) == ("main", f"{said} (#12)")
    for chart in ("outcomes", "completion"):
        labels = {r["service"] for r in card(tmp_path / "t.db", "services", chart)}
        assert labels == {f"main · #12 {said}"}, chart
    [stuck] = query(tmp_path / "t.db", "spend_by_service", days="30")
    assert stuck["service_name"] == said


QUERIES = build_metadata("t", {})["databases"]["t"]["queries"]


def query(path, name: str, **params: str) -> list[dict]:
    """Return the rows of a canned query, run as Datasette runs it."""
    conn = connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(QUERIES[name]["sql"], params)]
    finally:
        conn.close()


@pytest.fixture
def three_services(tmp_path):
    """Orders 1-3 of panel main, open, first seen an hour ago, each with a
    rejected refill: 1 of service 7 ("Likes", synced), 2 of service 12 (never
    synced), 3 tracked without --service."""
    store = Store(tmp_path / "t.db")
    now = utcnow()
    store.track("main", [1], now - timedelta(hours=1), service=7)
    store.track("main", [2], now - timedelta(hours=1), service=12)
    store.track("main", [3], now - timedelta(hours=1))
    with store.write() as db:
        db.execute(
            "INSERT INTO services (panel, service, name, updated_at) "
            "VALUES ('main', 7, 'Likes', '')"
        )
        db.execute("UPDATE orders SET charge = 1.0, currency = 'USD'")
        for order_id in (1, 2, 3):
            db.execute(
                "INSERT INTO refills (panel, order_id, refill_id, requested_at, status, "
                "updated_at) VALUES ('main', ?, NULL, ?, 'Rejected', ?)",
                [order_id, now.isoformat(), now.isoformat()],
            )
    store.close()
    return tmp_path / "t.db"


# Service 7 synced: 12 is not in the synced catalogue (as `report` says it).
NAMES = {1: "Likes", 2: "(not in the synced catalogue)", 3: NOT_RECORDED}


def test_the_stuck_orders_query_names_every_service(three_services):
    # An order of a service never synced, or tracked without --service, had
    # an empty service_name cell, where `report` says why there is no name.
    rows = query(three_services, "stuck_longer_than", hours="0")
    assert {r["order_id"]: r["service_name"] for r in rows} == NAMES


def test_the_spend_query_names_every_service(three_services):
    rows = query(three_services, "spend_by_service", days="30")
    assert {r["service"]: r["service_name"] for r in rows} == {
        7: "Likes",
        12: "(not in the synced catalogue)",
        None: NOT_RECORDED,
    }


def test_the_rejected_refills_query_names_every_service(three_services):
    # No service column here: the ID after the words, as the scorecard has it.
    rows = query(three_services, "rejected_refills")
    assert {r["order_id"]: r["service_name"] for r in rows} == {
        **NAMES,
        2: "(not in the synced catalogue) (#12)",
    }


def test_every_query_with_a_service_name_is_read_here():
    # A canned query added with a service_name column gets its test above.
    named = {name for name, q in QUERIES.items() if "service_name" in q["sql"]}
    assert named == {"stuck_longer_than", "spend_by_service", "rejected_refills"}


def test_a_quantity_column_says_a_drip_feed_orders_is_a_runs():
    # A drip-feed order's row read "quantity 1200, delivered 4800" (4 runs)
    # with "Quantity ordered" for its only word: the page now says whose.
    tables = build_metadata("t", {})["databases"]["t"]["tables"]
    for table in ("orders", "order_overview", "stuck_orders"):
        assert "a run's for a drip-feed order" in tables[table]["columns"]["quantity"], table
    assert "in all" in tables["automation_actions"]["columns"]["quantity"]
