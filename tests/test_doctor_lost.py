"""`doctor` says when orders were given up as lost: a panel kept calling them
unknown past schedule.unknown_give_up, so they are no longer polled. One warn
line per panel (doctor still passes), counted as `orders --status lost` lists
them, gone once `track` resumes them; through the real CLI in-process against
the simulated panel over loopback."""

from __future__ import annotations

import hashlib
import json

import pytest
from simconfig import cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Lost4Doctor7Xq"
# The same panel under a second name, its url with a query the panel reads
# past: one url and key twice is one account configured twice, refused.
OTHER = '[[panels]]\nname = "other"\nurl = "URL?entry=other"\nkey_env = "SIM_KEY"\n'
ON_SIM = [900_001, 900_002, 900_003, 900_004]  # no such orders on the panel
ON_OTHER = [900_005]
GIVEN_UP = "given up as lost"


def sim_line(ids: str, count: int = 4) -> str:
    return (
        f"warn panel sim: {count} orders given up as lost ({ids}): the panel kept calling "
        "them unknown past schedule.unknown_give_up, so they are no longer polled; "
        "`smm-tracker orders --panel sim --status lost` lists them, "
        "`smm-tracker track --panel sim ID` resumes one, `smm-tracker orders --panel sim "
        "--status lost --ids | smm-tracker track --panel sim -` all"
    )


def other_line(resume: str = "") -> str:
    return (
        "warn panel other: 1 order given up as lost (#900005): the panel kept calling it "
        "unknown past schedule.unknown_give_up, so it is no longer polled; "
        "`smm-tracker orders --panel other --status lost` lists it, "
        f"{resume}`smm-tracker track --panel other 900005` resumes it"
    )


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """Yield (cli, the config without "other", sim's real IDs): orders tracked
    on two panels, some unknown to the panel, given up at their first unknown."""
    panel = SimulatedPanel(key=KEY, seed=5, speed=600.0)
    server = PanelServer(panel).start()
    config = sim_config(server.url, schedule='unknown_give_up = "0s"')
    cli = cli_in(tmp_path, monkeypatch, config + OTHER.replace("URL", server.url))
    monkeypatch.setenv("SIM_KEY", KEY)
    real = panel.seed_orders(2, status="In progress")
    assert cli("track", "--panel", "sim", *map(str, [*real, *ON_SIM])).exit_code == 0
    # The same panel served under a second name: one order it knows, so the
    # unknown one is the order's own (not a panel refusing every status).
    assert cli("track", "--panel", "other", *map(str, [real[0], *ON_OTHER])).exit_code == 0
    yield cli, config, real
    server.stop()


def given_up(output: str) -> list[str]:
    return [line for line in output.splitlines() if GIVEN_UP in line]


def test_no_line_while_nothing_is_lost(setup):
    cli, _config, _real = setup
    checked = cli("doctor")
    assert checked.exit_code == 0, checked.output
    assert given_up(checked.output) == []
    report = json.loads(cli("doctor", "--json").output)
    assert not [c for c in report["checks"] if GIVEN_UP in c["detail"]]


def test_doctor_warns_per_panel_of_the_lost_orders_and_still_passes(setup, tmp_path):
    cli, _config, real = setup
    ran = cli("run", "--once", "--all")
    assert ran.exit_code == 0, ran.output
    database = tmp_path / "t.db"
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    checked = cli("doctor")
    assert checked.exit_code == 0, checked.output  # a warning, not a failure
    assert given_up(checked.output) == [other_line(), sim_line("#900001, #900002, #900003…")]
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before  # only read

    report = json.loads(cli("doctor", "--json").output)
    assert report["ok"] is True
    lost = [c for c in report["checks"] if GIVEN_UP in c["detail"]]
    assert [(c["name"], c["state"], c["failed"]) for c in lost] == [
        ("panel other", "warn", False),
        ("panel sim", "warn", False),
    ]
    assert f"warn {lost[1]['name']}: {lost[1]['detail']}" == sim_line("#900001, #900002, #900003…")

    # The command the line names lists exactly the orders it counts.
    listed = cli("orders", "--panel", "sim", "--status", "lost", "--json")
    assert sorted(row["order_id"] for row in json.loads(listed.output)) == ON_SIM
    assert not set(real) & {row["order_id"] for row in json.loads(listed.output)}


