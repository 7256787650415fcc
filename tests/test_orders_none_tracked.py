"""`orders` on a database that holds no order, none ever tracked, says how
to track one, as the commands that need a database do (`track or add an
order, or start the daemon, first`); it said only "no orders". With
--status or --stalled, it says what matched nothing, as before; after a
prune deleted every order, that prune (see test_orders_pruned.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.store.orders import Store

TWO_PANELS = (
    OFFLINE_CONFIG
    + """[[panels]]
name = "spare"
url = "http://127.0.0.1:9/api/v2"
key_env = "SMM_TEST_KEY"
"""
)
HOW = (
    "`smm-tracker track{flag} ID` tracks an order placed on the panel, "
    "`smm-tracker add{flag} --service ID --link URL --quantity N` places one and tracks it"
)


def _cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str):
    cli = cli_in(tmp_path, monkeypatch, config, env={"SMM_TEST_KEY": None})
    Store(tmp_path / "t.db").close()  # as the daemon's first start leaves it: no order
    return cli


def _note(cli, *args: str) -> str:
    result = cli("orders", *args)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # stdout holds rows alone: `orders | wc -l` counts 0
    return result.stderr


def test_no_order_ever_tracked_says_how_to_track_one(tmp_path, monkeypatch):
    cli = _cli(tmp_path, monkeypatch, OFFLINE_CONFIG)
    assert _note(cli) == "no orders tracked yet: " + HOW.format(flag="") + "\n"
    # Filters that match nothing still say what matched nothing.
    assert _note(cli, "--status", "Refunded") == "no orders with status Refunded\n"
    assert _note(cli, "--stalled") == "no stalled orders\n"
    with sqlite3.connect(tmp_path / "t.db") as db:  # as `prune` records what it deleted
        db.execute(
            "INSERT INTO prune_runs (at, panel, older_than, cutoff, deleted, ended_at) "
            "VALUES (?, NULL, '365d', '2026-12-04T00:00:00+00:00', '{\"orders\": 3}', ?)",
            ("2026-12-04T00:10:00+00:00", "2026-12-04T00:10:01+00:00"),
        )
    db.close()
    assert _note(cli) == (  # some were tracked: not "none tracked yet", but that prune
        "no orders: `smm-tracker prune --older-than 365d` on 2026-12-04 deleted 3 orders that "
        "ended before 2026-12-04T00:00:00+00:00; `orders` lists only what prune keeps: the "
        "open orders and those ended since\n"
    )


def test_with_several_panels_the_command_names_the_panel(tmp_path, monkeypatch):
    cli = _cli(tmp_path, monkeypatch, TWO_PANELS)
    assert _note(cli) == "no orders tracked yet: " + HOW.format(flag=" --panel NAME") + "\n"
    on_spare = "no orders tracked yet on spare: " + HOW.format(flag=" --panel spare") + "\n"
    assert _note(cli, "--panel", "spare") == on_spare
    assert cli("track", "--panel", "main", "101").exit_code == 0
    assert _note(cli, "--panel", "spare") == on_spare  # main's order is not spare's
    listed = cli("orders")
    assert listed.exit_code == 0 and "101" in listed.stdout
    assert "no orders tracked" not in listed.stderr
    assert listed.stderr.startswith("(order 101 not checked on the panel yet")  # never polled
