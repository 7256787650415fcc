"""The dashboard's cards over small databases made for each case: the SQL of
each card, run as datasette-dashboards runs it (the panel filter unset, or
set), on a plain sqlite3 connection given the plugin's SQL functions
(tests/test_dashboard.py serves them)."""

from __future__ import annotations

import html
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from tracker.cli.dashboard import build_metadata
from tracker.cli.datasette_money import add_functions
from tracker.clock import utcnow
from tracker.panel.statuses import REFILL_STATUSES
from tracker.rules.refill_states import LOCAL_STATUSES
from tracker.store.orders import Store

BOARDS = build_metadata("t", {})["plugins"]["datasette-dashboards"]


def card(
    path: Path, board: str, chart: str, panel: str | None = None, boards: dict = BOARDS
) -> list[dict]:
    """Return the rows of a chart's query, with the panel filter unset (its
    ``[[ ... ]]`` blocks dropped) or set to ``panel``; ``boards`` built with
    thresholds for the balance chart's."""
    sql = boards[board]["charts"][chart]["query"]
    if panel is None:
        sql = re.sub(r"\[\[.*?\]\]", "", sql)
    else:
        sql = sql.replace("[[", "").replace("]]", "")
    conn = connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, {"panel": panel} if panel else {})]
    finally:
        conn.close()


def panel_of(row: dict) -> str:
    """The panel a scorecard row names: its Panel cell's text (the name sits
    in an element whose title holds it whole, cut with "…" on a wide screen)."""
    return html.unescape(re.sub("<[^>]+>", "", row["Panel"]))


