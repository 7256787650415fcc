"""A panel taken out of the config (removed or renamed) keeps its orders in the
database: never stop tracking them silently. `doctor` warns, `run --once` says
so, and the read commands (and `untrack`) still reach them by `--panel NAME`,
through the real CLI in-process against the simulated panel over loopback."""

from __future__ import annotations

import gc
import json
import re

import pytest
from simconfig import cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Orphan5Panel2Qw"
# The url with a query the panel reads past: one url and key under two names
# is one account configured twice, which the config refuses.
SLOW = '[[panels]]\nname = "slow"\nurl = "URL?entry=slow"\nkey_env = "SIM_KEY"\n'


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """Yield (cli, sim's IDs, slow's IDs): orders tracked on two panels, the
    first of sim's on both, then "slow" taken out of the config."""
    panel = SimulatedPanel(key=KEY, seed=3, speed=600.0)
    server = PanelServer(panel).start()
    config = sim_config(server.url)
    cli = cli_in(tmp_path, monkeypatch, config + SLOW.replace("URL", server.url))
    monkeypatch.setenv("SIM_KEY", KEY)
    ids = panel.seed_orders(5)
    sim_ids, slow_ids = ids[:2], [ids[0], *ids[2:]]
    assert cli("track", "--panel", "sim", *map(str, sim_ids)).exit_code == 0
    assert cli("track", "--panel", "slow", *map(str, slow_ids)).exit_code == 0
    (tmp_path / "tracker.toml").write_text(config)  # "slow" leaves the config
    gc.collect()
    yield cli, sim_ids, slow_ids
    server.stop()


def _unchecked(sim_ids: list[int]) -> str:
    """`orders`' note of sim's orders, tracked and never polled."""
    ids = f"{sim_ids[1]}, {sim_ids[0]}"
    return (
        f"(orders {ids} not checked on the panel yet, so their status is blank: smm-tracker "
        "run --once checks them now; the daemon (smm-tracker run) within "
        "schedule.status_every (5m))"
    )


def test_doctor_warns_of_the_open_orders_nobody_polls_and_still_passes(setup):
    cli, _sim_ids, slow_ids = setup
    result = cli("doctor")
    assert result.exit_code == 0, result.output  # a warn does not fail doctor
    assert (
        "warn panel slow: 4 open orders belong to panel 'slow', which is not in the config: "
        "not polled; add the panel back or untrack them (smm-tracker untrack --panel slow ID...)"
    ) in result.output.splitlines()
    report = json.loads(cli("doctor", "--json").output)
    assert report["ok"] is True
    assert [c["state"] for c in report["checks"] if c["name"] == "panel slow"] == ["warn"]

    # Untracked (local: the panel is not needed), they are given up visibly.
    untracked = cli("untrack", "--panel", "slow", *map(str, slow_ids), "--reason", "panel gone")
    assert untracked.exit_code == 0, untracked.output
    assert f"untracked 4 orders on slow: {', '.join(map(str, slow_ids))}" in untracked.output
    assert "panel slow" not in cli("doctor").output


