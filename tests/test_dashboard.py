"""`smm-tracker dashboard`: Datasette on a loopback port over the simulator's story.

Every view, canned query and dashboard chart is fetched through Datasette's
JSON API (charts as datasette-dashboards fetches them: their SQL on
``/DB.json?sql=...``) and compared with what the test knows happened.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from decimal import Decimal
from importlib.resources import files

import pytest
import yaml
from click.testing import CliRunner
from ports import free_port
from scorecard_world import build

from tracker.cli.dashboard import INSTALL, build_metadata
from tracker.cli.main import main
from tracker.rules.money import money
from tracker.store.alerts import record_balance

DB = "t"  # Datasette names the database after the file, t.db
VIEWS = ("order_overview", "service_scorecard", "daily_activity", "stuck_orders")
TO_NOW = {"age_seconds", "unchanged_seconds", "unchanged_hours"}  # move while we read


def get(base: str, path: str, **params: object) -> object:
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=30) as answer:
        body = answer.read().decode()
    return json.loads(body) if ".json" in path else body


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dashboard")
    w, known = build(tmp)
    for hours, amount in ((30, "80.5"), (20, "61.25"), (10, "48.0"), (1, "45.5")):
        at = known.refills_at - timedelta(hours=hours)
        record_balance(w.store, "sim", at, Decimal(amount), "USD")
    config = tmp / "dash.toml"
    config.write_text(
        f'[database]\npath = "{w.store.path}"\n[balance]\nlow = 50\n'
        '[[panels]]\nname = "sim"\nurl = "http://127.0.0.1:9/api/v2"\nkey_env = "UNSET_KEY"\n'
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tracker",
            "--config",
            str(config),
            "dashboard",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if k != "UNSET_KEY"},
    )
    base = f"http://127.0.0.1:{port}"
    try:  # whatever ends the wait, the dashboard started for it does not outlive it
        deadline = time.monotonic() + 120  # Datasette's start on a loaded 2-core host
        while True:
            try:
                get(base, "/-/versions.json")
                break
            except OSError:  # refused, reset, or no answer yet within the timeout (a loaded host)
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    pytest.fail("dashboard did not start:\n" + proc.stdout.read().decode())
                time.sleep(0.2)
    except BaseException:
        proc.kill()
        proc.wait(timeout=30)
        raise
    yield base, w, known
    proc.terminate()
    proc.wait(timeout=30)
    w.close()


@pytest.fixture
def built_db(served):
    _, w, _ = served
    return w.store.path


def direct(w, sql: str) -> list[dict]:
    conn = sqlite3.connect(w.store.path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def steady(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in TO_NOW} for r in rows]


def test_versions_and_plugins(served):
    base, _, _ = served
    versions = get(base, "/-/versions.json")
    assert versions["datasette"]["version"].startswith("0.65.")
    plugins = {p["name"]: p for p in get(base, "/-/plugins.json")}
    assert plugins["datasette-dashboards"]["version"].startswith("0.8.")
    assert "tracker.cli.datasette_links" in plugins  # the order links
    assert "tracker.cli.datasette_filters" in plugins  # the "all panels" choice
    assert "tracker.cli.datasette_columns" in plugins  # a table's column notes folded
    assert "tracker.cli.datasette_money" in plugins  # money(), exact_total() in the SQL
    assert "tracker.cli.datasette_fields" in plugins  # a canned query's defaults shown
    assert "tracker.cli.datasette_times" in plugins  # a time broken after its T alone
    assert "tracker.cli.datasette_figures" in plugins  # figures right-aligned, by values
    # A card's query may take up to 10 s on a large database: Datasette's 1 s
    # default left the cards blank, without an error.
    assert get(base, "/-/settings.json")["sql_time_limit_ms"] == 10_000
    # Suggesting facets tried every column of a table page (50 ms each, three
    # ways): at 80k orders the orders page took 1.8 s for nothing suggested.
    assert get(base, "/-/settings.json")["suggest_facets"] is False
    # A facet may take up to 1 s: at Datasette's 200 ms, a busy reseller's
    # transitions, order_overview and daily_activity pages (100k orders, 950k
    # transitions) said "These facets timed out" where their counts belong.
    assert get(base, "/-/settings.json")["facet_time_limit_ms"] == 1_000
    orders = get(base, f"/{DB}/orders")
    assert (
        "Suggested facets" not in orders and 'data-column="status"' in orders
    )  # its own facets stay


def test_tables_views_and_canned_queries_are_listed_internal_ones_hidden(served):
    base, _, _ = served
    info = get(base, f"/{DB}.json")
    hidden = {t["name"] for t in info["tables"] if t["hidden"]}
    assert {"_sqlite_migrations", "alert_state"} <= hidden
    assert not {"orders", "transitions", "refills", "balances"} & hidden
    assert {v["name"] for v in info["views"]} >= set(VIEWS)
    assert {q["name"] for q in info["queries"]} == {
        "order_history",
        "stuck_longer_than",
        "spend_by_service",
        "every_service_ranked",
        "rejected_refills",
    }


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_through_the_json_api(served, view):
    base, w, _ = served
    rows = get(base, f"/{DB}/{view}.json", _shape="array", _size="max")
    expected = direct(w, f"SELECT * FROM {view}")
    assert rows and sorted(steady(rows), key=repr) == sorted(steady(expected), key=repr)


def test_canned_order_history(served):
    base, _, known = served
    rows = get(base, f"/{DB}/order_history.json", _shape="array", order_id=known.refilled, panel="")
    assert [(r["what"], r["from_status"], r["to_status"]) for r in rows] == [
        ("order", None, "In progress"),
        ("order", "In progress", "Completed"),
        ("refill", "Requesting", "Pending"),
        ("refill", "Pending", "Completed"),
    ]
    assert get(base, f"/{DB}/order_history.json", _shape="array", order_id=1, panel="") == []


def test_canned_stuck_longer_than(served):
    base, _, known = served
    rows = get(base, f"/{DB}/stuck_longer_than.json", _shape="array", hours=24)
    assert [r["order_id"] for r in rows] == [known.stuck]
    rows = get(base, f"/{DB}/stuck_longer_than.json", _shape="array", hours=0)
    assert [r["order_id"] for r in rows] == [known.stuck, known.fresh]
    rows = get(base, f"/{DB}/stuck_longer_than.json", _shape="array", hours="1.5")
    assert [r["order_id"] for r in rows] == [known.stuck]
    # Not a number: nothing, not every open order (it was read as 0 hours)
    for typo in ("abc", "-1", "24h"):
        assert get(base, f"/{DB}/stuck_longer_than.json", _shape="array", hours=typo) == [], typo


def test_a_canned_query_opened_with_its_fields_empty_lists_rows(served):
    # Datasette opens a canned query with its fields empty and runs it at
    # once: each showed "0 results" (no order ID, 0 hours read as no number,
    # 0 days: today's orders alone). Empty now reads as a default.
    base, w, known = served

    def empty(query: str, **fields: str) -> list:
        rows = get(base, f"/{DB}/{query}.json", _shape="array", **fields)
        assert isinstance(rows, list)
        return rows

    stuck = empty("stuck_longer_than", hours="")
    assert [r["order_id"] for r in stuck] == [known.stuck]  # 24 hours, as stuck_orders
    spend = empty("spend_by_service", days="")
    assert spend and spend == get(base, f"/{DB}/spend_by_service.json", _shape="array", days=30)
    [last] = direct(w, "SELECT panel, order_id FROM transitions ORDER BY id DESC LIMIT 1")
    history = empty("order_history", order_id="", panel="")
    assert history and {(r["panel"], r["order_id"]) for r in history} == {
        (last["panel"], last["order_id"])
    }  # the order whose status changed last
    assert empty("order_history", order_id="", panel="sim") == history
    assert empty("order_history", order_id="", panel="other") == []
    page = get(base, f"/{DB}/stuck_longer_than")
    assert isinstance(page, str) and "0 results" not in page


def test_canned_spend_by_service_and_rejected_refills(served):
    base, w, known = served
    rows = get(base, f"/{DB}/spend_by_service.json", _shape="array", days=30)
    card = direct(w, "SELECT service, spend FROM service_scorecard")
    assert [(r["service"], r["spend"]) for r in rows] == [
        (c["service"], money(c["spend"])) for c in card
    ]  # one currency: highest first, as the scorecard; as `report` writes it (0.97367)
    rows = get(base, f"/{DB}/rejected_refills.json", _shape="array")
    rejected = set(known.refills_asked) - {known.refilled}
    assert {r["order_id"] for r in rows} == rejected
    assert {r["status"] for r in rows} == {"Rejected"}


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("order_history", ["order_id", "panel"]),
        ("stuck_longer_than", ["hours"]),
        ("spend_by_service", ["days"]),
        ("rejected_refills", []),
    ],
)
def test_a_canned_query_opened_from_its_link_asks_for_its_parameters(served, query, fields):
    # Datasette finds a query's :parameters by cutting out comments and quoted
    # text; the "--service" inside a quoted service name read as a comment, so
    # "stuck longer than" opened on "You did not supply a value for binding
    # parameter :hours" with no field to give it, and "spend by service" asked
    # for "00now" in place of the days.
    base, _, _ = served
    try:
        page = get(base, f"/{DB}/{query}")
    except urllib.error.HTTPError as answer:  # the page a person sees, with its 400
        page = answer.read().decode()
    assert "You did not supply a value" not in page
    asked = re.findall(r'<input type="text" id="qp\d+" name="([^"]+)"', page)
    assert asked == fields


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("order_history", {"order_id": "the order changed last", "panel": "every panel"}),
        ("stuck_longer_than", {"hours": "24"}),
        ("spend_by_service", {"days": "30"}),
        ("rejected_refills", {}),
    ],
)
def test_a_canned_querys_empty_fields_show_their_defaults(served, query, shown):
    # Datasette 0.65 has no default nor placeholder for a parameter: the fields
    # opened empty, and nothing said that empty reads as 24 hours, 30 days or
    # the order changed last. The page's script writes each default as its
    # field's placeholder, grey in it while it is empty.
    base, _, _ = served
    page = get(base, f"/{DB}/{query}")
    assert isinstance(page, str)
    found = re.search(r"\(function \(placeholders\) \{.*?\}\)\((\{.*?\})\);", page, re.S)
    assert (json.loads(found.group(1)) if found else {}) == shown
    asked = re.findall(r'<input type="text" id="qp\d+" name="([^"]+)"', page)
    assert sorted(asked) == sorted(shown)  # a default shown in every field


def shown_sql(page: str) -> str:
    """The SQL a canned query's page shows (read-only, under "Custom SQL query")."""
    found = re.search(r'<pre id="sql-query">(.*?)</pre>', page, re.S)
    assert found, page
    return html.unescape(found.group(1))


