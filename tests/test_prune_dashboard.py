"""The dashboard the day after a prune: every canned query and every chart of
tracker/data/datasette.yml run over a pruned database, as Datasette runs them
(named parameters as text; a chart's panel filter unset, or set)."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

from test_dashboard_cards import connect
from test_prune import build, setup  # noqa: F401  (fixture)

from tracker.cli.dashboard import build_metadata
from tracker.clock import iso, utcnow

METADATA = build_metadata("tracker", {"sim": 10.0})
BOARDS = METADATA["plugins"]["datasette-dashboards"]
CANNED = METADATA["databases"]["tracker"]["queries"]
# The value a user would type for each named parameter (Datasette passes text):
# order 7 is an old order prune keeps; '' is every panel in order_history.
VALUES = {"order_id": "7", "panel": "", "hours": "24", "days": "30", "from_rank": "1"}
# What reads the whole history rather than a recent window: after a prune it
# shows what the file kept. Everything else looks at the last 30 days at most,
# which no prune reaches (30d is its least --older-than): unchanged by it.
WHOLE_HISTORY = {("overview", "status"), ("overview", "refills"), ("query", "rejected_refills")}
NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def _days_ago(days: float) -> str:
    return iso(utcnow() - timedelta(days=days))


def _add_recent(path: Path) -> None:
    """Next to test_prune's old history: an order inside the 30 days, one just
    outside them (it goes), and a rejected refill of each."""
    c = sqlite3.connect(path)
    for order, first, done in ((20, 20, 19), (21, 40, 35)):
        c.execute(
            "INSERT INTO orders (panel, order_id, service, quantity, status, remains, "
            "created_at, updated_at, completed_at, last_change_at, polling, source, charge, "
            "currency) VALUES ('sim', ?, 1, 100, 'Completed', 0, ?, ?, ?, ?, 0, 'add', 2.5, "
            "'USD')",
            (order, _days_ago(first), _days_ago(done), _days_ago(done), _days_ago(done)),
        )
        c.execute(
            "INSERT INTO transitions (panel, order_id, at, from_status, to_status) "
            "VALUES ('sim', ?, ?, 'Pending', 'Completed')",
            (order, _days_ago(done)),
        )
        c.execute(
            "INSERT INTO refills (panel, order_id, requested_at, status, updated_at) "
            "VALUES ('sim', ?, ?, 'Refused', ?)",
            (order, _days_ago(done + 0.5), _days_ago(done + 0.5)),
        )
    c.execute("INSERT INTO balances VALUES ('sim', ?, 40.0, 'USD')", (_days_ago(2),))
    c.commit()
    c.close()


def _run(path: Path, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    conn = connect(path)  # as Datasette opens it: the dashboard's SQL functions given
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _copy(path: Path, to: Path) -> None:
    """Copy a database whole (its write-ahead log included), as SQLite's backup does."""
    source, copy = sqlite3.connect(path), sqlite3.connect(to)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def _unfiltered(sql: str) -> str:
    """A chart's query with no panel chosen: its ``[[ ... ]]`` blocks dropped."""
    return re.sub(r"\[\[.*?\]\]", "", sql, flags=re.S)


def _every_query() -> list[tuple[tuple[str, str], str, dict[str, Any]]]:
    """Every query of the metadata, each way Datasette may run it: a canned
    query with the values above (and one panel named); a chart or filter with
    its ``[[ ... ]]`` blocks dropped (no panel chosen) or kept (panel sim)."""
    found = []
    for name, query in CANNED.items():
        for panel in ("", "sim"):
            found.append((("query", name), query["sql"], {**VALUES, "panel": panel}))
    for slug, board in BOARDS.items():
        items = [*board.get("filters", {}).items(), *board["charts"].items()]
        for name, item in items:
            if "query" not in item:
                continue
            sql = item["query"]
            found.append(((slug, name), _unfiltered(sql), {}))
            plain = sql.replace("[[", "").replace("]]", "")
            found.append(((slug, name), plain, {"panel": "sim"}))
    for where, sql, params in found:  # a new parameter needs a value above
        assert set(NAMED.findall(sql)) <= set(params), (where, NAMED.findall(sql))
    return found


def test_every_dashboard_query_runs_after_a_prune_and_its_window_is_untouched(setup):  # noqa: F811
    cli, db = setup
    _add_recent(db)
    queries = _every_query()
    assert {w for w, _, _ in queries} >= WHOLE_HISTORY  # none of them renamed away
    unpruned = db.with_name("unpruned.db")  # the file as it was, read beside the pruned one
    _copy(db, unpruned)

    result = cli("prune", "--older-than", "30d", "--yes")
    assert result.exit_code == 0, result.output
    kept = {row[0] for row in _run(db, "SELECT order_id FROM orders", {})}
    assert 20 in kept and 21 not in kept and 7 in kept

    for where, sql, params in queries:
        # Read just before and just after the pruned file: a figure counted
        # from now (unchanged_hours, to 0.1 h) may cross a rounding step
        # between two reads, never between both pairs.
        was = _run(unpruned, sql, params)
        now = _run(db, sql, params)
        if where[0] != "query":  # a card or chart needs a row, if only its note
            assert now, where
        if where not in WHOLE_HISTORY:
            assert now in (was, _run(unpruned, sql, params)), (where, params)
    # What reads the whole history counts what the file kept, nothing pruned.
    charts = BOARDS["overview"]["charts"]
    status = _run(db, _unfiltered(charts["status"]["query"]), {})
    assert sum(row[2] for row in status) == len(kept)
    refills = _run(db, _unfiltered(charts["refills"]["query"]), {})
    assert sum(row[1] for row in refills) == _run(db, "SELECT count(*) FROM refills", {})[0][0]
    rejected = _run(db, CANNED["rejected_refills"]["sql"], {})
    assert [row[1] for row in rejected] == [20]


def test_a_window_longer_than_the_prune_says_it_counts_what_prune_kept():
    # spend_by_service over 365 days after `prune --older-than 90d` sums only
    # the orders kept: its description says so, where the user picks the days.
    for name, query in CANNED.items():
        if ":days" in query["sql"]:
            assert "prune" in (query.get("description") or query["description_html"]), name