def connect(path: Path) -> sqlite3.Connection:
    """The database opened read-only, as the dashboard's Datasette opens it:
    with the SQL functions its plugin adds (money, exact_total)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    add_functions(conn)
    return conn


def orders_db(path: Path, orders: list[tuple[str, int, float | None, str | None]]) -> Path:
    """A database holding ``(panel, order_id, charge, currency)`` orders, first
    seen an hour ago and Completed now; in the first hour of a UTC day, both an
    hour earlier than midnight instead (one day each, as the views by day
    expect whenever the tests run)."""
    store = Store(path)
    now = utcnow()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if now - timedelta(hours=1) < midnight:
        now = midnight - timedelta(minutes=1)
    for panel, order_id, charge, currency in orders:
        store.track(panel, [order_id], now - timedelta(hours=1))
        with store.write() as db:
            db.execute(
                "UPDATE orders SET status = 'Completed', completed_at = ?, charge = ?, "
                "currency = ? WHERE panel = ? AND order_id = ?",
                [now.isoformat(), charge, currency, panel, order_id],
            )
    store.close()
    return path


def test_spend_is_one_figure_per_currency_never_a_sum_of_two(tmp_path):
    db = orders_db(
        tmp_path / "t.db",
        [("usd", 1, 10.0, "USD"), ("usd", 2, 2.3, "USD"), ("eur", 3, 4.0, "EUR")],
    )
    # Highest first, one line each (the metric card renders the text as HTML).
    assert card(db, "overview", "spend-30d") == [{"spend": "12.30\xa0USD<br>4.00\xa0EUR"}]
    assert card(db, "overview", "spend-30d", panel="eur") == [{"spend": "4.00\xa0EUR"}]


def test_a_currency_the_panel_sent_is_shown_as_text_not_markup(tmp_path):
    db = orders_db(tmp_path / "t.db", [("p", 1, 1.0, "<b>X</b>")])
    assert card(db, "overview", "spend-30d") == [{"spend": "1.00\xa0&lt;b&gt;X&lt;/b&gt;"}]


NO_ORDERS = "no orders yet"
NONE_IN_WINDOW = "no orders first seen in the last 30 days"


@pytest.fixture
def empty_db(tmp_path):
    """A database as the first command leaves it: every table, no row."""
    Store(tmp_path / "empty.db").close()
    return tmp_path / "empty.db"


@pytest.mark.parametrize("panel", [None, "main"])
def test_every_card_of_an_empty_database_has_a_row(empty_db, panel):
    # The metric and table cards read the first row: without one a card stayed
    # blank, and a chart without data drew axes with their titles cut off.
    for slug, board in BOARDS.items():
        for name in board["charts"]:
            assert card(empty_db, slug, name, panel), (slug, name)


def test_an_empty_database_says_no_orders_yet(empty_db):
    assert card(empty_db, "overview", "spend-30d") == [{"spend": NO_ORDERS}]
    [row] = card(empty_db, "overview", "status")
    assert (row["panel"], row["orders"], row["note"]) == (None, None, NO_ORDERS)
    assert [r["note"] for r in card(empty_db, "overview", "daily")] == [NO_ORDERS]
    assert [r["note"] for r in card(empty_db, "overview", "balance")] == ["no balance checks yet"]
    assert [r["note"] for r in card(empty_db, "overview", "refills")] == ["no refill requests yet"]
    [row] = card(empty_db, "services", "scorecard")
    assert row["Service"] == NONE_IN_WINDOW
    assert [r["note"] for r in card(empty_db, "services", "outcomes")] == [NONE_IN_WINDOW]
    assert [r["note"] for r in card(empty_db, "services", "completion")] == [
        "no orders Completed in the last 30 days"
    ]


def test_a_database_with_orders_and_no_refill_says_so(tmp_path):
    db = orders_db(tmp_path / "t.db", [("p", 1, 1.0, "USD")])
    assert [r["note"] for r in card(db, "overview", "refills")] == ["no refill requests yet"]
    assert [r["status"] for r in card(db, "overview", "status")] == ["Completed"]
    assert all(r["note"] is None for r in card(db, "overview", "daily"))
    # A panel chosen that holds nothing (balances only) reads as empty too.
    assert card(db, "overview", "spend-30d", panel="other") == [{"spend": NO_ORDERS}]


@pytest.mark.parametrize("panel", [None, "p"])
def test_the_daily_chart_has_each_of_the_30_days_0_when_nothing_happened(tmp_path, panel):
    # Days with nothing were left out: on the chart's ordinal axis the days
    # either side of a quiet week stood together, as if one after the other.
    db = orders_db(tmp_path / "t.db", [("p", 1, 1.0, "USD")])
    rows = card(db, "overview", "daily", panel)
    today = utcnow().date()
    days = [(today - timedelta(days=n)).isoformat() for n in range(29, -1, -1)]
    assert [r["day"] for r in rows] == [d for d in days for _ in range(3)]
    for d in days:
        what = sorted(r["what"] for r in rows if r["day"] == d)
        assert what == ["completed", "first seen", "refills asked"], d
    assert sum(r["n"] for r in rows) == 2  # first seen and Completed: the one order
    assert all(r["note"] is None for r in rows)


@pytest.mark.parametrize("chart", ["scorecard", "outcomes", "completion"])
def test_each_services_chart_computes_the_scorecard_once(empty_db, chart):
    # The outcomes chart read service_scorecard once per outcome (six times:
    # 2.2 s at 80k orders), the completion chart three times; the scorecard
    # table read order_overview twice, the view's pass and one more for its
    # exact sums (+0.3-0.5 s at 80k orders).
    conn = connect(empty_db)
    try:
        query = BOARDS["services"]["charts"][chart]["query"]
        plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + query)]
    finally:
        conn.close()
    assert plan.count("MATERIALIZE recent") == 1, plan  # the view's first step
    assert len([p for p in plan if re.match(r"(SCAN|SEARCH) o\b", p)]) == 1, plan  # orders


def test_the_scorecard_table_says_what_the_view_says(tmp_path):
    # The table computes the view's figures itself (order_overview read once,
    # the exact sums in the same pass): service for service, the same figures,
    # ranked as `report` ranks them (tests/test_dashboard_money.py): several
    # currencies, so a currency at a time, A to Z, none said last.
    db = orders_db(
        tmp_path / "t.db",
        [("a", 1, 2.5, "USD"), ("a", 2, 0.477, "usd"), ("a", 3, 4.0, "BTC"), ("a", 4, None, None)]
        + [("b", 5, 1.0, "EUR"), ("b", 6, 0.0, "EUR"), ("c", 7, 9.0, None)],
    )
    conn = sqlite3.connect(db)
    conn.execute("UPDATE orders SET service = order_id % 2 WHERE panel = 'a'")
    conn.execute("UPDATE orders SET status = 'Partial' WHERE order_id = 2")
    conn.execute("UPDATE orders SET status = NULL, polling = 1 WHERE order_id = 6")
    conn.commit()
    table = card(db, "services", "scorecard")
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM service_scorecard")]
    conn.close()
    shares = ("completed", "partial", "canceled", "refunded")
    assert sorted(
        (panel_of(r), r["Orders"], r["Open"], *(r[k.title()] for k in shares)) for r in table
    ) == sorted(
        (r["panel"], r["orders"], r["open"], *(f"{round(r[f'share_{k}'] * 100)}%" for k in shares))
        for r in rows
    )
    assert [r["Spend"] for r in table] == [
        "4.00\xa0BTC<br>2.50\xa0USD",  # two currencies: ranked by the largest
        "1.00\xa0EUR",  # the open order charged 0 counts, adds nothing
        "0.477\xa0usd",
        "9.00",  # no currency said: last
    ]


def scorecard_row(tmp_path: Path, service: int, name: str, currency: str) -> dict:
    """The scorecard table's one row for an order of ``service`` named ``name``."""
    db = orders_db(tmp_path / "t.db", [("p", 1, 1.0, currency)])
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO services (panel, service, name, updated_at) VALUES ('p', ?, ?, '')",
        [service, name],
    )
    conn.execute("UPDATE orders SET service = ?", [service])
    conn.commit()
    conn.close()
    [row] = card(db, "services", "scorecard")
    return row


