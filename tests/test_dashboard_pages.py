"""Datasette's pages as a browser shows them, once their scripts ran: served by
`smm-tracker dashboard --database`, read back with headless Chromium's
``--dump-dom``. Skipped without Chromium (``chromium`` on PATH, or $CHROMIUM)
or the dashboard extra."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path

import pytest
from ports import free_port

from tracker.cli.dashboard import build_metadata
from tracker.clock import utcnow
from tracker.store.orders import Store

CHROMIUM = os.environ.get("CHROMIUM") or next(
    filter(None, (shutil.which(n) for n in ("chromium", "chromium-browser"))), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or find_spec("datasette") is None, reason="needs chromium and datasette"
)


LONG_LINK = (
    "https://www.instagram.com/p/CxYz123AbCdEfGhIjK/"
    "?utm_source=ig_web_copy_link&igshid=MzRlODBiNWFlZA=="
)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pages")
    store = Store(tmp / "t.db")
    store.track("main", [101, 102], utcnow() - timedelta(hours=1))
    with store.write() as db:
        for order_id, at in ((101, utcnow()), (102, utcnow() - timedelta(minutes=5))):
            db.execute(
                "INSERT INTO transitions (panel, order_id, at, from_status, to_status, remains, "
                "charge, raw_status, checked_before, currency) VALUES "
                "('main', ?, ?, 'Processing', 'In progress', 4981, 0.278, 'In progress', ?, 'USD')",
                [order_id, at.isoformat(timespec="seconds"), at.isoformat(timespec="seconds")],
            )
        # A link as a person pastes it: 99 characters, not one space.
        db.execute("UPDATE orders SET link = ? WHERE order_id = 101", [LONG_LINK])
    store.close()
    yield from served(tmp / "t.db")


def served(db: Path) -> Iterator[str]:
    """`smm-tracker dashboard --database db` on a free port, once it answers:
    its URL; the process ended after (a module fixture's ``yield from``)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker", "dashboard", "--database", str(db)]
        + ["--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:  # whatever ends the wait, the dashboard started for it does not outlive it
        deadline = time.monotonic() + 120  # Datasette's start on a loaded 2-core host
        while True:
            try:
                urllib.request.urlopen(url + "/-/versions.json", timeout=5).close()
                break
            except OSError:  # refused, reset, or no answer yet within the timeout (a loaded host)
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    pytest.fail("the dashboard did not start")
                time.sleep(0.2)
    except BaseException:
        proc.kill()
        proc.wait(timeout=30)
        raise
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def shown(url: str, profile) -> str:
    """The page's DOM once its scripts ran, as Chromium holds it."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
        + [f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize("table", ["orders", "order_overview"])
def test_a_table_page_opens_on_its_rows_its_column_notes_folded(base, tmp_path, table):
    # Every column's description came first, above the rows: Orders' 28 took
    # two screens of a laptop, the rows out of sight.
    columns = len(build_metadata("t", {})["databases"]["t"]["tables"][table]["columns"])
    page = shown(f"{base}/t/{table}", tmp_path / "profile")
    fold = re.search(r'<details class="column-descriptions-fold">(.*?)</details>', page, re.S)
    assert fold, page[:2000]
    assert f"<summary>What each column means ({columns} columns)</summary>" in fold.group(1)
    assert '<dl class="column-descriptions">' in fold.group(1)  # folded, not gone
    assert "The panel's order ID" in fold.group(1)
    assert page.index("</details>") < page.index('<table class="rows-and-columns">')
    assert "101" in page and "102" in page  # the rows


def found(
    base: str, path: str, width: int, script: str, tmp_path, charts: bool = False, without=""
) -> list:
    """Lay out the dashboard's page ``path`` in a frame ``width`` px wide
    (headless Chromium's window is 500 px at least), its own scripts and
    stylesheets from the dashboard, then run ``script`` in it (the body of an
    async load handler, ending ``return`` what it found) and return that.
    ``charts``: the page's charts drawn first, their rows fetched from the
    dashboard (the frame's page is not the dashboard's: the browser's
    same-origin rule is lifted for it). ``without``: a script of the page's
    own taken out of it (as a browser that runs none would lay it out)."""
    with urllib.request.urlopen(base + path, timeout=30) as answer:
        page = answer.read().decode()
    if without:
        assert f"<script>{without}</script>" in page
        page = page.replace(f"<script>{without}</script>", "")
    page = page.replace("<head>", f'<head><base href="{base}/">', 1)
    told = (
        '<script>window.addEventListener("load", async () => {'
        "parent.document.body.dataset.found = JSON.stringify(await (async () => {%s})());});"
        "</script>"
    )
    page = page.replace("</body>", told % script + "</body>", 1)
    framed = tmp_path / "framed.html"
    framed.write_text(
        f'<body><iframe width="{width}" height="1000" srcdoc="{html.escape(page)}"></iframe></body>'
    )
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
        + [f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1100"]
        + (["--disable-web-security"] if charts else [])
        + ["--virtual-time-budget=5000", "--dump-dom", framed.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    told_back = re.search(r'<body data-found="([^"]*)"', done.stdout)
    assert told_back, done.stdout[-2000:]
    return json.loads(html.unescape(told_back.group(1)))


# Each query field's name that is cut: its words reach into its field, under it.
CUT_LABELS = """
  const cut = [];
  for (const label of document.querySelectorAll("form.sql p > label")) {
    const field = document.getElementById(label.htmlFor);
    const words = document.createRange();
    words.selectNodeContents(label);
    const [w, f] = [words.getBoundingClientRect(), field && field.getBoundingClientRect()];
    if (f && w.right > f.left && w.left < f.right && w.bottom > f.top && w.top < f.bottom) {
      cut.push(label.textContent);
    }
  }
  return cut;
"""


@pytest.mark.parametrize("width", [390, 1280])
def test_a_canned_querys_field_names_are_whole_on_a_phone(base, tmp_path, width):
    # At 390 px Datasette gives each label 15% of the width (54 px): the
    # order history's "order_id" read "order_ic", the rest under its field.
    assert found(base, "/t/order_history", width, CUT_LABELS, tmp_path) == []


# Each time (UTC, ISO 8601) in a table page's cells broken over lines
# other than its day over its time of day: its lines, as the page shows them.
BROKEN_TIMES = """
  const broken = [];
  for (const cell of document.querySelectorAll("table.rows-and-columns td")) {
    const text = cell.textContent.trim();
    if (!/^\\d{4}-\\d\\d-\\d\\dT/.test(text)) continue;
    const lines = new Map();  // each line's characters, by its top
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode()); ) {
      for (let i = 0; i < node.length; i++) {
        const one = document.createRange();
        one.setStart(node, i);
        one.setEnd(node, i + 1);
        const box = one.getBoundingClientRect();
        if (!box.width) continue;
        const top = Math.round(box.top);
        lines.set(top, (lines.get(top) || "") + node.data[i]);
      }
    }
    const said = [...lines.entries()].sort((a, b) => a[0] - b[0]).map((l) => l[1].trim());
    const whole = said.join("") === text && (said.length === 1
      || (said.length === 2 && /^\\d{4}-\\d\\d-\\d\\dT$/.test(said[0])));
    if (!whole) broken.push(said.join(" / "));
  }
  return broken;
"""


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("table", ["transitions", "orders", "order_overview"])
def test_a_table_pages_times_are_whole_the_day_over_the_time_at_most(base, tmp_path, table, width):
    # At 1280 px the status changes' times broke at a hyphen, "2026-12-" over
    # "06T15:46:35+00:00", the day cut in two. A time is one line, or its
    # day over its time of day where its column needs the room.
    assert found(base, f"/t/{table}", width, BROKEN_TIMES, tmp_path) == []


# How much wider than the page a table page's table is: it scrolls sideways.
TOO_WIDE = """
  const wrapper = document.querySelector(".table-wrapper");
  return wrapper.scrollWidth - wrapper.clientWidth;
"""


def test_the_status_changes_fit_a_1280_px_screen(base, tmp_path):
    # Its two times each kept on one line made the table 40 px wider than
    # the page at 1280 px: it scrolled sideways, its currency cut at the edge.
    assert found(base, "/t/transitions", 1280, TOO_WIDE, tmp_path) == 0


# Each chart of a dashboard's page whose menu (vega-embed's "...") lies over
# its plot, or whose plot falls short of its card's width: once every chart
# is drawn (vega-embed's svg in each), the chart's id and what is wrong.
CHART_ROOM = """
  const charts = () => [...document.querySelectorAll(".dashboard-card-chart.vega-embed")];
  for (let wait = 0; wait < 80; wait++) {
    const drawn = charts().filter((c) => c.querySelector("summary") &&
      c.querySelector("svg.marks"));
    if (drawn.length && drawn.length === charts().length) break;
    await new Promise((done) => setTimeout(done, 100));
  }
  const wrong = [];
  for (const chart of charts()) {
    const menu = chart.querySelector("summary").getBoundingClientRect();
    const plot = chart.querySelector("svg.marks").getBoundingClientRect();
    const card = chart.closest(".dashboard-card");
    const inside = parseFloat(getComputedStyle(card).paddingRight);
    const edge = card.getBoundingClientRect().right - inside;
    if (menu.right > plot.left && menu.left < plot.right && menu.bottom > plot.top
        && menu.top < plot.bottom) wrong.push(`${chart.id}: its menu over its plot`);
    if (edge - plot.right > 1) wrong.push(`${chart.id}: ${Math.round(edge - plot.right)} px short`);
  }
  return charts().length ? wrong : ["no chart drawn"];
"""


@pytest.mark.parametrize("board", ["overview", "services"])
def test_on_a_phone_a_charts_menu_is_in_its_title_row_its_plot_the_cards_width(
    base, tmp_path, board
):
    # vega-embed keeps a 38-px gutter right of each plot for the menu, 12% of
    # a phone's card, and the menu sat at the plot's top right corner.
    assert found(base, f"/-/dashboards/{board}", 390, CHART_ROOM, tmp_path, charts=True) == []


@pytest.mark.parametrize("board", ["overview", "services"])
def test_on_a_wide_screen_a_charts_menu_keeps_its_gutter(base, tmp_path, board):
    wrong = found(base, f"/-/dashboards/{board}", 1280, CHART_ROOM, tmp_path, charts=True)
    assert wrong and all(w.endswith(" px short") for w in wrong), wrong  # beside the plot


@pytest.mark.parametrize("table", ["orders", "order_overview"])
def test_on_a_phone_a_long_link_breaks_at_its_rows_edge(base, tmp_path, table):
    # Each row a card on a phone: an order's link ran past the card's edge,
    # and the table scrolled sideways for it.
    assert found(base, f"/t/{table}", 390, TOO_WIDE, tmp_path) == 0
    shown = found(base, f"/t/{table}", 390, LINK_SHOWN, tmp_path)
    assert shown == LONG_LINK  # whole, over lines


LINK_SHOWN = """
  const cells = [...document.querySelectorAll("td.col-link")].map((c) => c.textContent.trim());
  return cells.find((text) => text.startsWith("https://"));
"""


# The sort choice (a phone's, hidden on a wider screen) if its words are cut.
CUT_SORT = """
  const select = document.getElementById("sort_by");
  if (!select || !select.offsetParent) return [];
  const style = getComputedStyle(select);
  const words = document.createElement("span");
  words.style.font = style.font;
  words.style.whiteSpace = "pre";
  words.style.position = "absolute";
  words.textContent = select.selectedOptions[0].textContent;
  document.body.append(words);
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return words.getBoundingClientRect().width > room ? [words.textContent] : [];
"""


@pytest.mark.parametrize("path", ["/t/orders", "/t/order_overview?_sort=last_checked_at"])
def test_a_table_pages_sort_choice_is_whole_on_a_phone(base, tmp_path, path):
    # Datasette gives it 120 px: Orders' "Sort by created_at" read "Sort by create".
    assert found(base, path, 390, CUT_SORT, tmp_path) == []


# Each figure's cell (<span class="figure">) on the page and its column's
# name: where its text ends, short of its cell's right edge (0: at the
# right); and how much room its cell has beside its text (where at the left
# or at the right makes a difference).
FIGURE_EDGES = """
  const edges = [];
  for (const table of document.querySelectorAll("table.rows-and-columns")) {
    const names = [...table.querySelectorAll("thead th")];
    const short = (box, words) => {
      const text = document.createRange();
      text.selectNodeContents(words);
      const style = getComputedStyle(box);
      const edge = box.getBoundingClientRect().right - parseFloat(style.paddingRight)
        - parseFloat(style.borderRightWidth);
      const room = edge - box.getBoundingClientRect().left - parseFloat(style.paddingLeft);
      const ends = text.getBoundingClientRect();
      return [Math.round(edge - ends.right), Math.round(room - ends.width)];
    };
    for (const row of table.tBodies[0].rows) {
      [...row.cells].forEach((cell, i) => {
        const figure = cell.querySelector(":scope > span.figure");
        if (!figure) return;
        const name = names[i];
        edges.push({ text: cell.textContent.trim(), cell: short(cell, figure),
                     name: short(name, name), column: name.textContent.trim() });
      });
    }
  }
  return edges;
"""


@pytest.mark.parametrize("path", ["/t/transitions", "/t/order_overview"])
def test_figures_are_right_aligned_by_the_stylesheet_with_no_script_run(base, tmp_path, path):
    # Without JavaScript (a browser without it, a reader mode, the page
    # saved) the figures were marked but at the left of their cells, where
    # the page's script had not right-aligned their columns: 962 under
    # 1818 lined up by its first digit. The stylesheet right-aligns each.
    from tracker.cli.datasette_figures import SCRIPT

    edges = found(base, path, 1280, FIGURE_EDGES, tmp_path, without=SCRIPT)
    assert edges, "no figure on the page"
    assert [e for e in edges if abs(e["cell"][0]) > 1] == []
    assert any(e["cell"][1] > 10 for e in edges)  # a cell with room at its left
    # The script run, their column names are right-aligned over them too.
    edges = found(base, path, 1280, FIGURE_EDGES, tmp_path)
    assert [e for e in edges if abs(e["cell"][0]) > 1 or abs(e["name"][0]) > 1] == []


def test_a_figure_in_a_column_of_text_stays_at_the_left_with_the_text(base, tmp_path):
    # A query's column holding a number and words: the number is marked a
    # figure, the stylesheet puts it at the right; the script, seeing words
    # in its column, puts it back at the left, as its name and the words.
    sql = "select 1818 as said union all select 'twelve words'"
    edges = found(base, f"/t?sql={urllib.parse.quote(sql)}", 1280, FIGURE_EDGES, tmp_path)
    assert [(e["text"], e["column"]) for e in edges] == [("1818", "said")]
    [edge] = edges
    assert edge["cell"][0] > 10 and edge["name"][0] > 10  # both at the left of their room
