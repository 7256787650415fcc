"""Listing many orders: streamed from SQLite page by page, printed as it comes."""

from __future__ import annotations

import json
import tracemalloc
import unicodedata
from decimal import Decimal

import pytest
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in

from tracker.cli.listing import json_array, table_chunks
from tracker.cli.render import table, to_json
from tracker.panel.models import OrderStatus
from tracker.rules.transitions import Cadence
from tracker.store.listing import iter_orders, panels
from tracker.store.orders import Store
from tracker.store.stopping import untrack


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "t.db")
    yield s
    s.close()


def test_orders_come_by_panel_then_newest_first_across_pages(store, clock):
    store.track("b", list(range(1, 11)), clock())
    store.track("a", [5, 7, 6], clock())
    expected = [("a", i) for i in (7, 6, 5)] + [("b", i) for i in range(10, 0, -1)]
    got = [(r["panel"], r["order_id"]) for r in iter_orders(store, chunk=3)]
    assert got == expected
    assert [(r["panel"], r["order_id"]) for r in iter_orders(store, limit=5, chunk=2)] == expected[
        :5
    ]
    assert [r["order_id"] for r in iter_orders(store, panel="b", limit=3)] == [10, 9, 8]
    assert panels(store) == ["a", "b"]


def test_one_panels_many_orders_never_hide_anothers_newest(store, clock):
    # "Newest first" across panels is by when each order was first seen: the
    # order tracked last on zeta comes before alpha's 150 older ones.
    store.track("alpha", list(range(1000, 1150)), clock())
    clock.advance(60)
    store.track("zeta", [5000001], clock())
    got = [(r["panel"], r["order_id"]) for r in iter_orders(store, limit=3, chunk=2)]
    assert got == [("zeta", 5000001), ("alpha", 1149), ("alpha", 1148)]
    assert len(list(iter_orders(store))) == 151


def test_orders_filtered_by_status_including_no_status_yet(store, clock):
    store.track("a", list(range(1, 8)), clock())
    reports = {i: OrderStatus(i, status="Completed" if i % 2 else "Pending") for i in range(1, 6)}
    store.apply_reports("a", list(range(1, 6)), reports, clock(), Cadence(300, 300))
    assert [r["order_id"] for r in iter_orders(store, status="Completed", chunk=2)] == [5, 3, 1]
    assert [r["order_id"] for r in iter_orders(store, status="-")] == [7, 6]
    assert [r["order_id"] for r in iter_orders(store, status="Partial")] == []


def test_the_status_listing_has_an_index_of_its_own(store):
    plan = store.rows(
        "EXPLAIN QUERY PLAN SELECT * FROM orders WHERE panel = 'a' AND status = 'Partial' "
        "AND order_id < 9 ORDER BY order_id DESC LIMIT 5"
    )
    assert "orders_status_newest" in " ".join(str(r["detail"]) for r in plan)


def test_the_untracked_listing_reads_an_index_of_its_own(store, clock):
    store.track("a", list(range(1, 2001)), clock())
    untrack(store, "a", [5, 1500], clock())
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    got = [r["order_id"] for r in iter_orders(store, status="untracked")]
    store.conn.set_trace_callback(None)
    assert got == [1500, 5]
    [read] = [s for s in statements if "stopped_by" in s]
    plan = " ".join(str(r["detail"]) for r in store.rows("EXPLAIN QUERY PLAN " + read))
    # Before: the panel's every order read, newest first, to find the two.
    assert "orders_untracked" in plan, plan


@pytest.mark.parametrize("count", [0, 1, 7])
def test_streamed_json_is_the_same_text_as_the_whole_list(count):
    rows = [
        {"order_id": i, "status": "Pending", "charge": 0.5, "error": None} for i in range(count)
    ]
    assert "".join(json_array(iter(rows), chunk=3)) == to_json(rows)


ODD_ROWS = [
    {"order_id": 1, "link": 'https://t.example/ä\u2028\u200b\x1b[31m"q"\n', "ok": True},
    {"charge": float("nan"), "remains": float("inf"), "rate": 1e-7, "big": 10**30},
    {"charge": Decimal("1.50"), "error": None},
    {"eta": {"at": "2026-12-01T00:00:00+00:00", "basis": ["a", 1]}, "n": 2},
    {},
    {"k": -0.0, "empty": "", 5: "non-text key"},
    {"ascii": "a DEL \x7f and ESC \x1b"},
]