def test_the_scorecard_table_shows_a_panels_service_name_as_text(tmp_path):
    # The table card renders each cell as HTML: a service name is the panel's
    # text, and "<b>" in it was bold (or a script ran).
    row = scorecard_row(tmp_path, 7, "<img src=x onerror=alert(1)> Likes & Views", "US<D>")
    assert row["Service"] == "<bdi>&lt;img src=x onerror=alert(1)&gt; Likes &amp; Views</bdi> (#7)"
    assert row["Spend"] == "1.00\xa0US&lt;D&gt;"


def test_the_scorecard_shows_a_services_spend_per_currency_never_a_sum(tmp_path):
    # The panel changed currency: the table read "16.30 USD" for 12.30 USD and
    # 4.00 EUR. A line per currency now, and the charts rank the service by
    # its largest figure, as the view orders it (m019).
    db = orders_db(
        tmp_path / "t.db",
        [("p", 1, 10.0, "USD"), ("p", 2, 2.3, "USD"), ("p", 3, 4.0, "<EUR>")],
    )
    [row] = card(db, "services", "scorecard")
    assert row["Spend"] == "12.30\xa0USD<br>4.00\xa0&lt;EUR&gt;"
    for chart in ("outcomes", "completion"):
        assert {r["spend"] for r in card(db, "services", chart)} == {12.3}, chart


