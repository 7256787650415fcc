"""A drip-feed's run (a subscription's post) given by its own order ID to
the commands that take one, not tracked itself but named as a child by an
order the tracker tracks: `refill`, `refills --order`, `cancel`, `untrack`
say which order it is of and the command that acts on that one, with their
exit for an order not tracked, nothing sent; `track` tracks it, saying so;
`history` of a tracked child names its order (``child_of`` in --json)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from simconfig import cli_in
from test_child_lookup import named

from tracker.store.orders import Store

DRIP, SUB = 7201, 7202

PANEL = """
[[panels]]
name = "{name}"
url = "http://127.0.0.1:9/api/v2"
key_env = "{key}"
retries = 0
"""
ONE = '[database]\npath = "t.db"\n' + PANEL.format(name="main", key="CHILD_KEY")
TWO = ONE + PANEL.format(name="other", key="OTHER_KEY")


def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str) -> Callable[..., Result]:
    store = Store(tmp_path / "t.db")
    try:
        named(store, "main", {DRIP: [7301, 7302, 7303], SUB: [7401, 7402]})
        with store.write() as db:  # placed as a drip-feed: its runs known
            db.execute("UPDATE orders SET runs = 3, interval = 30 WHERE order_id = ?", [DRIP])
    finally:
        store.close()
    return cli_in(tmp_path, monkeypatch, config, env={"CHILD_KEY": "k" * 16, "OTHER_KEY": "o" * 16})


@pytest.fixture
def one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    return world(tmp_path, monkeypatch, ONE)


@pytest.fixture
def two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    return world(tmp_path, monkeypatch, TWO)


def cancels(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return int(db.execute("SELECT count(*) FROM cancels").fetchone()[0])


def test_refill_of_a_run_names_its_order_and_sends_nothing(two):
    said = two("refill", "7302")
    assert said.exit_code == 1 and said.stdout == "", said.stderr
    assert said.stderr == (
        "smm-tracker: order 7302 is not tracked: it is run 2 of drip-feed order #7201 on main; "
        "`smm-tracker refill 7201` requests that order's refill; nothing sent\n"
    )
    given = two("refill", "--panel", "main", "7401")
    assert given.exit_code == 1
    assert (
        "it is child order 1 of order #7202 on main (a drip-feed or subscription order); "
        "`smm-tracker refill --panel main 7202` requests that order's refill" in given.stderr
    )
    unknown = two("refill", "9999")  # an ID nobody named: as before
    assert unknown.exit_code == 1 and "child" not in unknown.stderr
    assert "order 9999 is not tracked; run: smm-tracker track --panel NAME 9999" in unknown.stderr


def test_refills_order_of_a_run_names_the_listing_of_its_order(two):
    for args in (["refills", "--order", "7303"], ["refills", "--order", "7303", "--json"]):
        said = two(*args)
        assert said.exit_code == 1 and said.stdout == ""
        assert said.stderr == (
            "smm-tracker: order 7303 is not tracked: it is run 3 of drip-feed order #7201 on "
            "main; `smm-tracker refills --order 7201` lists that order's refill requests\n"
        )
    assert two("refills", "--order", "7201").exit_code == 0  # the command it names works


def test_cancel_of_a_run_is_not_sent_even_to_the_one_panel(one, tmp_path):
    # One panel: an ID the tracker does not track goes out to it; a run's does not.
    for args in (["cancel", "--yes", "7302"], ["cancel", "--yes", "--panel", "main", "7302"]):
        said = one(*args)
        assert said.exit_code == 1 and said.stdout == "", said.output  # no "#7302 ..." line
        assert "order 7302 is not tracked" in said.stderr
        assert "it is run 2 of drip-feed order #7201 on main; `smm-tracker cancel " in said.stderr
        assert "7201` cancels that whole order; nothing sent (to cancel this one alone, " in (
            said.stderr
        )
    assert cancels(tmp_path) == 0
    plain = one("cancel", "--yes", "9999")  # an ID nobody named goes out, as before
    assert plain.stdout.startswith("#9999  not sent: ")


def test_cancel_of_several_with_a_child_among_them_sends_none(two, tmp_path):
    said = two("cancel", "--yes", "--panel", "main", "7201", "7302", "7401", "9999")
    assert said.exit_code == 1 and said.stdout == "", said.stderr
    assert said.stderr.splitlines() == [
        "smm-tracker: not tracked, each a tracked order's child order; nothing sent "
        "(to cancel one alone, track it first, then cancel it):",
        "  #7302 is run 2 of drip-feed order #7201 on main: "
        "`smm-tracker cancel --panel main 7201` cancels that whole order",
        "  #7401 is child order 1 of order #7202 on main (a drip-feed or subscription order): "
        "`smm-tracker cancel --panel main 7202` cancels that whole order",
    ]
    assert cancels(tmp_path) == 0


def test_a_child_tracked_on_its_own_is_canceled_as_any_order(one):
    assert one("track", "7302").exit_code == 0
    said = one("cancel", "--yes", "7302")
    assert said.stdout.startswith("#7302  not sent: ")  # it went out (nothing listens)


def test_untrack_of_a_run_names_its_order_and_stops_the_others(two):
    said = two("untrack", "--panel", "main", str(SUB), "7302", "9999")
    assert said.exit_code == 1
    assert said.stdout == "untracked 1 order on main: 7202\n"
    assert said.stderr.splitlines() == [
        "smm-tracker: not tracked on main: 7302, 9999",
        "  #7302 is run 2 of drip-feed order #7201 on main: "
        "`smm-tracker untrack --panel main 7201` stops tracking that order",
    ]
    nowhere = two("untrack", "7303")  # two panels, none holds it
    assert nowhere.stderr.splitlines() == [
        "smm-tracker: not tracked on any panel: 7303",
        "  #7303 is run 3 of drip-feed order #7201 on main: "
        "`smm-tracker untrack 7201` stops tracking that order",
    ]


def test_track_of_a_run_tracks_it_and_says_whose_run_it_is(one):
    said = one("track", "7302", "9999")
    assert said.exit_code == 0
    assert said.stdout == "tracking 2 new orders on main\n"
    assert said.stderr.splitlines() == [
        "note: a tracked order's child order, now tracked on its own too (untrack stops it):",
        "  #7302 is run 2 of drip-feed order #7201 on main",
        "note: tracked without --quantity: DELIVERED stays unknown for these orders (no "
        "panel's status says the quantity ordered); smm-tracker track ID --quantity Q fills it in",
    ]
    again = one("track", "7302")  # already tracked: nothing more said
    assert again.exit_code == 0 and again.stderr == ""


def test_history_of_a_tracked_child_names_its_order(one, tmp_path):
    assert one("track", "7302").exit_code == 0
    shown = one("history", "7302")
    assert shown.exit_code == 0
    assert "run 2 of drip-feed order #7201 on main: `smm-tracker history 7201` shows it" in (
        shown.stdout.splitlines()
    )
    data = json.loads(one("history", "7302", "--json").stdout)
    assert list(data)[-1] == "child_of"
    [parent] = data["child_of"]
    assert (parent["panel"], parent["order_id"], parent["number"]) == ("main", DRIP, 2)
    assert parent["drip_feed"] is True
    plain = json.loads(one("history", str(DRIP), "--json").stdout)
    assert plain["child_of"] == []
    assert "shows it" not in one("history", str(DRIP)).stdout
    copy = one("history", "--database", str(tmp_path / "t.db"), "7302")
    assert f"`smm-tracker history --database {tmp_path / 't.db'} 7201` shows it" in copy.stdout
