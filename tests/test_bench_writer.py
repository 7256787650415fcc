"""The writer's own bench (bench/writer.py) measures what it says: an
all-change poll's answers stored through Store.apply_answers, every order
moved once, its CPU split into SQLite's statements and the rest."""

import sqlite3
from pathlib import Path

from bench.writer import measure


def test_every_order_moves_once_and_the_split_adds_up(tmp_path: Path) -> None:
    figures = measure(250, 1, tmp_path)

    conn = sqlite3.connect(tmp_path / "run.db")
    statuses = conn.execute("SELECT status, count(*) FROM orders GROUP BY status").fetchall()
    moves = conn.execute(
        "SELECT from_status, to_status, count(*) FROM transitions GROUP BY 1, 2 ORDER BY 1"
    ).fetchall()
    conn.close()
    assert statuses == [("In progress", 250)]
    assert moves == [(None, "Pending", 250), ("Pending", "In progress", 250)]
    assert figures["orders"] == 250
    parts = [v for k, v in figures.items() if k.startswith("sql ")]
    assert {"sql SELECT", "sql UPDATE", "sql INSERT", "sql COMMIT"} <= set(figures)
    assert abs(sum(parts) - figures["sql"]) < 1e-6
    assert {"writer", "bare"} <= set(figures)