def test_the_scorecard_keeps_each_figure_on_one_line_with_its_unit(tmp_path):
    # The table's cells wrap at their spaces: at 1280 px "44.76 USD" read
    # "44.76" over "USD", "3.0 h" as "3.0" over "h", and "25 / 25 / 2" over two
    # lines. A figure and its unit are joined by a no-break space, the refills
    # written as `report` writes them.
    db = orders_db(tmp_path / "t.db", [("p", 1, 44.76, "USD"), ("p", 2, 3.5, "USD")])
    [row] = card(db, "services", "scorecard")
    assert (row["Median"], row["P90"]) == ("1.0\xa0h", "1.0\xa0h")
    assert row["Spend"] == "48.26\xa0USD"
    assert row["Refills"] == "0/0/0"
    for column in ("Median", "P90", "Spend", "Refills"):
        assert " " not in row[column], column
    times = {r["time"] for r in card(db, "services", "completion")}
    assert times == {"1.0\xa0h"}  # each bar labelled as the table writes it


def test_a_long_spend_wraps_in_its_card_rather_than_losing_leading_digits():
    # datasette-dashboards centres a metric card's text on one line and hides
    # what overflows at both ends: in a 1000-pixel-wide page 28463.95 USD read
    # "3463.95 USD". The card's text is HTML: the figures sit in an element that
    # lets them wrap (a currency without spaces breaks anywhere).
    display = BOARDS["overview"]["charts"]["spend-30d"]["display"]
    prefix, suffix = display.get("prefix", ""), display.get("suffix", "")
    assert re.fullmatch(r'<span style="[^"]*">', prefix), prefix
    style = dict(
        (part.split(":")[0].strip(), part.split(":")[1].strip())
        for part in prefix[len('<span style="') : -2].split(";")
    )
    assert style["white-space"] == "normal"
    assert style["overflow-wrap"] == "anywhere"
    assert suffix == "</span>"


def test_a_direction_mark_in_a_service_name_stays_inside_its_name(tmp_path):
    # U+202E in a panel's service name reordered the rest of the cell: the
    # tracker's own "(#12)" read "(21#)". The name is isolated in <bdi>.
    row = scorecard_row(tmp_path, 12, "Likes \u202eRTL", "USD")
    assert row["Service"] == "<bdi>Likes \u202eRTL</bdi> (#12)"


def test_stopped_orders_are_counted_as_lost_or_untracked_not_by_their_last_status(tmp_path):
    # A lost order (never answered) read "(no answer yet)", an untracked
    # Pending one "Pending": 10 Pending on the chart, 8 open everywhere else.
    store = Store(tmp_path / "t.db")
    now = utcnow()
    store.track("p", [1, 2, 3, 4], now)
    with store.write() as db:
        db.execute("UPDATE orders SET status = 'Pending' WHERE order_id IN (2, 3)")
        db.execute("UPDATE orders SET stopped_by = 'panel', polling = 0 WHERE order_id = 1")
        db.execute("UPDATE orders SET stopped_by = 'user', polling = 0 WHERE order_id = 2")
    store.close()
    counted = {r["status"]: r["orders"] for r in card(tmp_path / "t.db", "overview", "status")}
    assert counted == {"lost": 1, "untracked": 1, "Pending": 1, "(no answer yet)": 1}


def test_the_30_day_cards_count_the_last_30_x_24_hours_as_the_scorecard_does(tmp_path):
    # They counted from midnight UTC 29 days ago: an order of 29.9 days ago
    # was in `report` and the scorecard, not in the Spend and Completed cards.
    store = Store(tmp_path / "t.db")
    now = utcnow()
    for order_id, age in ((1, timedelta(days=29.9)), (2, timedelta(days=30.1))):
        store.track("p", [order_id], now - age)
        with store.write() as db:
            db.execute(
                "UPDATE orders SET status = 'Completed', completed_at = ?, charge = 2.5, "
                "currency = 'USD' WHERE order_id = ?",
                [(now - age + timedelta(minutes=1)).isoformat(timespec="seconds"), order_id],
            )
    store.close()
    db = tmp_path / "t.db"
    assert card(db, "overview", "spend-30d") == [{"spend": "2.50\xa0USD"}]
    assert card(db, "overview", "completed-30d") == [{"n": 1, "shown": "1"}]
    [row] = card(db, "services", "scorecard")
    assert (row["Orders"], row["Spend"]) == (1, "2.50\xa0USD")


