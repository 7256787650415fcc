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


def test_past_20_services_in_two_currencies_each_currencys_highest_are_shown(tmp_path):
    # 25 services charged 101-125 USD, 3 charged 5,000, 20 and 10 USDT. The
    # table ranks a currency at a time, A to Z: its first 20 rows were all
    # USD, and the month's biggest spender, 5,000 USDT, was on none of them
    # (nor on the charts). Past 20 services in several currencies, the 20
    # shown are each currency's highest, taken in turn (USD's 1st, USDT's
    # 1st, USD's 2nd...), listed as ranked: 17 USD, then 3 USDT.
    usd = [("u", n, 100.0 + n, "USD") for n in range(1, 26)]
    usdt = [("t", 101, 5000.0, "USDT"), ("t", 102, 20.0, "USDT"), ("t", 103, 10.0, "USDT")]
    db = orders_db(tmp_path / "t.db", usd + usdt)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE orders SET service = order_id")
    conn.close()
    *table, more = card(db, "services", "scorecard")
    spends = [row["Spend"] for row in table]
    assert spends == [f"{n}.00\xa0USD" for n in range(125, 108, -1)] + [
        "5,000.00\xa0USDT",
        "20.00\xa0USDT",
        "10.00\xa0USDT",
    ]
    assert more["Service"].startswith(
        "8 more services (28 in all; here each currency's highest in turn): "
    )
    # The charts draw those 20, in that order, and say so.
    shown = [cell.split("(#")[1].rstrip(")") for cell in (r["Service"] for r in table)]
    for chart, note in (
        ("outcomes", "20 of 28 services, as the table"),
        ("completion", "20 of 28 services with one Completed"),
    ):
        rows = card(db, "services", chart)
        drawn = drawn_services(rows)
        assert [label.split(" · #")[1].split(" ")[0] for label in drawn] == shown, chart
        assert [r["note"] for r in rows if r["note"]] == [note], chart
