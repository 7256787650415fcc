"""The charts drawn as the dashboard draws them (the completion chart, the
daily chart's day labels): their rows handed to
the vega-lite and vega that datasette-dashboards bundles, as its
``dashboards.js`` hands them (``data: {values: rows}``, the chart's display
spread after), run in Node, the SVG read back.

The axis title reads the rows' unit through ``data('source_0')``: the name
vega-lite gives rows handed to it unnamed. datasette-dashboards gives a chart
no way to name them (a ``data`` of the chart's own replaces the rows), so
this test is what says the name still holds for the version installed; were
it to change, the chart would draw untitled, nothing worse. Skipped without
Node (``node`` on PATH) or the dashboard extra."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from datetime import date, timedelta
from importlib.util import find_spec
from pathlib import Path
from xml.etree import ElementTree

import pytest
from test_dashboard_cards import BOARDS, card, orders_db
from test_dashboard_charts import (
    HOUR,
    _balances,
    balances_db,
    completed_after,
    dollars_beside_roubles,
)

from tracker.cli.dashboard import build_metadata
from tracker.clock import utcnow
from tracker.store.orders import Store

NODE = shutil.which("node")
SPEC = find_spec("datasette_dashboards")
pytestmark = pytest.mark.skipif(
    NODE is None or SPEC is None or SPEC.origin is None,
    reason="needs node and datasette-dashboards",
)
SVG = "{http://www.w3.org/2000/svg}"
# What dashboards.js's renderVegaLiteChart does, then the chart drawn to SVG.
DRAW = """
const path = require("path"), Module = require("module");
const dir = process.argv[2];
const vega = require(path.resolve(dir, "vega.min.js"));
const load = Module._load;
Module._load = function (name, ...rest) {
  return name === "vega" ? vega : load.call(this, name, ...rest);
};
const vl = require(path.resolve(dir, "vega-lite.min.js"));
let input = "";
process.stdin.on("data", (d) => (input += d)).on("end", async () => {
  const { display, rows } = JSON.parse(input);
  const spec = { width: 400, data: { values: rows, format: { type: "json" } }, ...display };
  const compiled = vl.compile(spec).spec;
  // vega-embed's patch from the spec's usermeta (RFC 6902 add and replace).
  for (const op of (display.usermeta?.embedOptions?.patch || [])) {
    const keys = op.path.split("/").slice(1);
    const at = keys.slice(0, -1).reduce((node, key) => node[key], compiled);
    const last = keys[keys.length - 1];
    if (last === "-") at.push(op.value); else at[last] = op.value;
  }
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  await view.runAsync();
  if ((compiled.signals || []).some((signal) => signal.name === "child_width")) {
    const plot = view.signal("child_width");
    // A chart of plots as wide as their card (the balance chart): no card
    // here, so its width is set for its plot to be spec.width wide, as
    // another chart's plot is.
    const around = Number((await view.toSVG()).match(/<svg[^>]* width="([\\d.]+)"/)[1]) - plot;
    await view.signal("width", spec.width + around).runAsync();
  }
  process.stdout.write(await view.toSVG());
});
"""


def _axis_titles(tmp_path: Path, display: dict, rows: list[dict], role: str = "title") -> list[str]:
    return _texts(_drawn(tmp_path, display, rows), f"role-axis-{role}")


def _texts(svg: ElementTree.Element, role: str) -> list[str]:
    """The texts an SVG drawn shows in the groups of a ``role`` ("role-axis-label")."""
    groups = [g for g in svg.iter(f"{SVG}g") if role in g.get("class", "").split()]
    return [text.text or "" for group in groups for text in group.iter(f"{SVG}text")]


def _drawn(tmp_path: Path, display: dict, rows: list[dict]) -> ElementTree.Element:
    assert SPEC is not None and SPEC.origin is not None and NODE is not None
    script = tmp_path / "draw.js"
    script.write_text(DRAW)
    static = Path(SPEC.origin).parent / "static"
    drawn = subprocess.run(
        [NODE, str(script), str(static)],
        input=json.dumps({"display": display, "rows": rows}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return ElementTree.fromstring(drawn.stdout)


@pytest.mark.parametrize(
    ("seconds", "unit"), [([8, 12], "seconds"), ([8 * HOUR, 10 * HOUR], "hours")]
)
def test_the_completion_axis_is_titled_with_its_unit_as_drawn(tmp_path, seconds, unit):
    rows = card(completed_after(tmp_path / "t.db", seconds), "services", "completion")
    display = BOARDS["services"]["charts"]["completion"]["display"]
    assert unit in _axis_titles(tmp_path, display, rows)
    # The name is vega-lite's: another one draws the axis untitled.
    elsewhere = json.loads(json.dumps(display).replace("source_0", "source_9"))
    assert unit not in _axis_titles(tmp_path, elsewhere, rows)


def test_the_daily_chart_names_today_and_each_seventh_day_before(tmp_path):
    # Every 4th day from the first was named: the last name was yesterday's,
    # and today's bars, just right of it, read as yesterday's.
    db = orders_db(tmp_path / "t.db", [("p", 1, 1.0, "USD")])
    rows = card(db, "overview", "daily")
    display = BOARDS["overview"]["charts"]["daily"]["display"]
    today = date.fromisoformat(rows[-1]["day"])
    named = [label for label in _axis_titles(tmp_path, display, rows, "label") if "-" in label]
    assert named == [str(today - timedelta(days=7 * n)) for n in (4, 3, 2, 1, 0)]


def _y_labels(svg: ElementTree.Element) -> list[str]:
    """The labels of a drawn chart's y axis."""
    [axis] = [g for g in svg.iter(f"{SVG}g") if g.get("aria-label", "").startswith("Y-axis")]
    return _texts(axis, "role-axis-label")