def by_time(row: tuple) -> str:
    return str(row[1])


def test_the_balance_chart_fits_datasette_rows_and_ends_at_the_last_balance(tmp_path):
    # Datasette returns at most 1000 rows of a query (max_returned_rows). At the
    # default balance_every of 15 minutes, 7 days of 3 panels are 2016 balances:
    # the chart drew the oldest 1000 and stopped 3.5 days ago, the balance of
    # today (a top-up) left out. One point per panel and hour now, each hour's
    # last balance, so the last point is the latest balance. One panel's 672
    # fit: each is a point.
    store = Store(tmp_path / "t.db")
    now = utcnow().replace(microsecond=0)
    rows = []
    for panel in ("a", "b", "c"):
        for k in range(7 * 96):
            at = now - timedelta(minutes=15 * k + 1)
            rows.append((panel, at.isoformat(), 500.0 - k if k else 9000.0, "USD"))
    store.close()
    conn = sqlite3.connect(tmp_path / "t.db")
    with conn:
        conn.executemany("INSERT INTO balances VALUES (?, ?, ?, ?)", sorted(rows, key=by_time))
    conn.close()
    for panel in (None, "b"):
        points = card(tmp_path / "t.db", "overview", "balance", panel)
        assert len(points) <= 1000, (panel, len(points))
        for name in ("a", "b", "c") if panel is None else ("b",):
            mine = [p for p in points if p["panel"] == name]
            drawn = (160, 170) if panel is None else (7 * 96, 7 * 96)
            assert drawn[0] <= len(mine) <= drawn[1], (name, len(mine))
            assert mine[-1]["balance"] == 9000.0  # the latest, in the chart's last point
            assert mine[0]["at"] < (now - timedelta(days=6, hours=22)).isoformat()


def test_the_balance_chart_of_many_panels_still_fits_datasette_rows(tmp_path):
    store = Store(tmp_path / "t.db")
    now = utcnow().replace(microsecond=0)
    rows = [
        (f"p{n:02d}", (now - timedelta(minutes=15 * k + 1)).isoformat(), 100.0 + k, "USD")
        for n in range(12)
        for k in range(7 * 96)
    ]
    store.close()
    conn = sqlite3.connect(tmp_path / "t.db")
    with conn:
        conn.executemany("INSERT INTO balances VALUES (?, ?, ?, ?)", sorted(rows, key=by_time))
    conn.close()
    points = card(tmp_path / "t.db", "overview", "balance")
    assert len(points) <= 1000
    assert {p["panel"] for p in points} == {f"p{n:02d}" for n in range(12)}
    for n in range(12):
        mine = [p for p in points if p["panel"] == f"p{n:02d}"]
        assert mine[-1]["balance"] == 100.0  # the latest
        assert mine[0]["at"] < (now - timedelta(days=6, hours=20)).isoformat()


def _count_axes(spec: object) -> list[dict]:
    """Every encoding of a chart spec that counts (orders, refill requests,
    count): quantitative fields n, orders and refills."""
    found = []
    if isinstance(spec, dict):
        if spec.get("type") == "quantitative" and spec.get("field") in {"n", "orders", "refills"}:
            found.append(spec)
        for value in spec.values():
            found += _count_axes(value)
    elif isinstance(spec, list):
        for value in spec:
            found += _count_axes(value)
    return found


def test_a_count_axis_ticks_whole_numbers_their_thousands_grouped():
    # Two Processing orders read 0.0, 0.5, 1.0, 1.5 along "orders": half an
    # order is no count. Every counting axis ticks whole numbers, their
    # thousands grouped: Orders by status read "80000" beside the balance
    # chart's "40,000".
    charts = [chart for board in BOARDS.values() for chart in board["charts"].values()]
    axes = [axis for chart in charts for axis in _count_axes(chart)]
    assert len(axes) >= 3
    for axis in axes:
        assert axis.get("axis", {}).get("format") == ",d", axis
        assert axis["axis"].get("tickMinStep") == 1, axis