def test_an_order_resumed_with_track_no_longer_counts(setup):
    cli, _config, _real = setup
    assert cli("run", "--once", "--all").exit_code == 0
    resumed = cli("track", "--panel", "sim", "900001")
    assert "resumed 1 stopped order:" in resumed.output, resumed.output
    lines = given_up(cli("doctor").output)
    assert lines == [other_line(), sim_line("#900002, #900003, #900004", count=3)]
    assert cli("track", "--panel", "sim", "900002", "900003", "900004").exit_code == 0
    assert given_up(cli("doctor").output) == [other_line()]  # the other panel's still


def test_the_lost_orders_ids_piped_to_track_resume_them_all(setup):
    # What doctor's line says for many: `orders ... --ids | track --panel P -`.
    cli, _config, _real = setup
    assert cli("run", "--once", "--all").exit_code == 0
    listed = cli("orders", "--panel", "sim", "--status", "lost", "--ids")
    assert listed.exit_code == 0
    assert sorted(map(int, listed.stdout.split())) == ON_SIM
    resumed = cli("track", "--panel", "sim", "-", input=listed.stdout)
    assert resumed.exit_code == 0, resumed.output
    assert cli("orders", "--panel", "sim", "--status", "lost", "--ids").stdout == ""
    assert [line for line in given_up(cli("doctor").output) if "panel sim" in line] == []
    both = cli("orders", "--ids", "--json")
    assert both.exit_code == 2 and "--ids and --json do not go together" in both.output


def test_nothing_lost_piped_to_track_untrack_or_cancel_is_nothing_to_do(setup):
    # The same pipeline with no order lost (README: it "resumes every order
    # given up as lost"): an empty list is nothing to do, not bad input (exit 2).
    cli, _config, _real = setup
    listed = cli("orders", "--panel", "sim", "--status", "lost", "--ids")
    assert listed.exit_code == 0 and listed.stdout == ""
    for command in ("track", "untrack", "cancel"):
        args = [command, "--panel", "sim", *(["--yes"] if command == "cancel" else []), "-"]
        done = cli(*args, input=listed.stdout)
        assert done.exit_code == 0, done.output
        assert done.stdout == "", done.stdout
        assert done.stderr == f"no order IDs on stdin: nothing to {command}\n"
    # With an add's key, track takes exactly one ID: none is still a usage error.
    keyed = cli("track", "--panel", "sim", "--idempotency-key", "row-1", "-", input="")
    assert keyed.exit_code == 2
    assert keyed.stderr == (
        "smm-tracker: --idempotency-key takes one order ID, none on stdin; nothing tracked\n"
    )


def test_lost_orders_of_a_panel_that_left_the_config_say_to_add_it_back(setup, tmp_path):
    cli, config, _real = setup
    assert cli("run", "--once", "--all").exit_code == 0
    (tmp_path / "tracker.toml").write_text(config)  # "other" leaves the config
    checked = cli("doctor")
    assert checked.exit_code == 0, checked.output
    resume = "add the panel back to the config, then "
    assert other_line(resume) in given_up(checked.output)


def test_the_command_an_order_lost_alert_names_resumes_its_order(setup):
    # Two panels are configured: `track ID` without --panel is refused
    # ("several panels are configured"), as the alert used to say it.
    cli, _config, _real = setup
    assert cli("run", "--once", "--all").exit_code == 0
    alerts = json.loads(cli("alerts", "--json").output)["alerts"]
    hints = {
        a["panel"]: a["message"].rsplit("`", 2)[1] for a in alerts if a["kind"] == "order_lost"
    }
    assert hints == {
        "sim": "smm-tracker track --panel sim ID",
        "other": "smm-tracker track --panel other 900005",
    }
    for panel, order in (("sim", "900003"), ("other", "900005")):
        resumed = cli(*hints[panel].replace("ID", order).split()[1:])
        assert resumed.exit_code == 0, resumed.output
        assert "resumed 1 stopped order:" in resumed.output
        lost = cli("orders", "--panel", panel, "--status", "lost", "--ids").stdout.split()
        assert order not in lost
