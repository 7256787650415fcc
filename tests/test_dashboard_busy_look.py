"""The dashboard as a busy reseller sees it (200 services, a long panel
name, spends in two currencies, python -m bench.busy_db): figures
right-aligned, the scorecard table as long as its charts (the first 20
services, then how many more, linked to the full view), a long panel name
cut in the wide table, each spend whole with its currency."""

from __future__ import annotations

import json
import re
from importlib.resources import files

import pytest
from dashboard_pages import page, served
from test_dashboard_cards import BOARDS, card, orders_db
from test_dashboard_many_services import drawn_services, many_services

from tracker.cli.dashboard import build_metadata

CSS = files("tracker.data").joinpath("dashboard.css").read_text()
SCORECARD = ":is(#chart-scorecard, #chart-services)"
WIDE = "@media only screen and (min-width: 1024px) {"


def media(start: str) -> str:
    """The text of the stylesheet's first media block opening with ``start``."""
    return CSS[CSS.index(start) :].split("\n}\n", 1)[0]


def ids(cells: list[str]) -> list[str]:
    """The service IDs of scorecard Service cells, "... (#12)"."""
    return [cell.rsplit("(#", 1)[1].rstrip(")") for cell in cells]


def test_the_scorecard_lists_the_first_20_services_as_its_charts_then_how_many_more(tmp_path):
    # At 200 services the table was 9,400 px tall above its charts, which
    # draw the first 20. It lists those 20, in the charts' order, then a line.
    db = many_services(tmp_path / "t.db")  # 25 services
    *table, more = card(db, "services", "scorecard")
    assert len(table) == 20
    drawn = drawn_services(card(db, "services", "outcomes"))
    assert ids([r["Service"] for r in table]) == [d.split(" · #")[1].split(" ")[0] for d in drawn]
    assert more["Service"] == (
        '5 more services (25 in all): the <a href="/t/service_scorecard">service_scorecard</a>'
        " view lists every one"
    )
    assert [v for k, v in more.items() if k != "Service"] == [""] * 12
    # The view linked to lists every service.
    listed = json.loads(page(db, "service_scorecard.json", {"_shape": "array"}))
    assert len(listed) == 25


@pytest.mark.parametrize(("services", "more"), [(20, None), (21, "1 more service (21 in all)")])
def test_the_more_line_only_past_20_services(tmp_path, services, more):
    rows = card(many_services(tmp_path / "t.db", services), "services", "scorecard")
    said = [r["Service"].split(":")[0] for r in rows if r["Orders"] == ""]
    assert said == ([more] if more else [])
    assert len(rows) == 20 + (more is not None)


def test_the_more_line_links_to_the_served_databases_view(tmp_path):
    # Datasette names a database in its URLs tilde-encoded: "busy reseller"
    # is /busy+reseller/.
    db = many_services(tmp_path / "busy reseller.2026.db")
    boards = build_metadata(db.stem, {})["plugins"]["datasette-dashboards"]
    more = card(db, "services", "scorecard", boards=boards)[-1]["Service"]
    [link] = re.findall(r'href="([^"]+)"', more)
    assert link == "/busy+reseller~2E2026/service_scorecard"
    answer = served(db, link + ".json", {"_shape": "array"})
    assert answer.status_code == 200 and len(answer.json()) == 25


def test_a_long_panel_name_is_cut_in_the_wide_table_and_whole_in_its_title(tmp_path):
    # A 37-character panel name widened the wide table past its card (1024
    # px: the Spend column cut off). It is cut with an ellipsis; its title,
    # shown on hover, holds it whole; both escaped.
    name = 'eu-reseller-premium-"panel"<b>&.example.com'
    db = orders_db(tmp_path / "t.db", [(name, 1, 1.0, "USD")])
    [row] = card(db, "services", "scorecard")
    shown = "eu-reseller-premium-&quot;panel&quot;&lt;b&gt;&amp;.example.com"
    assert row["Panel"] == (
        f'<span class="name" title="{shown}">{shown.replace("&quot;", chr(34))}</span>'
    )
    wide = media(WIDE)
    cut = re.search(re.escape(f"{SCORECARD} td:nth-child(1) .name {{") + r"([^}]*)\}", wide)
    assert cut, wide
    rules = cut.group(1)
    for declaration in ("overflow: hidden;", "text-overflow: ellipsis;", "display: inline-block;"):
        assert declaration in rules
    assert "max-width:" in rules
    # What is still too wide scrolls inside its card, not past the page.
    assert "#chart-scorecard {\n    container-type: inline-size;" in wide


FIGURE = re.compile(
    r"-|[\d,.]+(%|\xa0(s|min|h|d))?|\d+/\d+/\d+|[\d,.]+\xa0[A-Z]+(<br>[\d,.]+\xa0[A-Z]+)*"
)


def test_the_scorecards_figures_are_right_aligned_in_the_wide_table(tmp_path):
    db = orders_db(tmp_path / "t.db", [("p", 1, 1234.5, "USD"), ("p", 2, 3.25, "EUR")])
    [row] = card(db, "services", "scorecard")
    cells = [str(v) for v in row.values()]
    # Columns 3 on are figures (counts, shares, times, refills, spend), the
    # first two names.
    assert all(FIGURE.fullmatch(cell) for cell in cells[2:]), cells
    assert not any(FIGURE.fullmatch(cell) for cell in cells[:2]), cells
    assert f"{SCORECARD} :is(th, td):nth-child(n + 3) {{\n    text-align: right;" in media(WIDE)


def test_the_spend_card_keeps_each_figure_with_its_currency(tmp_path):
    # At 1024 px (four cards a row) the card read "5,359,207.00" over "RUB"
    # over "173,325.67" over "USD". Each figure is joined to its currency by
    # a no-break space, a currency a line, in a font the card holds.
    spends = [("r", 1, 5359206.9991, "RUB"), ("u", 2, 173325.6742, "USD")]
    db = orders_db(tmp_path / "t.db", spends)
    [row] = card(db, "overview", "spend-30d")
    assert row["spend"].split("<br>") == ["5,359,207.00\xa0RUB", "173,325.67\xa0USD"]
    assert " " not in row["spend"]
    prefix = BOARDS["overview"]["charts"]["spend-30d"]["display"]["prefix"]
    assert "font-size: min(1em, 11cqi)" in prefix  # 11% of the card's width at most
    assert "#chart-spend-30d {\n  container-type: inline-size;\n}" in CSS