def test_a_service_label_is_not_cut_at_vegas_default_width():
    # "demo · Instagram Likes | No refill (#2)" read "demo · Instagram Likes |
    # No refill …" at vega's 180 px: the ID the scorecard names it by was cut.
    # The label is now drawn on two lines, each up to 45% of the card (300 px
    # at most): a fixed 300 px left a phone's 390-px card no room for the bars.
    charts = BOARDS["services"]["charts"]
    for name in ("outcomes", "completion"):
        y = charts[name]["display"]["encoding"]["y"]
        assert y["field"] == "service"
        limit = y["axis"]["labelLimit"]["expr"]
        assert "containerSize()[0] * 0.45" in limit and limit.endswith(", 300)"), name
        # The first " · " splits "panel · #ID name" (a panel name holds none);
        # a label without one (the empty chart's) is left whole.
        assert y["axis"]["labelExpr"] == (
            "indexof(datum.label, ' · ') < 0 ? datum.label : "
            "[slice(datum.label, 0, indexof(datum.label, ' · ')), "
            "slice(datum.label, indexof(datum.label, ' · ') + 3)]"
        ), name
    assert charts["outcomes"]["display"]["height"] == {"step": 30}  # two lines a bar


def test_a_services_label_names_its_id_first_so_a_cut_name_keeps_it(tmp_path):
    # Beside a 53-character panel name the labels read
    # "eu-reseller-wholesale-followers-and-likes.example.com · Instagra…" for
    # both of its Instagram services: nothing told them apart.
    panel = "eu-reseller-wholesale-followers-and-likes.example.com"
    db = orders_db(tmp_path / "t.db", [(panel, 1, 1.0, "EUR"), (panel, 2, 2.0, "EUR")])
    conn = sqlite3.connect(db)
    with conn:
        for order_id, name in ((1, "Instagram Followers | Refill 30 days"), (2, "Instagram Likes")):
            conn.execute(
                "INSERT INTO services (panel, service, name, updated_at) VALUES (?, ?, ?, '')",
                [panel, order_id, name],
            )
            conn.execute("UPDATE orders SET service = ? WHERE order_id = ?", [order_id, order_id])
    conn.close()
    for chart in ("outcomes", "completion"):
        labels = {r["service"] for r in card(db, "services", chart)}
        assert labels == {
            f"{panel} · #1 Instagram Followers | Refill 30 days",
            f"{panel} · #2 Instagram Likes",
        }, chart


def test_the_overview_legends_sit_below_and_keep_the_end_of_a_long_name():
    # At the right of the balance chart, the legend left a phone's card a plot
    # 40 px wide (the daily chart's 90 px for 30 days of bars); cut at its
    # end, a 53-character panel's "(EUR)" was lost.
    charts = BOARDS["overview"]["charts"]
    colors = [
        *(
            layer["encoding"]["color"]
            for layer in charts["balance"]["display"]["spec"]["layer"][:2]
        ),
        charts["status"]["display"]["layer"][0]["encoding"]["color"],
    ]
    daily = charts["daily"]["display"]["layer"][0]["encoding"]["color"]
    assert daily["legend"]["orient"] == "bottom"  # its 30 days of bars were 90 px wide
    for color in colors:
        legend = color["legend"]
        assert legend["orient"] == "bottom", color
        assert legend["labelExpr"] == (
            "length(datum.label) > 40 ? slice(datum.label, 0, 18) + '…' "
            "+ slice(datum.label, -21) : datum.label"
        )
        assert legend["labelLimit"] >= 18 * 7 + 21 * 7, color


