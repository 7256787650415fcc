"""The dashboard's charts drawn from what their queries say: the completion
chart's axis in the unit its bars read best in (tests/test_dashboard_cards.py
runs the cards' SQL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_dashboard_cards import BOARDS, card, orders_db

from tracker.store.orders import Store


def completed_after(path: Path, seconds: list[int]) -> Path:
    """A database of one service's orders, each Completed ``seconds`` after it
    was first seen."""
    db = orders_db(path, [("p", n, 1.0, "USD") for n in range(1, len(seconds) + 1)])
    conn = sqlite3.connect(db)
    with conn:
        for order_id, after in enumerate(seconds, start=1):
            conn.execute(
                "UPDATE orders SET completed_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', "
                "created_at, ?) WHERE order_id = ?",
                [f"+{after} seconds", order_id],
            )
    conn.close()
    return db


MIN, HOUR, DAY = 60, 3600, 86400
SECONDS = {"seconds": 1, "minutes": MIN, "hours": HOUR, "days": DAY}


@pytest.mark.parametrize(
    ("seconds", "unit", "median", "p90"),
    [
        # The demo's orders, done in seconds: the axis read 0.001-0.004 (hours).
        ([8, 12], "seconds", 10, 11.6),
        ([100, 119], "seconds", 109.5, 117.1),
        ([100, 130], "minutes", 115 / 60, 127 / 60),
        ([30 * MIN, 90 * MIN], "minutes", 60, 84),
        ([8 * HOUR, 10 * HOUR], "hours", 9, 9.8),
        ([40 * HOUR, 47 * HOUR], "hours", 43.5, 46.3),
        # A real panel's days read as hundreds of hours.
        ([2 * DAY, 4 * DAY], "days", 3, 3.8),
    ],
)
def test_the_completion_axis_reads_in_the_unit_of_its_longest_bar(
    tmp_path, seconds, unit, median, p90
):
    rows = card(completed_after(tmp_path / "t.db", seconds), "services", "completion")
    assert {r["unit"] for r in rows} == {unit}
    amounts = {r["measure"]: r["amount"] for r in rows}
    assert amounts == {"median": pytest.approx(median), "90th percentile": pytest.approx(p90)}
    # hours stays, for a query that read it.
    hours = {r["measure"]: r["hours"] * HOUR / SECONDS[unit] for r in rows}
    assert hours == pytest.approx(amounts)


def test_the_completion_axis_draws_the_amounts_titled_with_their_unit():
    x = BOARDS["services"]["charts"]["completion"]["display"]["encoding"]["x"]
    assert x["field"] == "amount"
    # datasette-dashboards hands vega-lite the rows unnamed: its first source.
    assert "data('source_0')[0].unit" in x["axis"]["title"]["expr"]
    assert "hours" not in BOARDS["services"]["charts"]["completion"]["title"]


def test_an_empty_completion_chart_has_no_unit(tmp_path):
    Store(tmp_path / "t.db").close()
    [row] = card(tmp_path / "t.db", "services", "completion")
    assert (row["service"], row["unit"]) == ("no orders Completed in the last 30 days", None)