def test_streamed_json_of_any_row_is_the_same_text_as_the_whole_list():
    # Plain rows take a faster encoder: the text must not change, odd values too.
    assert "".join(json_array(iter(ODD_ROWS), chunk=4)) == to_json(ODD_ROWS)
    assert json.loads("".join(json_array(iter(ODD_ROWS[:1]))))[0]["link"].endswith('"q"\n')


def test_a_chunked_table_has_one_header():
    rows = [{"a": i, "b": "x" * i} for i in range(5)]
    assert "".join(table_chunks(rows, ["a", "b"], ["A", "B"], chunk=10)) == table(
        rows, ["a", "b"], ["A", "B"]
    )
    lines = "\n".join(table_chunks(rows, ["a", "b"], ["A", "B"], chunk=2)).splitlines()
    assert lines[0].split() == ["A", "B"] and len(lines) == 6


# Unicode's Bidi_Control characters: the marks, embeddings, overrides and isolates.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_tables_and_json_show_every_bidi_control_escaped():
    rows = [{"status": f"ok{c}x"} for c in BIDI_CONTROLS]
    for text in (table(rows, ["status"]), to_json(rows)):
        assert not set(text) & set(BIDI_CONTROLS)
        assert all(f"\\u{ord(c):04x}" in text for c in BIDI_CONTROLS), text


@pytest.fixture
def cli(tmp_path, monkeypatch, clock):
    store = Store(tmp_path / "t.db")
    store.track("main", list(range(1001, 1151)), clock())  # 150 orders
    store.close()
    return cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})


def order_ids_in_table(output: str) -> list[int]:
    return [int(line.split()[1]) for line in output.splitlines()[1:] if line.startswith("main")]


def test_the_table_shows_the_newest_hundred_and_says_there_are_more(cli):
    result = cli("orders")
    assert result.exit_code == 0
    assert order_ids_in_table(result.stdout) == list(range(1150, 1050, -1))
    assert "--all" in result.stderr and "newest 100" in result.stderr


def test_all_and_limit_choose_how_many(cli):
    everything = cli("orders", "--all")
    assert order_ids_in_table(everything.stdout) == list(range(1150, 1000, -1))
    assert "the newest" not in everything.stderr  # none left out: no --limit/--all note
    assert order_ids_in_table(cli("orders", "--limit", "3").stdout) == [1150, 1149, 1148]
    both = cli("orders", "--limit", "3", "--all")
    assert both.exit_code == 2 and "do not go together" in both.output
    assert "Traceback" not in both.output


def test_json_lists_every_match_unless_limited(cli):
    rows = json.loads(cli("orders", "--json").stdout)
    assert [r["order_id"] for r in rows] == list(range(1150, 1000, -1))
    assert len(json.loads(cli("orders", "--json", "--limit", "2").stdout)) == 2
    assert json.loads(cli("orders", "--json", "--status", "Completed").stdout) == []