@pytest.mark.parametrize(
    "query", ["order_history", "stuck_longer_than", "spend_by_service", "rejected_refills"]
)
def test_a_canned_querys_page_shows_its_sql_without_developer_notes(served, query):
    # "stuck longer than" showed `-- "abc" cast to 0 and listed every open
    # order as stuck` in its SQL to whoever opened it: notes are YAML comments.
    base, _, _ = served
    try:
        page = get(base, f"/{DB}/{query}", _show_sql=1)  # its "Show SQL" link
    except urllib.error.HTTPError as answer:
        page = answer.read().decode()
    sql = shown_sql(page)
    assert "SELECT" in sql
    assert [line for line in sql.splitlines() if line.strip().startswith("--")] == []


@pytest.mark.parametrize(
    "query", ["order_history", "stuck_longer_than", "spend_by_service", "rejected_refills"]
)
def test_a_canned_query_opens_on_its_rows_its_sql_folded_away(served, query):
    # Its 20-25 lines of SQL came first and pushed the fields and the rows
    # below a laptop's screen: a page of SQL and no answer in sight.
    base, _, _ = served
    page = get(base, f"/{DB}/{query}")
    assert isinstance(page, str)
    assert '<pre id="sql-query">' not in page  # the SQL, shown under the title
    assert re.search(r'<a href="[^"]*\?_show_sql=1">Show SQL</a>', page)  # by its Run button
    assert page.count("<tr") > 1  # the header and the rows, on the page at once