def test_a_flat_balance_is_drawn_with_ticks_around_it(tmp_path):
    # A balance that did not move (999.55 at every check) was drawn with one
    # tick on its axis, labelled rounded: "1,000".
    now = utcnow().replace(microsecond=0)
    checks = [("main", (now - timedelta(hours=h)).isoformat(), 999.55) for h in (3, 2, 1)]
    rows = card(_balances(tmp_path / "t.db", checks), "overview", "balance")
    display = BOARDS["overview"]["charts"]["balance"]["display"]
    labels = _y_labels(_drawn(tmp_path, display, rows))
    ticks = [float(label.replace(",", "")) for label in labels]
    assert len(ticks) >= 3 and "1,000" not in labels, labels
    assert min(ticks) < 999.55 < max(ticks)
    assert max(ticks) - min(ticks) < 1  # around the figure, not from 0


def test_a_balance_that_moved_keeps_its_axis(tmp_path):
    now = utcnow().replace(microsecond=0)
    checks = [
        ("main", (now - timedelta(hours=h)).isoformat(), b) for h, b in [(2, 250.0), (1, 231.5)]
    ]
    rows = card(_balances(tmp_path / "t.db", checks), "overview", "balance")
    assert all(r["flat_min"] is None and r["flat_max"] is None for r in rows)
    display = BOARDS["overview"]["charts"]["balance"]["display"]
    ticks = [float(x.replace(",", "")) for x in _y_labels(_drawn(tmp_path, display, rows))]
    assert min(ticks) <= 231.5 and max(ticks) >= 250 and max(ticks) - min(ticks) <= 40


def test_close_thresholds_names_share_a_phones_plot_a_lone_one_has_it_all(tmp_path):
    # Lows of 200 and 300 on balances up to 35,000 are close: named at the
    # left and the right end. On a phone's plot (230 px) the right one's
    # long panel name, given the whole width, ran across "low: main", both
    # unreadable. Each now has half of it, cut with "…"; the lone low of
    # 30,000 keeps the whole width.
    long = "eu-reseller-wholesale-likes.example.com"
    db = balances_db(tmp_path / "t.db", [("main", "USD", 1), (long, "USD", 1), ("ru", "USD", 1)])
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE balances SET balance = 35000 WHERE panel = 'ru'")
    conn.close()
    lows = {"main": 200.0, long: 300.0, "ru": 30000.0}
    boards = build_metadata("t", lows)["plugins"]["datasette-dashboards"]
    rows = card(db, "overview", "balance", boards=boards)
    rooms = {r["low_label"]: r["low_room"] for r in rows if r["low"] is not None}
    assert rooms == {"low: main": 0.5, f"low: {long}": 0.5, "low: ru": 1.0}
    display = dict(boards["overview"]["charts"]["balance"]["display"], width=230)
    svg = _drawn(tmp_path, display, rows)
    names = [t.text or "" for t in svg.iter(f"{SVG}text") if (t.text or "").startswith("low: ")]
    [right] = [name for name in names if name.startswith("low: eu-")]
    assert right.endswith("…") and len(right) <= 16, names  # 115 px of 10-px text
    assert sorted(n for n in names if n != right) == ["low: main", "low: ru"]