def test_the_legends_and_bar_labels_stay_inside_their_cards():
    charts = BOARDS["services"]["charts"]
    # At the right, "median" and "90th percentile" covered the top bars'
    # labels; below, with nothing at the right, the longest bar's "9.6 h"
    # was cut at the card's edge without room kept for it.
    completion = charts["completion"]["display"]
    assert completion["layer"][0]["encoding"]["color"]["legend"]["orient"] == "bottom"
    assert completion["padding"]["right"] >= 40
    # Five entries in one row under a plot moved right by long labels ran
    # past the card's edge ("open" cut off).
    legend = charts["outcomes"]["display"]["layer"][0]["encoding"]["color"]["legend"]
    assert legend["orient"] == "bottom" and legend["columns"] <= 3
    # On a phone (390 px) a second column ("Partial", "Refunded") and "90th
    # percentile" beside "median" ran past the card's edge: one entry a row.
    assert legend["columns"] == 1
    assert completion["layer"][0]["encoding"]["color"]["legend"]["columns"] == 1


def _outcome_colours() -> dict:
    """The outcomes chart's colour scale (its bars' layer)."""
    layers = BOARDS["services"]["charts"]["outcomes"]["display"]["layer"]
    [bars] = [layer for layer in layers if "color" in layer["encoding"]]
    return dict(bars["encoding"]["color"]["scale"])


def test_each_refill_status_has_its_own_colour_whatever_the_panel():
    # Coloured in the order of the rows, Rejected was red over every panel and
    # orange with one panel chosen, Completed blue: a colour meant nothing.
    color = BOARDS["overview"]["charts"]["refills"]["display"]["layer"][0]["encoding"]["color"]
    scale = color["scale"]
    assert set(scale["domain"]) == {*REFILL_STATUSES, *LOCAL_STATUSES}
    assert len(set(scale["range"])) == len(scale["domain"])
    outcomes = _outcome_colours()
    green = outcomes["range"][outcomes["domain"].index("Completed")]
    assert scale["range"][scale["domain"].index("Completed")] == green


def test_a_canned_querys_description_reads_as_words_not_sql_parameters():
    # Its page read "have not changed for more than :hours hours" and "first
    # seen in the last :days days": the SQL's spelling of the box below.
    queries = build_metadata("t", {})["databases"]["t"]["queries"]
    for name, query in queries.items():
        said = query.get("description") or query["description_html"]  # with code: the html
        assert not re.search(r":[a-z_]+\b", said), name


def test_the_outcomes_axis_ticks_every_20_percent():
    # At every 10% the axis of a 1280-px page read "0% 10% ... 90%100%", the
    # last two labels run together.
    x = BOARDS["services"]["charts"]["outcomes"]["display"]["encoding"]["x"]
    # (No tick at all with no bar: tests/test_dashboard_render.py.)
    ticks = "drawn ? [0, 0.2, 0.4, 0.6, 0.8, 1] : []"
    assert x["axis"] == {"format": "%", "values": {"expr": ticks}}
    # With no order to draw, those ticks sat on one spot ("0%" over "100%").
    assert x["scale"] == {"domain": [0, 1]}


def test_a_time_under_a_minute_is_in_seconds(tmp_path):
    # The demo's orders complete in seconds: 8 s and 12 s both read "0.2 min"
    # in the table and on the bars, which were of different lengths.
    db = orders_db(tmp_path / "t.db", [("p", 1, 1.0, "USD"), ("p", 2, 1.0, "USD")])
    conn = sqlite3.connect(db)
    with conn:
        for order_id, seconds in ((1, 8), (2, 12)):
            conn.execute(
                "UPDATE orders SET completed_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', "
                "created_at, ?) WHERE order_id = ?",
                [f"+{seconds} seconds", order_id],
            )
    conn.close()
    [row] = card(db, "services", "scorecard")
    assert (row["Median"], row["P90"]) == ("10\xa0s", "12\xa0s")
    times = {r["measure"]: r["time"] for r in card(db, "services", "completion")}
    assert times == {"median": "10\xa0s", "90th percentile": "12\xa0s"}