def test_read_commands_reach_a_panel_that_left_the_config(setup):
    cli, _sim_ids, slow_ids = setup
    shown = cli("history", str(slow_ids[1]))
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith(f"slow #{slow_ids[1]}: no status yet")
    listed = cli("orders", "--panel", "slow", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert sorted(row["order_id"] for row in rows) == sorted(slow_ids)
    assert {row["panel"] for row in rows} == {"slow"}
    for command in ("refills", "alerts"):  # their --panel reads the database too
        assert cli(command, "--panel", "slow", "--json").exit_code == 0, command
        assert cli(command, "--panel", "nope").exit_code == 2, command
    # A panel neither configured nor in the database is still a usage error.
    unknown = cli("orders", "--panel", "nope")
    assert unknown.exit_code == 2 and "no panel named 'nope'" in unknown.output
    assert cli("history", "--panel", "nope", str(slow_ids[1])).exit_code == 2


def test_history_asks_for_a_panel_when_the_id_is_on_several(setup):
    cli, sim_ids, _slow_ids = setup
    both = cli("history", str(sim_ids[0]))
    assert both.exit_code == 2
    assert (
        f"order {sim_ids[0]} is tracked on several panels (sim, slow): pass --panel NAME"
        in both.output
    )
    chosen = cli("history", "--panel", "slow", str(sim_ids[0]))
    assert chosen.exit_code == 0 and chosen.output.startswith(f"slow #{sim_ids[0]}:")
    assert cli("history", str(sim_ids[1])).output.startswith(f"sim #{sim_ids[1]}:")


def test_run_once_names_the_panel_whose_orders_it_did_not_poll(setup):
    cli, _sim_ids, _slow_ids = setup
    result = cli("run", "--once")
    assert result.exit_code == 0, result.output
    assert "slow: 4 open orders not polled: not in the config" in result.output.splitlines()


def test_doctor_says_one_open_order_left_out_as_one(setup):
    # "1 open order belongs ...: add the panel back or untrack them (... ID...)".
    cli, _sim_ids, slow_ids = setup
    assert cli("untrack", "--panel", "slow", *map(str, slow_ids[1:])).exit_code == 0
    result = cli("doctor")
    assert result.exit_code == 0, result.output
    assert (
        "warn panel slow: 1 open order belongs to panel 'slow', which is not in the config: "
        "not polled; add the panel back or untrack it (smm-tracker untrack --panel slow ID)"
    ) in result.output.splitlines()


def test_run_once_counts_one_open_order_left_out_as_one(setup):
    # "slow: 1 open orders not polled".
    cli, _sim_ids, slow_ids = setup
    assert cli("untrack", "--panel", "slow", *map(str, slow_ids[1:])).exit_code == 0
    result = cli("run", "--once")
    assert result.exit_code == 0, result.output
    assert "slow: 1 open order not polled: not in the config" in result.output.splitlines()


def test_orders_notes_one_open_order_left_out_as_one(setup):
    # "1 open order not polled: ...; their statuses are the last it gave;
    # ... untrack them: smm-tracker untrack --panel slow ID..." of one order.
    cli, sim_ids, slow_ids = setup
    assert cli("untrack", "--panel", "slow", *map(str, slow_ids[1:])).exit_code == 0
    listed = cli("orders")
    assert listed.exit_code == 0, listed.output
    assert listed.stderr.splitlines() == [
        "(slow: 1 open order not polled: not in the config; its status is the last "
        "it gave; add the panel back, or untrack it: smm-tracker untrack --panel slow ID)",
        _unchecked(sim_ids),
    ]


def test_report_balance_and_automation_reach_a_panel_that_left_the_config(setup, tmp_path):
    cli, _sim_ids, slow_ids = setup
    config = tmp_path / "tracker.toml"
    without = config.read_text()
    url = re.search(r'url = "([^"]+)"', without).group(1)
    config.write_text(without + SLOW.replace("URL", url))  # "slow" back for one run
    assert cli("run", "--once", "--panel", "slow").exit_code == 0
    config.write_text(without)

    shown = cli("balance", "--panel", "slow")
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("slow: ")
    assert "state:  no low-balance alert (the panel is not in the config)" in shown.output
    (info,) = json.loads(cli("balance", "--panel", "slow", "--json").output)["panels"]
    assert (info["panel"], info["configured"], info["low"]) == ("slow", False, None)

    report = cli("report", "--panel", "slow", "--json")
    assert report.exit_code == 0, report.output
    scored = json.loads(report.output)
    assert scored["panel"] == "slow"
    assert sum(row["orders"] for row in scored["services"]) == len(slow_ids)
    automation = cli("automation", "--panel", "slow", "--json")
    assert automation.exit_code == 0, automation.output
    assert [s["panel"] for s in json.loads(automation.output)["spend"]] == ["slow"]

    for command in ("balance", "report", "automation"):  # neither configured nor stored
        unknown = cli(command, "--panel", "nope")
        assert unknown.exit_code == 2, (command, unknown.output)
        assert "no panel named 'nope'" in unknown.output, command


def test_a_start_reads_no_order_of_the_configured_panels_to_find_the_left_out_ones(tmp_path):
    # `run` warns of every left-out panel's open orders at each start (and
    # reload): that must not cost a read of every open order, which grows with
    # the database. Counted in SQLite's own steps, the same with 20 open orders
    # of the configured panel as with 4,000.
    from tracker.config.load import config_from_dict
    from tracker.jobs.tracker import Tracker

    config = config_from_dict(
        {
            "database": {"path": "t.db"},
            "panels": [{"name": "sim", "url": "http://127.0.0.1:9/api/v2", "key": KEY}],
        },
        base_dir=tmp_path,
        env={},
    )

    def steps_to_warn(open_orders: int) -> tuple[dict[str, int], int]:
        tracker = Tracker(config)
        try:
            conn = tracker.store.conn
            with conn:
                conn.execute("DELETE FROM orders")
                conn.executemany(
                    "INSERT INTO orders (panel, order_id, created_at, updated_at, status) "
                    "VALUES (?, ?, '2026-12-01T00:00:00+00:00', '2026-12-01T00:00:00+00:00', ?)",
                    [("sim", i, "Pending") for i in range(1, open_orders + 1)]
                    + [("slow", i, "In progress") for i in range(1, 4)],
                )
            steps = [0]

            def count() -> int:
                steps[0] += 1
                return 0

            conn.set_progress_handler(count, 10)
            try:
                found = tracker.warn_unconfigured()
            finally:
                conn.set_progress_handler(None, 0)
            return found, steps[0]
        finally:
            tracker.close()

    few, few_steps = steps_to_warn(20)
    many, many_steps = steps_to_warn(4000)
    assert few == many == {"slow": 3}
    assert many_steps <= few_steps + 5, (few_steps, many_steps)


def test_cancel_and_refill_say_which_panel_an_id_also_held_by_a_left_out_one_goes_to(
    setup, tmp_path
):
    # sim_ids[0] is an order on sim and on slow (left out of the config: a
    # panel removed, or renamed). Sent without --panel and without a question
    # (--yes, a script), nothing said the cancel went to sim's order, not slow's.
    cli, sim_ids, _slow_ids = setup
    both = sim_ids[0]
    note = (
        f"note: order {both} is also tracked on slow, which is not in the config: "
        "the {} goes to sim's (pass --panel NAME to choose)\n"
    )
    sent = cli("cancel", "--yes", str(both))
    assert sent.stdout.startswith(f"#{both}  "), sent.output
    assert sent.stderr.startswith(note.format("cancel")), sent.output
    asked = cli("refill", str(both))
    assert asked.stderr.startswith(note.format("refill")), asked.output
    # Named with --panel, or held on sim alone: nothing to say.
    assert "note:" not in cli("cancel", "--yes", "--panel", "sim", str(both)).stderr
    assert "note:" not in cli("cancel", "--yes", str(sim_ids[1])).stderr

    # Several panels configured: the panel is found among them, slow left out.
    config = (tmp_path / "tracker.toml").read_text()
    other = config[config.index("[[panels]]") :].replace('name = "sim"', 'name = "other"')
    other = other.replace('/api/v2"', '/api/v2?entry=other"')  # another account, as SLOW
    (tmp_path / "tracker.toml").write_text(config + other)
    sent = cli("cancel", "--yes", str(both))
    assert sent.stderr.startswith(note.format("cancel")), sent.output
    asked = cli("refill", str(both))
    assert asked.stderr.startswith(note.format("refill")), asked.output


def test_orders_notes_the_open_orders_of_a_panel_left_out_of_the_config(setup):
    # Their statuses (an eta in the past, "In progress") are the last the
    # panel gave before it left the config: `orders` listed them as if polled.
    cli, sim_ids, _slow_ids = setup
    listed = cli("orders")
    assert listed.exit_code == 0, listed.output
    assert listed.stderr.splitlines() == [
        "(slow: 4 open orders not polled: not in the config; their statuses are the last "
        "it gave; add the panel back, or untrack them: smm-tracker untrack --panel slow ID...)",
        _unchecked(sim_ids),  # sim's, polled by the next run: not slow's
    ]
    assert "slow:" in cli("orders", "--panel", "slow").stderr
    assert cli("orders", "--panel", "sim").stderr == _unchecked(sim_ids) + "\n"
    assert cli("orders", "--json").stderr == ""  # stdout and stderr: the JSON alone


def test_orders_of_a_database_read_without_a_config_note_no_panel_left_out(setup, tmp_path):
    # `--database PATH` and no config: no panel is configured, none left out.
    cli, _sim_ids, _slow_ids = setup
    (tmp_path / "tracker.toml").rename(tmp_path / "elsewhere.toml")
    listed = cli("orders", "--database", str(tmp_path / "t.db"))
    assert listed.exit_code == 0, listed.output
    assert listed.stderr == ""


def test_refill_of_an_id_held_only_by_a_left_out_panel_says_so(setup):
    # slow_ids[1] is an order of slow alone. "not tracked; run: smm-tracker
    # track ID" led to tracking another order of that number on sim, and a
    # refill of that one; cancel already refused so.
    cli, _sim_ids, slow_ids = setup
    only = slow_ids[1]
    asked = cli("refill", str(only))
    assert asked.exit_code == 1
    assert asked.stderr == (
        f"smm-tracker: order {only} is tracked on slow, not in the config; "
        "add it back to refill it\n"
    ), asked.output
    assert "requested" not in asked.stdout


def test_track_of_an_id_held_only_by_a_left_out_panel_says_so_and_tracks_it(setup):
    # slow_ids[1] is an order of slow alone. `track ID` (one panel configured,
    # no --panel) tracked it on sim with no word, where refill and cancel
    # refuse the ID naming slow: it may be another order of that number there.
    cli, _sim_ids, slow_ids = setup
    only = slow_ids[1]
    given = ("--quantity", "100")  # DELIVERED's note left out: not the one read here
    tracked = cli("track", str(only), *given)
    assert tracked.exit_code == 0, tracked.output
    assert tracked.stdout == "tracking 1 new order on sim\n"
    assert tracked.stderr == (
        f"note: order {only} is also tracked on slow, which is not in the config (there it "
        "may be another order of the same number): tracked on sim too\n"
    )
    listed = json.loads(cli("orders", "--panel", "sim", "--json").stdout)
    assert only in {row["order_id"] for row in listed}
    assert cli("track", str(only), *given).stderr == ""  # tracked on sim now: said once
    # Several at once, and an ID no other panel holds beside them.
    several = cli("track", str(slow_ids[2]), str(slow_ids[3]), "999999", *given)
    assert several.exit_code == 0, several.output
    assert several.stderr == (
        f"note: orders {slow_ids[2]}, {slow_ids[3]} are also tracked on slow, which is not "
        "in the config (there they may be other orders of the same number): tracked on sim "
        "too\n"
    )
    assert cli("track", "999998", *given).stderr == ""


@pytest.mark.parametrize(
    "command",
    [
        ("orders",),
        ("refills",),
        ("alerts",),
        ("balance",),
        ("prune", "--older-than", "30d", "--dry-run"),
    ],
)
def test_a_panel_mistyped_names_the_database_panels_it_takes_beside_the_configured(
    setup, tmp_path, command
):
    # `--panel slwo` listed only the configured panels: the user was never
    # told `slow` (orders left in the database) is a name the option takes.
    cli, _sim_ids, _slow_ids = setup
    result = cli(*command, "--panel", "slwo")
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"smm-tracker: --panel: no panel named 'slwo' (configured: sim; "
        f"also in {tmp_path / 't.db'}: slow)"
    ]
