"""The scorecard's line under its first 20 services ("180 more services (200
in all; ...): the service_scorecard view lists every one, ranked as here"),
as headless Chromium lays it out on the served dashboard (test_dashboard_pages'
``found``). Skipped without Chromium or the dashboard extra."""

from __future__ import annotations

import sqlite3

import pytest
from test_dashboard_many_services import many_services
from test_dashboard_pages import found, pytestmark, served  # noqa: F401 (skipped without chromium)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    # 200 services in two currencies: the longest line ("; here each
    # currency's highest in turn").
    db = many_services(tmp_path_factory.mktemp("more") / "t.db", 200)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE orders SET currency = 'USDT' WHERE order_id % 2 = 0")
    conn.close()
    yield from served(db)


# Once the scorecard table is drawn: the lines its last row's words take
# (their text's boxes, by their tops), whether they start at the table's
# left edge, and whether the table's box scrolls sideways.
MORE_LINE = """
  const rows = () => document.querySelectorAll("table tbody > tr");
  for (let wait = 0; wait < 80 && rows().length <= 20; wait++) {
    await new Promise((done) => setTimeout(done, 100));
  }
  if (rows().length <= 20) return "no table drawn";
  const row = rows()[rows().length - 1];
  const table = row.closest("table");
  const tops = [];
  const walk = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
  let left = Infinity;
  while (walk.nextNode()) {
    const words = document.createRange();
    words.selectNodeContents(walk.currentNode);
    for (const box of words.getClientRects()) {
      left = Math.min(left, box.left);
      if (!tops.some((top) => Math.abs(top - box.top) < 4)) tops.push(box.top);
    }
  }
  const scroller = table.parentElement;
  return {
    text: row.textContent.trim().slice(0, 18),
    lines: tops.length,
    at_the_tables_left: left - table.getBoundingClientRect().left < 8,
    sideways: scroller.scrollWidth > scroller.clientWidth,
  };
"""


@pytest.mark.parametrize("width", [1024, 1280])
@pytest.mark.parametrize("path", ["/-/dashboards/services", "/-/dashboards/services/scorecard"])
def test_the_more_services_line_is_one_line_of_its_own_under_the_table(base, tmp_path, path, width):
    # At 1024 px it wrapped inside the Service column, four lines of 20
    # columns under the last service's name; at 1280 px, three.
    assert found(base, path, width, MORE_LINE, tmp_path, charts=True) == {
        "text": "180 more services ",
        "lines": 1,
        "at_the_tables_left": True,
        "sideways": False,
    }