@pytest.mark.parametrize(
    "query",
    ["order_history", "stuck_longer_than", "spend_by_service", "every_service_ranked"]
    + ["rejected_refills"],
)
def test_a_canned_querys_page_reads_as_its_report_not_as_custom_sql(served, query):
    # "Custom SQL query returning 16 rows" headed every canned query's fields:
    # a person opened a named report, not SQL of their own. Its title heads
    # it, the count of its rows heads its rows.
    base, _, _ = served
    page = get(base, f"/{DB}/{query}")
    assert isinstance(page, str)
    assert "Custom SQL" not in page
    canned = build_metadata(DB, {})["databases"][DB]["queries"][query]
    [title] = re.findall(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert html.unescape(title) == canned["title"]
    rows = len(get(base, f"/{DB}/{query}.json", _shape="array"))
    counted = [f"{rows:,} row{'' if rows == 1 else 's'}"] if rows else []
    asked = ["Query parameters"] if canned.get("params") else []
    assert re.findall(r"<h3[^>]*>(.*?)</h3>", page, re.S) == asked + counted
    if rows:  # the count over the rows
        assert page.index(counted[0]) < page.index('<table class="rows-and-columns">')


def test_a_page_of_ones_own_sql_keeps_datasettes_heading(served):
    base, _, _ = served
    page = get(base, f"/{DB}", sql="SELECT 1 AS one")
    assert isinstance(page, str)
    assert re.search(r"<h3>Custom SQL query returning 1 row\s*<span", page)


def test_no_chart_query_carries_a_sql_comment(boards):
    # A chart's query opens as SQL from its menu: notes are YAML comments there too.
    commented = [
        (slug, name)
        for slug, board in boards.items()
        for name, chart in board["charts"].items()
        if any(line.strip().startswith("--") for line in chart["query"].splitlines())
    ]
    assert commented == []


def chart_rows(base: str, chart: dict) -> list[dict]:
    """Run a chart's query as datasette-dashboards does (no filter chosen)."""
    sql = chart["query"]
    while "[[" in sql:  # an unset filter drops its [[ ... ]] block
        start = sql.index("[[")
        sql = sql[:start] + sql[sql.index("]]", start) + 2 :]
    answer = get(base, f"/{chart['db']}.json", sql=sql, _shape="objects")
    assert not answer.get("truncated")
    return answer["rows"]


@pytest.fixture(scope="module")
def boards():
    return build_metadata(DB, {"sim": 50.0})["plugins"]["datasette-dashboards"]


def test_every_dashboard_page_and_chart_query(served, boards):
    base, _, _ = served
    listing = get(base, "/-/dashboards")
    for slug, board in boards.items():
        assert board["title"] in listing
        page = get(base, f"/-/dashboards/{slug}")
        for name, chart in board["charts"].items():
            assert chart["title"] in page
            assert get(base, f"/-/dashboards/{slug}/{name}")
            assert chart_rows(base, chart), (slug, name)


def test_the_panel_filter_reads_all_panels_until_one_is_chosen(served):
    base, _, _ = served
    page = get(base, "/-/dashboards/overview")
    # datasette-dashboards writes the "no filter" choice blank; the plugin's
    # script names it, on the dashboards' pages only.
    assert '<select id="panel" name="panel">' in page
    assert '"panel": "all panels"' in page
    assert "all panels" not in get(base, f"/{DB}/orders")


def test_the_panel_filter_stays_within_a_phones_screen(served):
    # A select is as wide as its longest choice: a 53-character panel name took
    # the Panel filter (and its fieldset, at least as wide as what it holds)
    # past the right edge of a 390-px screen. The plugin's script bounds both.
    base, _, _ = served
    page = get(base, "/-/dashboards/overview")
    assert 'document.querySelectorAll(".dashboard-filters select")' in page
    assert 'select.style.maxWidth = "100%"' in page
    assert 'box.style.minWidth = "0"' in page


def test_the_scorecard_page_carries_its_phone_stylesheet(served):
    # The scorecard table's 13 columns scrolled sideways on a 390-px phone;
    # tracker/data/dashboard.css stacks them there, served inline with the page.
    base, _, _ = served
    page = get(base, "/-/dashboards/services")
    [url] = re.findall(r'<link rel="stylesheet" href="(data:text/css[^"]*)"', page)
    css = urllib.parse.unquote(html.unescape(url).split(",", 1)[1])
    assert css == files("tracker.data").joinpath("dashboard.css").read_text()
    assert "@media only screen and (max-width: 1023px)" in css


def test_overview_dashboard_figures(served, boards):
    base, _, known = served
    charts = boards["overview"]["charts"]
    assert chart_rows(base, charts["open-orders"]) == [{"n": 2, "shown": "2"}]
    assert chart_rows(base, charts["stuck-orders"]) == [{"n": 1, "shown": "1"}]
    spend = sum(Decimal(str(p.charge)) for p in known.orders)  # as `report` adds them up
    assert chart_rows(base, charts["spend-30d"]) == [{"spend": f"{money(spend)}\xa0USD"}]
    assert chart_rows(base, charts["completed-30d"]) == [{"n": 10.0, "shown": "10"}]
    balance = chart_rows(base, charts["balance"])
    assert [(r["balance"], r["low"]) for r in balance] == [
        (80.5, 50.0),
        (61.25, 50.0),
        (48.0, 50.0),
        (45.5, 50.0),
    ]
    # Each line named with its currency: panels in USD and RUB share one axis.
    assert {r["series"] for r in balance} == {"sim (USD)"}
    status = {r["status"]: r["orders"] for r in chart_rows(base, charts["status"])}
    # every order, the 40-day-old one too
    assert status == {"Completed": 11, "Partial": 2, "Canceled": 1, "In progress": 1, "Pending": 1}
    daily = chart_rows(base, charts["daily"])
    totals = {what: sum(r["n"] for r in daily if r["what"] == what) for what in {"first seen"}}
    assert totals == {"first seen": len(known.orders)}
    refills = {r["status"]: r["refills"] for r in chart_rows(base, charts["refills"])}
    assert refills == {"Rejected": len(known.refills_asked) - 1, "Completed": 1}


def test_services_dashboard_figures(served, boards):
    base, _, _ = served
    charts = boards["services"]["charts"]
    table = chart_rows(base, charts["scorecard"])
    followers = table[1]
    # With its ID: panels list several services under one name, and the
    # charts would add them up (a share of 200 %).
    assert followers["Service"] == "<bdi>Instagram Followers | Refill 30 days</bdi> (#1)"
    assert (followers["Orders"], followers["Completed"], followers["Partial"]) == (8, "63%", "13%")
    assert followers["Median"] == "8.0\xa0h"
    assert followers["P90"] == "9.6\xa0h"
    assert followers["Refills"] == "5/5/1"
    assert followers["Refilled"] == "20%"
    outcomes = chart_rows(base, charts["outcomes"])
    per_service: dict[str, float] = {}
    for r in outcomes:
        per_service[r["service"]] = per_service.get(r["service"], 0) + r["share"]
    assert all(total == pytest.approx(1, abs=1e-3) for total in per_service.values())
    # In hours, as the table beside it, each bar labelled as the table writes it
    # (the chart was in minutes: 480 beside the table's 8.0 h).
    completion = chart_rows(base, charts["completion"])
    bars = {r["measure"]: r for r in completion if "Followers |" in r["service"]}
    assert bars["median"]["hours"] == pytest.approx(8.0)
    assert bars["90th percentile"]["hours"] == pytest.approx(9.6)
    assert (bars["median"]["time"], bars["90th percentile"]["time"]) == (
        followers["Median"],
        followers["P90"],
    )
    # Services in the table's order, highest spend first (it was alphabetical;
    # then by the bare spend, across currencies: tests/test_dashboard_money.py).
    assert charts["completion"]["display"]["encoding"]["y"]["sort"] == {
        "field": "rank",
        "op": "min",  # a layered chart keeps only count, min or max
        "order": "ascending",
    }
    spend = {r["service"]: r["spend"] for r in completion}
    assert followers["Service"].endswith(" (#1)")
    name = followers["Service"].replace("<bdi>", "").replace("</bdi>", "")[: -len(" (#1)")]
    assert spend["sim · #1 " + name] == float(followers["Spend"].split()[0])


def test_an_orders_page_links_to_its_transitions_and_refills(served):
    base, _, known = served
    page = get(base, f"/{DB}/orders/sim,{known.refilled}")
    query = urllib.parse.urlencode({"panel": "sim", "order_id": known.refilled}).replace(
        "&", "&amp;"
    )
    assert f'href="/{DB}/transitions?{query}"' in page
    assert f'href="/{DB}/refills?{query}"' in page
    overview = get(base, f"/{DB}/order_overview", order_id=known.refilled)
    assert f'href="/{DB}/orders/sim,{known.refilled}"' in overview


@pytest.mark.parametrize(
    ("table", "column"), [("automation_actions", "new_order_id"), ("orders", "parent_order_id")]
)
def test_a_reorder_and_the_order_it_completes_link_to_their_pages(tmp_path, table, column):
    # A re-order's new order (automation_actions) and a re-order's Partial
    # parent (orders) were bare numbers: the order they name was a search away.
    pytest.importorskip("datasette")
    from datasette.app import Datasette

    from tracker.cli.datasette_links import render_cell

    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    row = conn.execute(f"SELECT 'sim' AS panel, 7 AS order_id, 474016 AS {column}").fetchone()
    sqlite3.connect(tmp_path / f"{DB}.db").close()  # a database Datasette names t
    datasette = Datasette([str(tmp_path / f"{DB}.db")])
    cell = str(render_cell(row, 474016, column, DB, datasette, table))
    assert cell == f'<a href="/{DB}/orders/sim,474016">474016</a>', table
    assert render_cell(row, None, column, DB, datasette, table) is None  # not placed yet


def cells(page: str, column: str) -> list[str]:
    """The text of each ``column`` cell of a table page's rows, top to bottom."""
    found = re.findall(rf'<td class="col-{column} type-[a-z]+">(.*?)</td>', page, re.S)
    return [html.unescape(re.sub("<[^>]+>", "", c)).strip() for c in found]  # a figure's mark


@pytest.mark.parametrize(
    ("table", "column", "sort"),
    [
        ("balances", "balance", "at"),
        ("orders", "charge", "charge"),
        ("transitions", "charge", "id"),
        ("order_overview", "charge", "charge"),
        ("services", "rate", "rate"),
    ],
)
def test_a_table_page_writes_money_as_the_cli_does_its_data_as_stored(served, table, column, sort):
    # A table page showed SQLite's 80.5 and 1e-06 where `balance` and
    # `history` write 80.50 and 0.000001; its exports are data, as stored.
    base, _, _ = served
    rows = get(base, f"/{DB}/{table}.json", _shape="array", _sort=sort, _size="max")
    page = get(base, f"/{DB}/{table}", _sort=sort, _size="max")
    stored = [r[column] for r in rows]
    assert [v for v in stored if v is not None], table  # the world has amounts to show
    assert cells(page, column) == [money(v) if v is not None else "" for v in stored]
    if table == "balances":
        assert "80.50" in cells(page, column) and 80.5 in stored
    exported = csv.DictReader(get(base, f"/{DB}/{table}.csv", _sort=sort, _size="max").splitlines())
    assert [r[column] for r in exported] == ["" if v is None else str(v) for v in stored]


def test_a_table_pages_time_breaks_after_its_t_alone_its_text_as_stored(served):
    # Each kept on one line, Status changes' two times made its table wider
    # than a 1280-px page; left to wrap, a time broke at a hyphen, "2026-12-"
    # over "06T...". Its day and its time of day are each whole, a break
    # allowed between them alone; the cell's text is the stored time.
    base, _, _ = served
    rows = get(base, f"/{DB}/transitions.json", _shape="array", _sort="id", _size="max")
    page = get(base, f"/{DB}/transitions", _sort="id", _size="max")
    shown = re.findall(r'<td class="col-at type-str">(.*?)</td>', page, re.S)
    assert shown and len(shown) == len(rows)
    for cell, row in zip(shown, rows, strict=True):
        day, clock = row["at"].split("T")
        assert cell == f'<span class="day">{day}T</span><wbr><span class="clock">{clock}</span>'
        assert html.unescape(re.sub("<[^>]+>", "", cell)) == row["at"]
    assert 'class="col-panel type-str">sim</td>' in page  # other text as Datasette writes it


def test_only_a_whole_stored_time_is_written_in_two_parts():
    from tracker.cli.datasette_times import time_cell

    two = '<span class="day">2026-12-06T</span><wbr><span class="clock">{}</span>'
    assert time_cell("2026-12-06T18:02:10+00:00") == two.format("18:02:10+00:00")
    assert time_cell("2026-12-06T18:02:10.250000Z") == two.format("18:02:10.250000Z")
    for other in ("2026-12-06", "held until 2026-12-06T18:02:10+00:00", "<b>", 5, None):
        assert time_cell(other) is None  # as Datasette writes it


def test_writes_are_refused(served):
    base, w, _ = served
    with pytest.raises(urllib.error.HTTPError):
        get(base, f"/{DB}.json", sql="DELETE FROM orders")
    assert direct(w, "SELECT count(*) AS n FROM orders") == [{"n": 16}]


def test_metadata_describes_every_table_view_and_column(tmp_path):
    from tracker.store.orders import Store

    store = Store(tmp_path / "fresh.db")
    meta = yaml.safe_load(files("tracker.data").joinpath("datasette.yml").read_text())
    tables = meta["databases"]["tracker"]["tables"]
    missing = []
    for item in store.rows("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"):
        name = item["name"]
        described = tables.get(name, {})
        said = described.get("description") or described.get("description_html")  # with code
        if not described.get("title") or not said:
            missing.append(name)
        columns = [c["name"] for c in store.rows(f"PRAGMA table_info('{name}')")]
        missing += [f"{name}.{c}" for c in columns if not described.get("columns", {}).get(c)]
    store.close()
    assert missing == [], "add these to tracker/data/datasette.yml"


def test_a_port_in_use_is_one_line(built_db, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["dashboard", "--database", str(built_db), "--port", str(port)]
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output.endswith(
        f"smm-tracker: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )


def test_a_host_that_does_not_resolve_is_named(built_db):
    args = ["dashboard", "--database", str(built_db), "--host", "999.1.1.1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.output.startswith("smm-tracker: --host 999.1.1.1: cannot resolve it to an ")
    assert len(result.output.splitlines()) == 1 and "Unknown error" not in result.output


@pytest.mark.parametrize(
    ("host", "said"),
    [
        ("", "--host is empty: name an address to listen on, or leave the option out"),
        (
            "x\u202ey",
            "--host 'x\\u202ey': not a host name or address (Invalid character '\\u202e')",
        ),
        ("a" * 70, f"--host '{'a' * 59}…': not a host name or address (label too long)"),
    ],
)
def test_a_host_no_lookup_can_take_is_one_line_not_a_traceback(tmp_path, host, said):
    # A name IDNA cannot encode raised UnicodeError out of getaddrinfo: a
    # traceback; an empty one was said "--host : cannot resolve it".
    w, _ = build(tmp_path)
    args = ["dashboard", "--database", str(w.store.path), "--host", host]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.output == f"smm-tracker: {said}\n"


def test_without_the_extra_the_command_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "datasette", None)  # import datasette -> ImportError
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["dashboard", "--database", "any.db"])
    assert result.exit_code == 2
    assert result.output == f"smm-tracker: {INSTALL}\n"
    # The pip of the Python running it: a bare `pip` is often the system's,
    # which refuses, or installs Datasette where this command never sees it.
    python = shlex.quote(sys.executable)
    assert (
        f"the dashboard needs Datasette: {python} -m pip install 'smm-tracker[dashboard]'"
    ) == INSTALL


def on_port_0(database, cwd) -> subprocess.Popen[str]:
    """`dashboard --database DATABASE --port 0` started in ``cwd``."""
    return subprocess.Popen(
        [sys.executable, "-m", "tracker", "dashboard", "--database", str(database), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )


def test_port_0_prints_the_port_it_listens_on(built_db, tmp_path):
    proc = on_port_0(built_db, tmp_path)
    try:
        line = proc.stdout.readline()
        prefix = f"dashboard of {built_db} at http://127.0.0.1:"
        assert line.startswith(prefix) and line.endswith("/-/dashboards (Ctrl-C stops)\n"), line
        port = int(line[len(prefix) :].split("/", 1)[0])
        assert port != 0
        # What it printed is where it answers, at once: the socket was bound before the line.
        versions = get(f"http://127.0.0.1:{port}", "/-/versions.json")
        assert "datasette" in versions
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0  # a stop asked for (see below)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_ends_the_dashboard_as_one_asked_for(built_db, tmp_path, stop):
    # README: dashboard, as demo and simulate, runs until stopped and exits 0
    # then. uvicorn raised the signal again once it shut down: Ctrl-C ended
    # "smm-tracker: interrupted", exit 130, a SIGTERM killed it (143), a
    # failure to the script or service manager that stopped it.
    proc = on_port_0(built_db, tmp_path)
    try:
        line = proc.stdout.readline()
        port = int(line.split("http://127.0.0.1:", 1)[1].split("/", 1)[0])
        assert "datasette" in get(f"http://127.0.0.1:{port}", "/-/versions.json")
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == 0, err
    assert "interrupted" not in err and "Traceback" not in err, err


def test_the_url_line_alone_at_start_and_stop_warnings_kept(built_db, tmp_path):
    # uvicorn's "INFO: Started server process", "Waiting for application
    # startup"... on stderr at each start and stop, and a line on stdout for
    # every request, beside the URL line. Its warnings (and errors) are kept.
    proc = on_port_0(built_db, tmp_path)
    try:
        line = proc.stdout.readline()
        port = int(line.split("http://127.0.0.1:", 1)[1].split("/", 1)[0])
        assert "datasette" in get(f"http://127.0.0.1:{port}", "/-/versions.json")
        with socket.create_connection(("127.0.0.1", port), timeout=30) as garbled:
            garbled.sendall(b"NOT HTTP\r\n\r\n")
            assert garbled.recv(1000).startswith(b"HTTP/1.1 400 ")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == 0, err
    assert line.startswith("dashboard of ") and out == ""
    assert err.startswith("WARNING:  Invalid HTTP request received.\n"), err
    assert "INFO:" not in err, err


@pytest.mark.parametrize(
    "path",
    ["/", f"/{DB}", f"/{DB}/orders", f"/{DB}/orders/-/insert", "/-/dashboards/overview"],
)
def test_a_post_is_refused_as_read_only_not_a_server_error(served, path):
    # A form or a script POSTing to any page: the dashboard writes nothing and
    # says so (405), where Datasette 0.65 answered 500 "Internal Server Error".
    base, w, _ = served
    request = urllib.request.Request(
        base + path,
        data=json.dumps({"row": {"panel": "x", "order_id": 1}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 405
    assert "read-only" in caught.value.read().decode()
    assert direct(w, "SELECT count(*) AS n FROM orders") == [{"n": 16}]


@pytest.mark.parametrize(
    "path",
    [f"/{DB}/order_history", f"/{DB}/spend_by_service", f"/{DB}/cancels", f"/{DB}/prune_runs"],
)
def test_a_description_naming_a_command_shows_it_as_code_not_backticks(served, path):
    # polish204: "An order `smm-tracker prune` deleted has no rows": the
    # description's backticks were shown as they were typed.
    base, _, _ = served
    page = get(base, path)
    assert isinstance(page, str)
    found = re.search(r'<div class="metadata-description">(.*?)</div>', page, re.S)
    assert found, page
    assert "`" not in found.group(1) and "<code>" in found.group(1), found.group(1)


def test_no_page_shows_a_backtick_as_typed(served):
    # Datasette 0.65 writes a column's description as plain text (no html
    # form, unlike a table's or a query's description_html), and so does
    # datasette-dashboards a dashboard's: a command named there between
    # backticks read "alerts `--resend ID`" on the page. Every page a person
    # reads (the words, not the markup, scripts or stylesheet) has none, nor
    # does a chart's title or drawing.
    base, _, _ = served
    info = get(base, f"/{DB}.json")
    assert isinstance(info, dict)
    names = [t["name"] for t in info["tables"] + info["views"] if not t.get("hidden")]
    names += [q["name"] for q in info["queries"]]
    boards = build_metadata(DB, {})["plugins"]["datasette-dashboards"]
    paths = ["/", f"/{DB}", "/-/dashboards"] + [f"/-/dashboards/{slug}" for slug in boards]
    shown = {}
    for path in paths + [f"/{DB}/{name}" for name in names]:
        page = get(base, path)
        assert isinstance(page, str)
        page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
        shown[path] = html.unescape(re.sub(r"<[^>]*>", "", page))
    assert len(shown) > 30
    assert [path for path, words in shown.items() if "`" in words] == []
    for board in boards.values():
        for name, chart in board["charts"].items():
            assert "`" not in chart.get("title", "") + json.dumps(chart.get("display")), name
