"""`orders` after a prune deleted every order it held says that prune (when,
by which command, how many orders its record says it deleted, before what)
and that it lists only what prune keeps; it said only "no orders", as if
none had been tracked, or a filter matched none."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.clock import iso, utcnow

OLD = iso(utcnow() - timedelta(days=400))


def _ended_long_ago(path: Path) -> None:
    """The orders tracked, as 400 days of the daemon's polls leave them: Completed."""
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE orders SET status = 'Completed', polling = 0, created_at = ?, "
            "updated_at = ?, completed_at = ?",
            (OLD, OLD, OLD),
        )
        db.execute("UPDATE transitions SET at = ?", (OLD,))
    db.close()


def test_orders_after_a_prune_deleted_every_order_says_that_prune(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": None})
    for order in ("101", "102"):
        assert cli("track", "--panel", "main", order).exit_code == 0
    _ended_long_ago(tmp_path / "t.db")
    pruned = cli("prune", "--older-than", "365d", "--yes")
    assert pruned.exit_code == 0, pruned.output
    with sqlite3.connect(tmp_path / "t.db") as db:  # what prune's own record holds
        at, cutoff = db.execute("SELECT at, cutoff FROM prune_runs").fetchone()
    db.close()

    result = cli("orders")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # stdout holds rows alone: `orders | wc -l` counts 0
    assert result.stderr == (
        f"no orders: `smm-tracker prune --older-than 365d` on {at[:10]} deleted 2 orders "
        f"that ended before {cutoff}; `orders` lists only what prune keeps: the open "
        "orders and those ended since\n"
    )
    # A filter that matches nothing still says what matched nothing.
    assert cli("orders", "--status", "Partial").stderr == "no orders with status Partial\n"
