"""`track ID --runs N --interval M` on an order whose service the synced
catalogue says takes no drip-feed (its dripfeed flag listed off): the order
exists, so the runs are stored all the same (a catalogue may be stale or
wrong), but a note on stderr says so: runs an order never had count its
quantity once per run (its delivered figure, a re-order's remainder). A
drip-feed service, a catalogue never synced, or one that lists no dripfeed
flag at all, says nothing. Through the real CLI in-process against the
simulated panel."""

from __future__ import annotations

import json
import sqlite3

import pytest
from simconfig import cli_in, sim_config

from tracker.sim.catalogue import SERVICE_FOLLOWERS, SERVICE_VIEWS
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Drip98Runs4Note7Kd"
DRIP = ["--runs", "5", "--interval", "10", "--quantity", "100"]  # DELIVERED known: no note


@pytest.fixture
def sim(tmp_path, monkeypatch):
    panel = SimulatedPanel(key=KEY, seed=5, speed=600.0)
    server = PanelServer(panel).start()
    cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
    cli.db = tmp_path / "t.db"
    yield panel, cli
    server.stop()


def _runs(cli, order_id: str) -> int | None:
    with sqlite3.connect(cli.db) as db:
        (runs,) = db.execute("SELECT runs FROM orders WHERE order_id = ?", [order_id]).fetchone()
    return runs


def test_runs_on_a_service_without_drip_feed_are_stored_with_a_note(sim):
    panel, cli = sim
    a, b, c, d, e = (str(i) for i in panel.seed_orders(5, status="In progress"))
    unsynced = cli("track", a, "--service", str(SERVICE_FOLLOWERS), *DRIP)
    assert unsynced.exit_code == 0 and unsynced.stderr == ""  # no catalogue: no judge

    assert cli("services", "--refresh").exit_code == 0
    listed = json.loads(cli("services", "--json").stdout)
    (synced_at,) = {i["updated_at"] for i in listed if i["service"] == SERVICE_FOLLOWERS}
    given = cli("track", b, c, "--service", str(SERVICE_FOLLOWERS), *DRIP)
    assert given.exit_code == 0  # tracked all the same: a note, not a refusal
    assert given.stdout.splitlines()[0] == "tracking 2 new orders on sim"
    assert given.stderr.replace("\n", " ") == (
        f"note: orders {b}, {c} are stored with drip-feed runs, but service "
        f"{SERVICE_FOLLOWERS} takes no drip-feed as sim's catalogue was last synced "
        f"({synced_at}): the quantity is counted once per run (delivered, a "
        "re-order's remainder); an order placed without drip-feed: smm-tracker "
        "track ID --update --no-drip-feed clears them (smm-tracker services "
        "--refresh updates the catalogue) "
    )
    assert _runs(cli, b) == 5 and _runs(cli, c) == 5  # stored: the order exists

    # --runs given to an order tracked before with its service: the stored one is judged
    assert cli("track", d, "--service", str(SERVICE_FOLLOWERS)).exit_code == 0
    later = cli("track", d, *DRIP)
    assert later.exit_code == 0 and later.stderr.startswith(f"note: order {d} is stored")

    views = cli("track", e, "--service", str(SERVICE_VIEWS), *DRIP)
    assert views.exit_code == 0 and views.stderr == ""  # a drip-feed service


def test_a_catalogue_without_the_flag_or_listing_the_service_twice_says_nothing(sim):
    panel, cli = sim
    a, b = (str(i) for i in panel.seed_orders(2, status="In progress"))
    assert cli("services", "--refresh").exit_code == 0
    with sqlite3.connect(cli.db) as db:  # listed twice, with different terms, now
        db.execute(
            "INSERT INTO service_conflicts (panel, service, listings, differences, "
            "first_seen_at, last_seen_at) VALUES ('sim', 1, 2, '{}', '2026-01', '2026-01')"
        )
    twice = cli("track", a, "--service", str(SERVICE_FOLLOWERS), *DRIP)
    assert twice.exit_code == 0 and twice.stderr == ""
    with sqlite3.connect(cli.db) as db:  # a panel that lists no dripfeed flag at all
        db.execute("DELETE FROM service_conflicts")
        db.execute("UPDATE services SET dripfeed = 0")
    none = cli("track", b, "--service", str(SERVICE_FOLLOWERS), *DRIP)
    assert none.exit_code == 0 and none.stderr == ""


def test_no_drip_feed_clears_stored_runs_with_update_only(sim):
    # Runs stored by mistake (the note above) could not be taken back: --runs
    # takes no "none", and a re-order's remainder counts the quantity per run.
    panel, cli = sim
    a, b = (str(i) for i in panel.seed_orders(2, status="In progress"))
    assert cli("track", a, b, "--service", str(SERVICE_FOLLOWERS), *DRIP).exit_code == 0
    kept = cli("track", a, "--no-drip-feed")
    assert kept.exit_code == 0, kept.output
    assert f"order {a}: stored runs is 5, given none: kept 5 (pass --update to overwrite)" in (
        kept.stdout.splitlines()
    )
    assert _runs(cli, a) == 5  # a difference said, nothing overwritten without --update
    cleared = cli("track", a, "--update", "--no-drip-feed")
    assert cleared.exit_code == 0, cleared.output
    assert f"order {a}: runs 5 -> none (updated)" in cleared.stdout.splitlines()
    assert f"order {a}: interval 10 -> none (updated)" in cleared.stdout.splitlines()
    assert _runs(cli, a) is None and _runs(cli, b) == 5  # only the order given
    both = cli("track", b, "--no-drip-feed", *DRIP)
    assert both.exit_code == 2 and "do not go together" in both.output
