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
import subprocess
from datetime import date, timedelta
from importlib.util import find_spec
from pathlib import Path
from xml.etree import ElementTree

import pytest
from test_dashboard_cards import BOARDS, card, orders_db
from test_dashboard_charts import HOUR, completed_after

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
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  await view.runAsync();
  process.stdout.write(await view.toSVG());
});
"""


def _axis_titles(tmp_path: Path, display: dict, rows: list[dict], role: str = "title") -> list[str]:
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
    svg = ElementTree.fromstring(drawn.stdout)
    groups = [g for g in svg.iter(f"{SVG}g") if f"role-axis-{role}" in g.get("class", "")]
    return [text.text or "" for group in groups for text in group.iter(f"{SVG}text")]


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