def on_screen(text: str) -> int:
    """How many terminal columns ``text`` takes: East Asian wide characters and
    most emoji two, combining marks none."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return len(text) + wide - sum(unicodedata.combining(c) > 0 for c in text)


def test_wide_and_combining_characters_keep_the_columns_aligned(cli):
    # "🔥 最快" takes 7 columns in 4 characters: the table padded by characters,
    # so every column after it stood 3 to the left of its header.
    for order_id, reason in ((1150, "🔥 最快"), (1149, "cafe\u0301 ok"), (1148, "plain")):
        assert cli("untrack", str(order_id), "--reason", reason).exit_code == 0
    lines = cli("orders", "--status", "untracked").stdout.splitlines()
    assert len(lines) == 4, lines
    header_at = lines[0].index("DELIVERED")
    for line in lines[1:]:
        status_end = line.index(")") + 1
        at = on_screen(line[:status_end]) + len(line[status_end:]) - len(line[status_end:].lstrip())
        assert at == header_at, line


@pytest.fixture
def refills_cli(tmp_path, monkeypatch, clock):
    from tracker.store.refills import begin_requests

    store = Store(tmp_path / "t.db")
    store.track("main", list(range(1001, 1151)), clock())
    begin_requests(store, "main", list(range(1001, 1151)), clock())  # 150 requests
    store.close()
    return cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})


def test_refills_table_shows_the_newest_hundred_and_says_there_are_more(refills_cli):
    # A daily refill round over thousands of guaranteed orders piles up rows:
    # the table stops at a screenful, as `orders` and `alerts` do.
    result = refills_cli("refills")
    assert result.exit_code == 0
    assert order_ids_in_table(result.stdout) == list(range(1150, 1050, -1))
    assert "--all" in result.stderr and "newest 100" in result.stderr


def test_refills_all_limit_and_json_choose_how_many(refills_cli):
    everything = refills_cli("refills", "--all")
    assert order_ids_in_table(everything.stdout) == list(range(1150, 1000, -1))
    assert "the newest" not in everything.stderr  # none left out: no --limit/--all note
    assert order_ids_in_table(refills_cli("refills", "--limit", "3").stdout) == [1150, 1149, 1148]
    assert len(json.loads(refills_cli("refills", "--json").stdout)) == 150
    assert len(json.loads(refills_cli("refills", "--json", "--limit", "2").stdout)) == 2
    both = refills_cli("refills", "--limit", "3", "--all")
    assert both.exit_code == 2 and "do not go together" in both.output
    assert "Traceback" not in both.output


def _four_thousand_requests(tmp_path, monkeypatch, clock):
    """A database of 4000 orders with a refill request each; their IDs and a CLI on it."""
    from tracker.store.refills import begin_requests

    store = Store(tmp_path / "t.db")
    ids = list(range(1, 4001))
    store.track("main", ids, clock())
    begin_requests(store, "main", ids, clock())
    store.close()
    return ids, cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})


def test_refills_json_is_streamed_not_built_whole(tmp_path, monkeypatch, clock):
    # A year of daily refill rounds is tens of thousands of requests: `refills
    # --json` built them all, and the whole text, in memory (37k requests: a
    # 200 MB process) where `orders --json` streams. Read 500 at a time now;
    # what the runner captures is in memory anyway (4000 requests: 1.3 MB of
    # text, a peak of 13.8 MB before, 3.8 MB now).
    ids, cli = _four_thousand_requests(tmp_path, monkeypatch, clock)
    cli("refills", "--json", "--limit", "1")  # the imports done outside the measure
    tracemalloc.start()
    try:
        result = cli("refills", "--json")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    rows = json.loads(result.stdout)
    assert [r["order_id"] for r in rows] == ids[::-1]
    assert rows[0]["permanent"] is False
    assert peak < 4 * len(result.stdout), (peak, len(result.stdout))


def test_refills_chunks_read_as_one_query_would(tmp_path, clock):
    from tracker.store.refill_reads import iter_refills, refills
    from tracker.store.refills import begin_requests

    store = Store(tmp_path / "t.db")
    for panel in ("a", "b"):
        store.track(panel, list(range(1, 31)), clock())
        begin_requests(store, panel, list(range(1, 31)), clock())
    every = store.rows("SELECT * FROM refills ORDER BY id DESC")
    assert list(iter_refills(store, chunk=7)) == every == refills(store)
    of_b = [r for r in every if r["panel"] == "b"]
    assert list(iter_refills(store, panel="b", chunk=7, limit=20)) == of_b[:20]
    assert list(iter_refills(store, panel="b", order_id=3, chunk=1)) == [
        r for r in of_b if r["order_id"] == 3
    ]
    assert refills(store, panel="a", limit=3) == [r for r in every if r["panel"] == "a"][:3]
    store.close()


def test_refills_all_table_is_streamed_not_built_whole(tmp_path, monkeypatch, clock):
    # `refills --all` held every request, and the whole table, in memory.
    ids, cli = _four_thousand_requests(tmp_path, monkeypatch, clock)
    cli("refills", "--limit", "1")  # the imports done outside the measure

    def peak(*args: str) -> tuple[int, str]:
        tracemalloc.start()
        try:
            result = cli("refills", *args)
            return tracemalloc.get_traced_memory()[1], result.stdout
        finally:
            tracemalloc.stop()

    one_chunk, _ = peak("--limit", "1000")  # a table is aligned 1000 rows at a time
    every, text = peak("--all")
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["PANEL", "ORDER", "REFILL"] and len(lines) == 4001
    assert [int(line.split()[1]) for line in lines[1:]] == ids[::-1]
    # Four times the rows, not four times the memory (the text the runner
    # captures aside: a buffer growing by doubling, up to twice the output).
    assert every - 2 * len(text) < 1.5 * one_chunk, (every, one_chunk, len(text))
    # The default table still stops at 100 and says so; --limit takes as many.
    capped = cli("refills")
    assert len(capped.stdout.splitlines()) == 101 and "--all for more" in capped.stderr
    assert len(cli("refills", "--limit", "150").stdout.splitlines()) == 151
