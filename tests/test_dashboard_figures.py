"""Figures right-aligned on Datasette's pages, found by their values
(tracker/cli/datasette_figures.py): every table and view shown, every canned
query, each column checked against what it holds. No column is named here: a
new column of money or counts is right-aligned without anyone listing it."""

from __future__ import annotations

import asyncio
import html
import json
import re
import shutil
import sqlite3
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.busy_db import build
from tracker.cli.dashboard import build_metadata

pytest.importorskip("datasette")

from tracker.cli.datasette_figures import (  # noqa: E402 (needs Datasette)
    FLAGS,
    SCRIPT,
    figure_column,
    is_figure,
)

DB = "t"
CELL = re.compile(r"<td [^>]*>(.*?)</td>", re.S)
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
NAME = re.compile(r'<th [^>]*data-column="([^"]+)"|<th class="col-[^"]*" scope="col">([^<]+)</th>')


def pages(db: Path, addresses: list[str]) -> list[str]:
    """Each address's page as `smm-tracker dashboard` serves it (its metadata,
    its plugins), every row of it."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from tracker.cli.dashboard import register_plugins

    added = register_plugins()
    try:
        app = Datasette([str(db)], metadata=build_metadata(DB, {}))

        async def fetch() -> list[str]:
            answers = [await app.client.get(a, params={"_size": "max"}) for a in addresses]
            assert all(a.status_code == 200 for a in answers), addresses
            return [a.text for a in answers]

        return asyncio.run(fetch())
    finally:
        for plugin in added:
            pm.unregister(plugin)


def right_aligned(text: str) -> dict[str, bool]:
    """Each column of a page's table: whether the page's script right-aligns
    it (every cell not blank holds a figure's mark; blanks alone: no)."""
    if "<tbody>" not in text:
        return {}  # no row
    head, body = text.split("<tbody>", 1)
    names = [a or b.strip() for a, b in NAME.findall(head.split("<thead>", 1)[1])]
    rows = [CELL.findall(r) for r in ROW.findall(body.split("</tbody>", 1)[0])]
    aligned = {}
    for i, name in enumerate(names):
        held = [r[i] for r in rows if html.unescape(re.sub("<[^>]+>", "", r[i])).strip()]
        aligned[name] = bool(held) and all(c.startswith('<span class="figure">') for c in held)
    return aligned


def number(value: Any) -> bool:
    """A value that is a figure's: a number, or money() text ("21.00")."""
    if isinstance(value, str):
        return re.fullmatch(r"-?\d+(\.\d+)?", value) is not None
    return isinstance(value, int | float) and value == value and abs(value) != float("inf")


@pytest.fixture(scope="module")
def busy(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("figures") / f"{DB}.db"
    build(db, orders=400, days=5, seed=7)
    # Every table the busy reseller left empty (alerts, probes, the
    # automation's...) given a row: each column a value of its declared type.
    conn = sqlite3.connect(db)
    with conn:
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        ).fetchall():
            if name.startswith("sqlite_") or conn.execute(f'SELECT 1 FROM "{name}"').fetchone():
                continue
            types = [t for _, _, t, *_ in conn.execute(f'PRAGMA table_info("{name}")')]
            values = [{"INTEGER": 3, "REAL": 2.5}.get(t, "text") for t in types]
            conn.execute(f'INSERT INTO "{name}" VALUES ({", ".join("?" * len(types))})', values)
    conn.close()
    return db


def shown(db: Path) -> list[str]:
    """Every table and view the dashboard lists (Datasette's own listing)."""
    listing = json.loads(pages(db, [f"/{DB}.json"])[0])
    tables = [t["name"] for t in listing["tables"] if not t["hidden"]]
    return sorted(tables + [v["name"] for v in listing["views"]])


def test_every_table_and_views_figures_are_right_aligned_its_text_not(busy):
    names = shown(busy)
    assert {"orders", "order_overview", "service_scorecard", "daily_activity"} <= set(names)
    assert {"probes", "automation_actions", "alert_deliveries", "late_checks"} <= set(names)
    conn = sqlite3.connect(busy)
    checked: set[str] = set()
    try:
        for name, text in zip(names, pages(busy, [f"/{DB}/{n}" for n in names]), strict=True):
            assert SCRIPT in text
            for column, aligned in right_aligned(text).items():
                if column == "Link":
                    continue  # Datasette's link to a row's page
                held = [v for (v,) in conn.execute(f'SELECT "{column}" FROM "{name}"')]
                held = [v for v in held if v is not None]
                expected = bool(held) and figure_column(column) and all(map(number, held))
                if any(isinstance(v, str) for v in held):
                    expected = False  # a table's text, even of digits (refill_id), is text
                assert aligned == expected, (name, column, held[:5])
                if aligned:
                    checked.add(column)
    finally:
        conn.close()
    # The figures of the busy reseller's pages were looked at: counts, money,
    # shares, durations, quantities.
    assert {"orders", "spend", "charge", "remains", "share_completed", "balance"} <= checked
    assert {"median_completion_seconds", "unchanged_seconds", "quantity", "rate"} <= checked


def test_every_canned_querys_figures_are_right_aligned_its_text_not(busy):
    queries = build_metadata(DB, {})["databases"][DB]["queries"]
    conn = sqlite3.connect(busy)
    from tracker.cli.datasette_money import add_functions

    add_functions(conn)
    checked: set[str] = set()
    try:
        texts = pages(busy, [f"/{DB}/{q}" for q in queries])
        for (query, spec), text in zip(queries.items(), texts, strict=True):
            cursor = conn.execute(spec["sql"], dict.fromkeys(spec.get("params", []), ""))
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
            assert SCRIPT in text
            aligned = right_aligned(text) if rows else {}
            for i, column in enumerate(columns if rows else []):
                held = [r[i] for r in rows if r[i] is not None]
                expected = bool(held) and figure_column(column) and all(map(number, held))
                assert aligned[column] == expected, (query, column, held[:5])
                if expected:
                    checked.add(column)
    finally:
        conn.close()
    assert {"orders", "spend", "quantity", "remains", "unchanged_hours"} <= checked


def test_ids_and_flags_are_no_figures():
    # A yes/no flag, described "1 when ..." or "1 while ..." in datasette.yml.
    meta = yaml.safe_load(files("tracker.data").joinpath("datasette.yml").read_text())
    described = [
        (column, said)
        for spec in meta["databases"]["tracker"]["tables"].values()
        for column, said in spec.get("columns", {}).items()
    ]
    flags = {c for c, said in described if re.match(r"1 (when|while) ", said)}
    # services.refill is one too; refill_changes.refill a refill's row: an ID.
    assert flags == FLAGS | {"refill"}, flags ^ FLAGS
    for column in ("id", "order_id", "refill_id", "new_order_id", "service", *FLAGS):
        assert not figure_column(column)
        assert not is_figure(7, column, "orders")
    assert is_figure(1818, "orders", "service_scorecard")
    assert is_figure(0.25, "share_completed", None)
    assert is_figure("21.00", "spend", None)  # money() on a query page
    assert not is_figure("21", "link", "orders")  # a table's text
    assert not is_figure(True, "orders", None)
    assert not is_figure(float("inf"), "charge", "orders")  # a blank cell


NODE = shutil.which("node")
# The page's script run by node over a table of Datasette's shape, each cell
# [its text, whether it holds a figure's mark]; printed: each name's and
# cell's classes.
FAKE_PAGE = """
const classes = () => { const on = new Set(); return { add: (c) => on.add(c), on }; };
const cell = ([text, figure]) => ({ textContent: text, classList: classes(),
  querySelector: (s) => (s === ":scope > span.figure" && figure ? {} : null) });
const names = %s.map(() => ({ classList: classes() }));
const rows = %s.map((row) => ({ cells: row.map(cell) }));
const table = { tBodies: [{ rows }], querySelectorAll: (s) => (s === "thead th" ? names : []) };
globalThis.document = { querySelectorAll: (s) => (s === "table.rows-and-columns" ? [table] : []) };
%s
const said = (box) => [...box.classList.on].join(" ");
console.log(JSON.stringify({ names: names.map(said), rows: rows.map((r) => r.cells.map(said)) }));
"""


@pytest.mark.skipif(NODE is None, reason="needs node")
def test_the_page_script_marks_whole_columns_of_figures_and_figures_amid_text(tmp_path):
    names = ["orders", "said", "name", "nothing"]
    rows = [
        [["1,818", True], ["1818", True], ["Likes", False], ["\xa0", False]],
        [["\xa0", False], ["twelve", False], ["Views", False], ["", False]],
        [["962", True], ["3", True], ["12", False], ["\xa0", False]],
    ]
    page = tmp_path / "page.js"
    page.write_text(FAKE_PAGE % (json.dumps(names), json.dumps(rows), SCRIPT))
    done = subprocess.run([NODE, str(page)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    marked = json.loads(done.stdout)
    # A column of figures (a blank among them): its name and cells marked
    # "figure", right-aligned. Figures among words: "amid-text", at the left
    # as the words are. Words, or blanks alone: as they are.
    assert marked["names"] == ["figure", "", "", ""]
    assert marked["rows"] == [
        ["figure", "amid-text", "", ""],
        ["figure", "", "", ""],
        ["figure", "amid-text", "", ""],
    ]


def test_the_served_stylesheet_right_aligns_a_figures_cell_with_no_script(busy):
    # Without JavaScript the figures were marked but at the left: only the
    # page's script right-aligned a column. The page's own stylesheet (the
    # data: URL it links) makes each mark a block, its text at the right,
    # from 577 px up (a phone's page shows a row as a card, a cell a line).
    from urllib.parse import unquote

    [text] = pages(busy, [f"/{DB}/order_overview"])
    [css] = re.findall(r'href="data:text/css;charset=utf-8,([^"]+)"', text)
    css = unquote(html.unescape(css))
    wide = css[css.index("@media only screen and (min-width: 577px) {") :].split("\n}\n")[0]
    rule = re.search(r"\.rows-and-columns td > span\.figure \{([^}]*)\}", wide)
    assert rule, wide
    assert "display: block;" in rule.group(1) and "text-align: right;" in rule.group(1)
    assert re.search(r'<td class="col-age_seconds[^"]*"[^>]*><span class="figure">\d+</span>', text)
