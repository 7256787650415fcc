"""The dashboard as a busy reseller sees it (200 services, a long panel
name, spends in two currencies, python -m bench.busy_db): figures
right-aligned, the scorecard table as long as its charts (the first 20
services, then how many more, linked to the full view), a long panel name
cut in the wide table, each spend whole with its currency."""

from __future__ import annotations

import html
import json
import re
import sqlite3
from importlib.resources import files
from urllib.parse import parse_qsl

import pytest
from dashboard_pages import page, served
from test_dashboard_cards import BOARDS, card, orders_db, panel_of
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
    said = re.sub(r'href="[^"]*"', "href", more["Service"])
    assert said == (
        "5 more services (25 in all): the <a href>service_scorecard</a>"
        " view lists every one, ranked as here"
    )
    assert [v for k, v in more.items() if k != "Service"] == [""] * 12
    # The view's rows linked to: every service.
    assert len(linked(db, more["Service"])) == 25


def linked(db, cell: str, params: dict[str, str] | None = None) -> list[dict]:
    """The rows the scorecard's "more" line links to, as JSON (the dashboard's
    metadata served: its canned queries), ``params`` given to its query."""
    [link] = re.findall(r'href="([^"]+)"', cell)
    path, _, query = html.unescape(link).partition("?")
    given = {**dict(parse_qsl(query)), **(params or {}), "_shape": "array"}
    answer = served(db, f"{path}.json", given, metadata=build_metadata(db.stem, {}))
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def test_the_more_line_links_to_the_view_ranked_as_the_scorecard_ranks(tmp_path):
    # 23 services: RUB, USD, one in both, one in no currency said, four that
    # spent nothing. The view's own page ranks them by the bare number (r's
    # 900 RUB over r's 300 RUB + 950 USD by its 950, over u's 95 USD...); the
    # scorecard (and `report`) a currency at a time, A to Z by a service's
    # largest figure, highest first in each, then the spend in none said,
    # then those that spent nothing. The link lists them as the scorecard.
    rub = [("r", n, 100.0 * n, "RUB") for n in range(1, 10)]
    usd = [("u", n, 10.0 * n + 5, "USD") for n in range(1, 10)]
    others = [("r", 109, 950.0, "USD"), ("n", 1, 7.0, None), ("n", 2, 0.0, None)]
    db = orders_db(
        tmp_path / "t.db", rub + usd + others + [("z", n, 0.0, "USD") for n in (1, 2, 3)]
    )
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE orders SET service = CASE order_id WHEN 109 THEN 3 ELSE order_id END")
    conn.close()
    *table, more = card(db, "services", "scorecard")
    rows = linked(db, more["Service"])
    assert [(r["panel"], str(r["service"])) for r in rows][:20] == [
        (panel_of(r), ids([r["Service"]])[0]) for r in table
    ]
    tops = [(json.loads(r["spend_by_currency"]) or [{"currency": "-"}])[0] for r in rows]
    currencies = [top["currency"] for top in tops]
    assert currencies == ["RUB"] * 8 + ["USD"] * 10 + [None] + ["-"] * 4
    assert (rows[8]["panel"], rows[8]["service"], tops[8]["spend"]) == ("r", 3, 950.0)
    # The view's own page, by the bare number: r's 950 USD first.
    bare = json.loads(page(db, "service_scorecard.json", {"_shape": "array"}))
    assert (bare[0]["panel"], bare[0]["service"]) == ("r", 3)
    assert len(bare) == len(rows) == 23


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
    assert link == "/busy+reseller~2E2026/every_service_ranked"
    assert len(linked(db, more)) == 25


def test_the_more_line_opens_a_page_titled_for_what_it_lists_every_service(tmp_path):
    # It opened the database's query page, "Custom SQL query" over the SQL's
    # rows, cut at Datasette's 1,000 rows. It is a canned query's page: its
    # title and description say what it lists, its SQL folded away, and its
    # rows go on past 1,000 services, a page of 1,000 from the rank given.
    db = many_services(tmp_path / "t.db", 1203)
    more = card(db, "services", "scorecard")[-1]["Service"]
    assert more.startswith("1,183 more services (1,203 in all)")
    [link] = re.findall(r'href="([^"]+)"', more)
    assert link == "/t/every_service_ranked"
    text = page(db, link, metadata=build_metadata(db.stem, {}))
    [title] = re.findall(r"<h1[^>]*>(.*?)</h1>", text, re.S)
    assert title == "Every service of the scorecard, ranked"
    assert "<title>Every service of the scorecard" in text
    assert "every service, ranked as the Service scorecard dashboard and" in text
    assert '<pre id="sql-query">' not in text  # the SQL folded away
    # 1,203 services, charged 1,203 USD down to 1: ranks 1 to 1,000, then on.
    first = linked(db, more)
    assert [(r["rank"], r["service"]) for r in first[:2]] == [(1, 1203), (2, 1202)]
    assert len(first) == 1000
    rest = linked(db, more, {"from_rank": "1001"})
    assert [(r["rank"], r["service"]) for r in rest] == [(n, 1204 - n) for n in range(1001, 1204)]
    assert linked(db, more, {"from_rank": "ten"}) == []  # digits only


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


def test_the_spend_cards_long_figures_take_a_smaller_font_each_on_one_line(tmp_path):
    # At 1024 px, 10 million and up with a four-letter currency read
    # "12,345,678.90 USD" over "T" in the card's font of 11% of its width.
    # Past 16 characters the card's figures take a font sized by the longest:
    # its characters (0.52 em a digit, 0.7 a capital: 0.55 on average) within
    # the card's width, and no smaller than need be.
    spends = [("t", 1, 12345678.9, "USDT"), ("r", 2, 5359206.9991, "RUB")]
    db = orders_db(tmp_path / "t.db", spends)
    [row] = card(db, "overview", "spend-30d")
    found = re.fullmatch(
        r'<span style="font-size: min\(1em, ([\d.]+)cqi\)">(.*)</span>', row["spend"]
    )
    assert found, row["spend"]
    assert found.group(2).split("<br>") == ["12,345,678.90\xa0USDT", "5,359,207.00\xa0RUB"]
    longest = len("12,345,678.90 USDT")
    assert float(found.group(1)) * longest * 0.55 < 100 < float(found.group(1)) * longest
    # A card of figures of 16 characters or fewer is as it was: 11% of its width.
    [row] = card(orders_db(tmp_path / "s.db", spends[1:]), "overview", "spend-30d")
    assert row["spend"] == "5,359,207.00\xa0RUB"