def test_each_currency_is_its_own_plot_with_its_own_axis(tmp_path):
    # Two USD panels about 500 beside a RUB panel about 40,000 were drawn on
    # one y axis: the dollars a flat line along its bottom, unreadable. Each
    # currency has its own plot, one under the other, its axis titled with it.
    db = dollars_beside_roubles(tmp_path / "t.db")
    boards = build_metadata("t", {"main": 140.0, "ru": 10000.0})["plugins"]["datasette-dashboards"]
    rows = card(db, "overview", "balance", boards=boards)
    svg = _drawn(tmp_path, boards["overview"]["charts"]["balance"]["display"], rows)
    axes = [g for g in svg.iter(f"{SVG}g") if g.get("aria-label", "").startswith("Y-axis")]
    ticks = sorted(
        [float(label.replace(",", "")) for label in _texts(axis, "role-axis-label")]
        for axis in axes
    )
    assert len(ticks) == 2, ticks
    dollars, roubles = ticks
    assert max(dollars) <= 600 and min(dollars) >= 100  # the dollars' own range
    assert max(roubles) >= 40000
    assert sorted(_texts(svg, "role-row-header")) == ["balance (RUB)", "balance (USD)"]
    names = [t.text for t in svg.iter(f"{SVG}text") if (t.text or "").startswith("low: ")]
    assert sorted(names) == ["low: main", "low: ru"]  # each in its plot
    # One currency: one plot titled "balance", as ever.
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DELETE FROM balances WHERE panel = 'ru'")
    conn.close()
    rows = card(db, "overview", "balance", boards=boards)
    svg = _drawn(tmp_path, boards["overview"]["charts"]["balance"]["display"], rows)
    assert (
        len([g for g in svg.iter(f"{SVG}g") if g.get("aria-label", "").startswith("Y-axis")]) == 1
    )
    assert _texts(svg, "role-row-header") == ["balance"]


def _low_names(svg: ElementTree.Element) -> dict[str, tuple[str | None, float, float]]:
    """Each threshold's name drawn: its anchor and where (x, y in the plot)."""
    found = {}
    for text in svg.iter(f"{SVG}text"):
        if (text.text or "").startswith("low: "):
            x, y = text.get("transform", "").removeprefix("translate(").rstrip(")").split(",")
            found[text.text or ""] = (text.get("text-anchor"), float(x), float(y))
    return found


@pytest.mark.parametrize(("low", "top"), [(200.0, True), (130.0, False)])
def test_a_thresholds_name_is_at_the_right_end_of_its_line_inside_the_plot(tmp_path, low, top):
    # "low: main" sat at the dashed line's start, against the y axis's figures
    # (and, for a low above every balance, above the plot's top edge): read
    # as one more tick label. It is at the line's right end, by the latest
    # balance; under its line when the line is the plot's top edge. The checks
    # on whole hours: with the latest check a minute past midnight the time
    # axis ends past it, and so the line, at 378 px of 400 (CI51, run at 01:01
    # UTC; at 01:00:00 and every other moment tried, 396-398 px).
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    checks = [
        ("main", (now - timedelta(hours=h)).isoformat(), b)
        for h, b in [(3, 150.0), (2, 120.0), (1, 110.0)]
    ]
    db = _balances(tmp_path / "t.db", checks)
    boards = build_metadata("t", {"main": low})["plugins"]["datasette-dashboards"]
    rows = card(db, "overview", "balance", boards=boards)
    svg = _drawn(tmp_path, boards["overview"]["charts"]["balance"]["display"], rows)
    [(anchor, x, y)] = _low_names(svg).values()
    assert anchor == "end" and 390 <= x <= 400  # the plot is 400 px wide
    assert y > 0  # inside the plot, never above its top edge
    if top:
        assert y < 20  # just under its line, the plot's top edge


def _legend(svg: ElementTree.Element) -> list[str]:
    """The texts a drawn chart's legends show (a text drawn transparent is not shown)."""
    groups = [g for g in svg.iter(f"{SVG}g") if "role-legend" in g.get("class", "").split()]
    return [
        text.text
        for group in groups
        for text in group.iter(f"{SVG}text")
        if (text.text or "").strip() and "0" not in (text.get("opacity"), text.get("fill-opacity"))
    ]


EMPTY_NOTES = {
    ("overview", "refills"): "no refill requests yet",
    ("overview", "balance"): "no balance checks yet",
    ("overview", "status"): "no orders yet",
    ("overview", "daily"): "no orders yet",
    ("services", "outcomes"): "no orders first seen in the last 30 days",
    ("services", "completion"): "no orders Completed in the last 30 days",
}


@pytest.mark.parametrize(("board", "chart"), list(EMPTY_NOTES))
def test_an_empty_chart_says_so_in_its_plot_with_no_tick(tmp_path, board, chart):
    # The empty Refill outcomes card drew its note as a bar's label, beside an
    # axis with a lone "0"; Orders by status too, under a legend titled "panel"
    # with nothing in it; the daily chart a "0" and today's date under its
    # note; the services' charts their notes as a bar's label beside "0" or
    # "0%".."100%". Each says it in its plot now, with no figure on an axis
    # and no legend: nothing is drawn for one to name.
    Store(tmp_path / "empty.db").close()
    rows = card(tmp_path / "empty.db", board, chart)
    svg = _drawn(tmp_path, BOARDS[board]["charts"][chart]["display"], rows)
    assert [t for t in _texts(svg, "role-axis-label") if t.strip()] == []
    assert _legend(svg) == []
    assert EMPTY_NOTES[board, chart] in _texts(svg, "role-mark")


