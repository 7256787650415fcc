"""The services dashboard's charts over a reseller's many services: the
first 20 as the scorecard table ranks them (its first 20 too), and a note
saying how many there are. Over 200 services (a busy reseller's month) the outcomes chart
was 6,000 px tall under a 10,000-px table, and its five or six rows a
service (past 200 services, or 167 with an "other" bar each) ran past the
1,000 rows Datasette returns: the last services' "open" and "other" bars
were silently missing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_dashboard_cards import BOARDS, card, orders_db
from test_dashboard_render import NODE, SPEC, _drawn, _height, _texts

SERVICES = 25


def many_services(path: Path, count: int = SERVICES) -> Path:
    """A database of ``count`` services, one Completed order each, service N
    charged N USD (so the table ranks them from the last to the first)."""
    db = orders_db(path, [("p", n, float(n), "USD") for n in range(1, count + 1)])
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE orders SET service = order_id")
    conn.close()
    return db


def drawn_services(rows: list[dict]) -> list[str]:
    """The services a chart's rows draw, in the order of their rank."""
    ranks = {r["service"]: r["rank"] for r in rows if r["note"] is None}
    return sorted(ranks, key=ranks.__getitem__)


@pytest.mark.parametrize(
    ("chart", "note"),
    [
        ("outcomes", "first 20 of 25 services, as the table"),
        ("completion", "first 20 of 25 services with one Completed"),
    ],
)
def test_a_chart_draws_the_first_20_services_of_the_table_and_says_so(tmp_path, chart, note):
    db = many_services(tmp_path / "t.db")
    table = [r["Service"] for r in card(db, "services", "scorecard")][:-1]  # its "more" line
    assert len(table) == 20
    rows = card(db, "services", chart)
    drawn = drawn_services(rows)
    assert len(drawn) == 20
    # The same services, in the same order, as the table's first 20 rows.
    assert [label.split(" · #")[1].split(" ")[0] for label in drawn] == [
        cell.split("(#")[1].rstrip(")") for cell in table[:20]
    ]
    assert [r["note"] for r in rows if r["note"]] == [note]


def test_a_chart_of_20_services_or_fewer_has_no_such_note(tmp_path):
    db = many_services(tmp_path / "t.db", 20)
    for chart in ("outcomes", "completion"):
        rows = card(db, "services", chart)
        assert len(drawn_services(rows)) == 20
        assert [r["note"] for r in rows if r["note"]] == [], chart


@pytest.mark.skipif(NODE is None or SPEC is None, reason="needs node and datasette-dashboards")
@pytest.mark.parametrize("chart", ["outcomes", "completion"])
def test_the_note_is_drawn_under_the_bars_in_a_band_of_its_own(tmp_path, chart):
    rows = card(many_services(tmp_path / "t.db"), "services", chart)
    display = BOARDS["services"]["charts"][chart]["display"]
    svg = _drawn(tmp_path, display, rows)
    note = next(r["note"] for r in rows if r["note"])
    assert note in _texts(svg, "role-mark")
    # One band more than the bars alone: the completion note's row once drew
    # a third, empty bar's room under each service's two (+20 px a service).
    bars_alone = _height(_drawn(tmp_path, display, [r for r in rows if not r["note"]]))
    assert _height(svg) - bars_alone <= 60  # a band of two bars: 50 px