def test_spend_by_service_reads_to_the_cent_each_currency_apart(tmp_path):
    # The canned query read 21.0 for 21.00, and ranked 30 EUR between 40 and
    # 21 USD, one column of amounts in two currencies.
    db = orders_db(
        tmp_path / "t.db",
        [("usd-a", 1, 21.0, "USD"), ("eur", 2, 30.0, "EUR"), ("usd-b", 3, 40.0, "USD")],
    )
    sql = build_metadata("t", {})["databases"]["t"]["queries"]["spend_by_service"]["sql"]
    conn = connect(db)
    try:
        rows = conn.execute(sql, {"days": "30"}).fetchall()
        assert [(r[0], r[4], r[5]) for r in rows] == [
            ("eur", "30.00", "EUR"),
            ("usd-b", "40.00", "USD"),
            ("usd-a", "21.00", "USD"),
        ]
    finally:
        conn.close()


def test_completed_is_the_same_green_on_the_daily_chart():
    # The daily chart coloured "completed" in Vega's first colour, blue,
    # where every other chart shows Completed green.
    layers = BOARDS["overview"]["charts"]["daily"]["display"]["layer"]
    scale = next(
        layer["encoding"]["color"]["scale"]
        for layer in layers
        if "color" in layer.get("encoding", {})
    )
    outcomes = _outcome_colours()
    green = outcomes["range"][outcomes["domain"].index("Completed")]
    assert scale["range"][scale["domain"].index("completed")] == green
    assert len(set(scale["range"])) == len(scale["domain"])


def test_each_outcome_bar_reaches_100_percent_an_order_stopped_while_running_is_other(tmp_path):
    # Of 3 orders, 2 Completed and 1 untracked while In progress (no longer
    # open, not ended): the bar stopped at 67%, a third of it unexplained.
    db = orders_db(
        tmp_path / "t.db", [("p", 1, 1.0, "USD"), ("p", 2, 1.0, "USD"), ("p", 3, 0.5, "USD")]
    )
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "UPDATE orders SET status = 'In progress', polling = 0, stopped_by = 'user' "
            "WHERE order_id = 3"
        )
    conn.close()
    shares = {r["outcome"]: r["share"] for r in card(db, "services", "outcomes") if r["share"]}
    assert shares == {"Completed": 0.6667, "other": 0.3333}
    colour = BOARDS["services"]["charts"]["outcomes"]["display"]["layer"][0]["encoding"]["color"]
    assert "other" in colour["scale"]["domain"]  # its own colour and legend entry


def test_a_cards_count_has_its_thousands_grouped_as_the_spend_beside_it(tmp_path):
    # "25970" stood beside "5,358,446.40 RUB": a count shows "25,970"; `n`
    # stays the number.
    store = Store(tmp_path / "t.db")
    now = utcnow()
    store.track("p", list(range(1, 1201)), now - timedelta(hours=1))
    store.track("p", list(range(2001, 3235)), now - timedelta(hours=1))
    with store.write() as db:
        db.execute(
            "UPDATE orders SET status = 'Completed', completed_at = ? WHERE order_id > 2000",
            [now.isoformat(timespec="seconds")],
        )
    store.close()
    db = tmp_path / "t.db"
    assert card(db, "overview", "open-orders") == [{"n": 1200, "shown": "1,200"}]
    assert card(db, "overview", "completed-30d") == [{"n": 1234, "shown": "1,234"}]
    assert card(db, "overview", "stuck-orders") == [{"n": 0, "shown": "0"}]
    for name in ("open-orders", "stuck-orders", "completed-30d"):
        assert BOARDS["overview"]["charts"][name]["display"] == {"field": "shown"}, name