def _height(svg: ElementTree.Element) -> float:
    return float(svg.get("height", ""))


def _without_legends(display: dict) -> dict:
    """The chart's display with no legend at all (legend: null on every layer)."""
    bare = json.loads(json.dumps(display))
    for layer in bare.get("layer", []):
        if "color" in layer.get("encoding", {}):
            layer["encoding"]["color"]["legend"] = None
    return bare


@pytest.mark.parametrize(("board", "chart"), list(EMPTY_NOTES))
def test_an_empty_chart_keeps_no_room_for_its_hidden_legend(tmp_path, board, chart):
    # Hidden by transparency alone, the legend kept its room: the empty
    # outcomes chart drew 136 px tall for a note on one band (55 px without a
    # legend), the blank under it making its card and the one beside it taller.
    Store(tmp_path / "empty.db").close()
    rows = card(tmp_path / "empty.db", board, chart)
    display = BOARDS[board]["charts"][chart]["display"]
    drawn, bare = (_height(_drawn(tmp_path, d, rows)) for d in (display, _without_legends(display)))
    assert drawn - bare <= 6, (drawn, bare)  # a symbol's stroke (1 px) an entry at most (6)


def test_refill_outcomes_bars_start_at_0_most_requests_first(tmp_path):
    rows = [
        {"status": "Rejected", "refills": 5, "note": None},
        {"status": "Completed", "refills": 3, "note": None},
    ]
    svg = _drawn(tmp_path, BOARDS["overview"]["charts"]["refills"]["display"], rows)
    labels = _texts(svg, "role-axis-label")
    assert {"0", "5", "Rejected", "Completed"} <= set(labels), labels
    assert labels.index("Rejected") < labels.index("Completed")  # most requests first
    assert [t for t in _texts(svg, "role-mark") if t] == []  # no note drawn


@pytest.mark.parametrize(
    ("board", "chart", "legend"),
    [
        ("overview", "status", ["p", "panel"]),
        ("overview", "daily", ["completed", "first seen", "refills asked"]),
        ("services", "outcomes", ["Completed", "Partial", "Canceled", "Refunded", "open", "other"]),
        ("services", "completion", ["median", "90th percentile"]),
    ],
)
def test_a_chart_with_orders_keeps_its_ticks_and_legend(tmp_path, board, chart, legend):
    db = orders_db(tmp_path / "t.db", [("p", 1, 1.0, "USD"), ("p", 2, 2.0, "USD")])
    svg = _drawn(tmp_path, BOARDS[board]["charts"][chart]["display"], card(db, board, chart))
    assert sorted(_legend(svg)) == sorted(legend)
    labels = _texts(svg, "role-axis-label")
    assert "0" in labels or "0%" in labels, labels  # bars from 0
    assert [t for t in _texts(svg, "role-mark") if t in EMPTY_NOTES.values()] == []


def test_an_empty_charts_note_fits_a_phones_plot(tmp_path):
    # On a phone (a plot about 230 px wide) the note of the empty completion
    # chart, at 14 px, ran past the plot's left edge, over its axis.
    Store(tmp_path / "empty.db").close()
    rows = card(tmp_path / "empty.db", "services", "completion")
    for width, size in [(600, 14), (230, None)]:
        display = {**BOARDS["services"]["charts"]["completion"]["display"], "width": width}
        [note] = [
            t
            for t in _drawn(tmp_path, display, rows).iter(f"{SVG}text")
            if t.text == rows[0]["note"]
        ]
        drawn = float(note.get("font-size", "").removesuffix("px"))
        # An average glyph of a sans-serif font: about half its size wide.
        assert drawn * 0.5 * len(note.text) <= width and drawn == (size or drawn) and drawn >= 9


@pytest.mark.parametrize(("board", "chart"), list(EMPTY_NOTES))
def test_an_empty_chart_keeps_its_axis_title(tmp_path, board, chart):
    # On an empty database "Time from first seen to Completed" drew its axis
    # untitled, where "How orders ended" kept "share of orders" and every
    # other empty chart its own title.
    Store(tmp_path / "empty.db").close()
    rows = card(tmp_path / "empty.db", board, chart)
    svg = _drawn(tmp_path, BOARDS[board]["charts"][chart]["display"], rows)
    titles = _texts(svg, "role-axis-title")
    assert titles and all(t.strip() for t in titles), titles
