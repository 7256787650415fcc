"""The dashboard's charts drawn from what their queries say: the completion
chart's axis in the unit its bars read best in, one threshold rule per value
on the balance chart, the scorecard's figures named on a phone as the table
names them (tests/test_dashboard_cards.py runs the cards' SQL)."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from importlib.resources import files
from pathlib import Path

import pytest
from test_dashboard_cards import BOARDS, card, orders_db

from tracker.cli.dashboard import build_metadata
from tracker.clock import utcnow
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
    # Whole seconds ticked every 5 read "0 5 1e+1" as "~g" (vega gives the
    # format the ticks' precision, one digit there); "~r" reads "0 5 10".
    assert x["axis"]["format"] == "~r"
    assert "hours" not in BOARDS["services"]["charts"]["completion"]["title"]


def test_an_empty_completion_chart_has_no_unit(tmp_path):
    Store(tmp_path / "t.db").close()
    [row] = card(tmp_path / "t.db", "services", "completion")
    assert (row["note"], row["unit"]) == ("no orders Completed in the last 30 days", None)


def balances_db(path: Path, series: list[tuple[str, str, int]]) -> Path:
    """A database of a balance check per ``(panel, currency, minutes ago)``."""
    Store(path).close()
    now = utcnow().replace(microsecond=0)
    conn = sqlite3.connect(path)
    with conn:
        for panel, currency, ago in sorted(series, key=lambda s: -s[2]):
            at = (now - timedelta(minutes=ago)).isoformat()
            conn.execute("INSERT INTO balances VALUES (?, ?, 100.0, ?)", [panel, at, currency])
    conn.close()
    return path


def thresholds(rows: list[dict]) -> set[tuple]:
    return {(r["low"], r["low_label"], r["low_lines"]) for r in rows if r["low"] is not None}


def test_two_panels_with_the_same_low_share_one_rule_named_after_both(tmp_path):
    db = balances_db(
        tmp_path / "t.db", [("main", "USD", 1), ("backup", "USD", 1), ("eu", "EUR", 1)]
    )
    boards = build_metadata("t", {"main": 10.0, "backup": 10.0, "eu": 12.0})
    boards = boards["plugins"]["datasette-dashboards"]
    rows = card(db, "overview", "balance", boards=boards)
    assert thresholds(rows) == {(10.0, "low: backup, main", 2), (12.0, "low: eu", 1)}
    # The panel filter set: its own threshold alone.
    rows = card(db, "overview", "balance", panel="main", boards=boards)
    assert thresholds(rows) == {(10.0, "low: main", 1)}


def test_a_panel_in_two_currencies_names_its_threshold_once(tmp_path):
    # Two lines, "main (RUB)" then "main (USD)", one threshold: one rule, in
    # grey (whose line's colour?), named once. In one currency's plot:
    db = balances_db(tmp_path / "t.db", [("main", "usd", 300), ("main", "USD", 1)])
    boards = build_metadata("t", {"main": 10.0})["plugins"]["datasette-dashboards"]
    assert thresholds(card(db, "overview", "balance", boards=boards)) == {(10.0, "low: main", 2)}
    # In two currencies' plots (each its own line): one rule in each, the line's colour.
    db = balances_db(tmp_path / "u.db", [("main", "RUB", 300), ("main", "USD", 1)])
    rows = card(db, "overview", "balance", boards=boards)
    assert {(r["plot"], r["low_label"], r["low_lines"]) for r in rows} == {
        ("balance (RUB)", "low: main", 1),
        ("balance (USD)", "low: main", 1),
    }


def test_the_balance_chart_draws_a_rule_and_a_label_per_threshold():
    layers = BOARDS["overview"]["charts"]["balance"]["display"]["spec"]["layer"]
    drawn = [layer for layer in layers if layer["encoding"].get("y", {}).get("field") == "low"]
    assert {layer["mark"]["type"] for layer in drawn} == {"rule", "text"}
    for layer in drawn:
        aggregate = layer["transform"][-1]
        assert aggregate["groupby"] == ["low_label", "low_lines"]
    # Names at the left end, and at the right or in the middle for a close
    # threshold's.
    texts = [layer for layer in drawn if layer["mark"]["type"] == "text"]
    assert [text["encoding"]["text"]["field"] for text in texts] == ["low_label"] * 3
    [rule] = [layer for layer in drawn if layer["mark"]["type"] == "rule"]
    assert rule["encoding"]["color"]["condition"]["test"] == "datum.low_lines > 1"


def test_the_balance_time_axis_leaves_a_gap_between_its_labels():
    # On a phone (390 px) a week's day labels were all drawn, touching:
    # "30 Nov01 Dec02 Dec03 Dec". labelOverlap alone drops only labels that
    # overlap; a separation drops those closer than it too (every other day).
    layers = BOARDS["overview"]["charts"]["balance"]["display"]["spec"]["layer"]
    [line] = [layer for layer in layers if layer["mark"]["type"] == "line"]
    axis = line["encoding"]["x"]["axis"]
    assert axis["labelOverlap"] is True
    assert axis["labelSeparation"] >= 6


def test_the_scorecard_on_a_phone_names_each_figure_as_the_table_does(tmp_path):
    # On a narrow screen each figure is shown under its column's name, which
    # the stylesheet writes by the column's place: the names and their order
    # must be the query's.
    Store(tmp_path / "t.db").close()
    [row] = card(tmp_path / "t.db", "services", "scorecard")
    css = files("tracker.data").joinpath("dashboard.css").read_text()
    scorecard = re.escape(":is(#chart-scorecard, #chart-services)")
    labels = re.findall(
        scorecard + r' td:nth-child\((\d+)\)::before \{ content: "([^"]*)"; \}', css
    )
    columns = list(row)
    assert [(int(n), name) for n, name in labels] == [
        (place, name) for place, name in enumerate(columns, start=1) if place >= 3
    ]
    # The panel and the service name head their block, their own lines.
    assert columns[:2] == ["Panel", "Service"]
    assert (
        ":is(#chart-scorecard, #chart-services) td:nth-child(13) {\n    grid-column: span 2;" in css
    )
    assert columns[12] == "Spend"


def test_the_scorecard_with_no_order_is_its_note_alone_at_any_width(tmp_path):
    # On a wide screen the note read as a row under 13 column names, 11 empty
    # ruled cells beside it. The stylesheet hides, at every width, the names
    # and the empty cells of a table whose row has an empty Orders cell: the
    # note's row, and no service's (nor the line under the first 20 saying
    # how many more: its Orders cell is empty too, its table's row not alone).
    Store(tmp_path / "t.db").close()
    [note] = card(tmp_path / "t.db", "services", "scorecard")
    assert [v for v in note.values() if v != ""] == ["no orders first seen in the last 30 days"]
    assert list(note).index("Orders") == 2 and note["Orders"] == ""  # td:nth-child(3)
    db = orders_db(tmp_path / "o.db", [("p", 1, 1.0, "USD")])
    assert all(str(v) != "" for row in card(db, "services", "scorecard") for v in row.values())
    css = files("tracker.data").joinpath("dashboard.css").read_text()
    wide = css[: css.index("@media")]  # every width, not a phone's alone
    table = (
        ":is(#chart-scorecard, #chart-services)"
        " table:has(tbody > tr:only-child > td:nth-child(3):empty)"
    )
    assert f"{table} thead,\n{table} td:empty {{\n  display: none;\n}}" in wide
    assert f"{table} td {{\n  border: none;" in wide


@pytest.mark.parametrize(
    ("seconds", "median", "p90"),
    [
        # Under two days, hours, as `report` writes them ("47h").
        ([40 * HOUR, 47 * HOUR], "43.5\xa0h", "46.3\xa0h"),
        # From two days on, days: the bars on a days axis were labelled
        # "72.0 h" and "91.2 h", and the table said the same.
        ([2 * DAY, 4 * DAY], "3.0\xa0d", "3.8\xa0d"),
        ([10 * DAY, 30 * DAY], "20.0\xa0d", "28.0\xa0d"),
    ],
)
def test_the_completion_bars_and_the_table_write_times_in_the_axis_unit(
    tmp_path, seconds, median, p90
):
    db = completed_after(tmp_path / "t.db", seconds)
    labels = {r["measure"]: r["time"] for r in card(db, "services", "completion")}
    assert labels == {"median": median, "90th percentile": p90}
    [row] = card(db, "services", "scorecard")
    assert (row["Median"], row["P90"]) == (median, p90)


def sides(rows: list[dict]) -> dict[float, int]:
    return {r["low"]: r["low_side"] for r in rows if r["low"] is not None}


def test_close_thresholds_are_named_at_opposite_ends_of_the_chart(tmp_path):
    # Balances of about 100: lows of 10 and 12 lie 2 apart on a range of ~90,
    # and their names, both at the left end, were drawn on top of each other.
    # Each threshold close to the one below it is named elsewhere along its
    # line: the left end, then the middle; one far from it at the right end
    # again, where a person reads a lone one (it sat at the line's start,
    # against the axis's figures).
    db = balances_db(
        tmp_path / "t.db",
        [("main", "USD", 1), ("backup", "USD", 1), ("eu", "USD", 1), ("ru", "USD", 1)],
    )
    lows = {"main": 10.0, "backup": 12.0, "eu": 13.0, "ru": 60.0}
    boards = build_metadata("t", lows)["plugins"]["datasette-dashboards"]
    rows = card(db, "overview", "balance", boards=boards)
    assert sides(rows) == {10.0: 0, 12.0: 1, 13.0: 2, 60.0: 0}
    layers = boards["overview"]["charts"]["balance"]["display"]["spec"]["layer"]
    texts = [
        layer for layer in layers if layer["encoding"].get("text", {}).get("field") == "low_label"
    ]
    marks = {layer["transform"][0]["filter"]: layer["mark"]["align"] for layer in texts}
    assert marks == {
        "datum.note == null && datum.low != null && datum.low_side == 0": "right",
        "datum.note == null && datum.low != null && datum.low_side == 1": "left",
        "datum.note == null && datum.low != null && datum.low_side == 2": "center",
    }


def test_thresholds_are_close_or_not_within_their_own_currencys_plot(tmp_path):
    # Dollars of 100 to 500 beside roubles up to 45,000 on one axis: lows of
    # 100 and 140 (10% of the dollars' range apart) read as close, named at
    # opposite ends. Each currency is its own plot now, its range its own.
    db = dollars_beside_roubles(tmp_path / "t.db")
    lows = {"main": 140.0, "backup": 100.0, "ru": 10000.0}
    boards = build_metadata("t", lows)["plugins"]["datasette-dashboards"]
    rows = card(db, "overview", "balance", boards=boards)
    assert sides(rows) == {100.0: 0, 140.0: 0, 10000.0: 0}
    plots = {r["series"]: r["plot"] for r in rows}
    assert plots == {
        "main (USD)": "balance (USD)",
        "backup (USD)": "balance (USD)",
        "ru (RUB)": "balance (RUB)",
    }


def dollars_beside_roubles(path: Path) -> Path:
    """Two USD panels falling from about 500 beside a RUB one from 45,000,
    three checks each in the last hours: one axis drew the dollars flat."""
    now = utcnow().replace(microsecond=0)
    checks = [
        (panel, (now - timedelta(hours=h)).isoformat(), b)
        for panel, b0 in (("main", 500.0), ("backup", 480.0), ("ru", 45000.0))
        for h, b in ((3, b0), (2, b0 * 0.6), (1, b0 * 0.25))
    ]
    db = _balances(path, checks)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE balances SET currency = 'RUB' WHERE panel = 'ru'")
    conn.close()
    return db


def _balances(path: Path, rows: list[tuple[str, str, float]]) -> Path:
    """A database of ``(panel, at, balance)`` checks, in USD."""
    Store(path).close()
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO balances VALUES (?, ?, ?, 'USD')", sorted(rows, key=lambda r: r[1])
        )
    conn.close()
    return path


def test_a_first_hours_balance_checks_are_each_a_point(tmp_path):
    # A tracker's first hour (the demo's whole run): three checks drew one dot,
    # the hour's last balance; each check is a point while the week's fit
    # Datasette's 1000 rows.
    now = utcnow().replace(microsecond=0)
    checks = [
        ("main", (now - timedelta(minutes=m)).isoformat(), b)
        for m, b in [(20, 250.0), (10, 231.5), (1, 240.0)]
    ]
    db = _balances(tmp_path / "t.db", checks)
    for panel in (None, "main"):
        points = card(db, "overview", "balance", panel)
        assert [p["balance"] for p in points] == [250.0, 231.5, 240.0], panel


def test_a_week_of_more_checks_than_datasette_returns_is_drawn_by_the_hour(tmp_path):
    # 1001 checks of one panel, a minute apart: each hour's last, the latest last.
    now = utcnow().replace(microsecond=0)
    checks = [("main", (now - timedelta(minutes=m)).isoformat(), 100.0 + m) for m in range(1001)]
    points = card(_balances(tmp_path / "t.db", checks), "overview", "balance")
    assert 16 <= len(points) <= 18 and points[-1]["balance"] == 100.0
    # 1000 fit: every one drawn.
    checks.pop()
    points = card(_balances(tmp_path / "u.db", checks), "overview", "balance")
    assert len(points) == 1000 and points[-1]["balance"] == 100.0


def test_a_panels_name_is_one_line_in_the_wide_scorecard_table():
    # At 1280 px the busy database's "ru-cheap" broke at its hyphen, "ru-"
    # over "cheap", in every row: two words it is not. On a wide screen the
    # Panel cell keeps it on one line; below 1024 px (each service a block,
    # its panel a line of its own) it may break where it must, as before.
    css = files("tracker.data").joinpath("dashboard.css").read_text()
    wide = css[css.index("@media only screen and (min-width: 1024px) {") :]
    panel = ":is(#chart-scorecard, #chart-services) td:nth-child(1)"
    assert f"{panel} {{\n    white-space: nowrap;" in wide
    first = css.index("@media")
    assert css[first : first + 50].startswith("@media only screen and (max-width: 1023px)")
