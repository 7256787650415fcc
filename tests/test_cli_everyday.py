"""Issue 12: everyday use through the real CLI against the simulated panel —
status filters that refuse typos, the run summary, global options anywhere,
and the small wording fixes."""

from __future__ import annotations

import json

import click
import pytest
from simconfig import cli_in, sim_config

from tracker.cli.main import main
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Every9Day3Use5Xy"


@pytest.fixture
def sim(tmp_path, monkeypatch):
    """Yield (panel, cli): a running simulator and an invoke() for a config using it."""
    panel = SimulatedPanel(key=KEY, seed=11, speed=60.0)
    server = PanelServer(panel).start()
    config = sim_config(server.url, panel='timeout = "5s"')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    yield panel, cli
    server.stop()


# --- point 8: --status values -------------------------------------------------


def test_orders_unknown_status_is_a_usage_error_listing_the_valid_ones(sim):
    panel, cli = sim
    cli("track", *map(str, panel.seed_orders(2)))
    result = cli("orders", "--status", "Bogus")
    assert result.exit_code == 2
    assert "unknown status 'Bogus'" in result.output
    assert "'Completed'" in result.output and "'In progress'" in result.output
    assert "no orders" not in result.output


def test_orders_status_matches_any_case(sim):
    panel, cli = sim
    ids = panel.seed_orders(3, status="Completed")
    cli("track", *map(str, ids))
    assert cli("run", "--once", "--all").exit_code == 0
    for spelling in ("completed", "COMPLETED", "Completed"):
        rows = json.loads(cli("orders", "--json", "--status", spelling).output)
        assert sorted(r["order_id"] for r in rows) == sorted(ids), spelling


def test_refills_unknown_status_is_a_usage_error(sim):
    _panel, cli = sim
    cli("track", "5")
    result = cli("refills", "--status", "bogus")
    assert result.exit_code == 2
    assert "unknown status 'bogus'" in result.output
    assert "'Rejected'" in result.output and "'Refused'" in result.output
    assert cli("refills", "--status", "rejected").exit_code == 0
    assert cli("refills", "--status", "REFUSED").exit_code == 0


# --- point 11: run --once summary, log format, global options anywhere --------


def test_run_once_ends_with_a_summary_per_panel(sim):
    panel, cli = sim
    ids = panel.seed_orders(3, status="Completed")
    cli("track", *map(str, ids))
    result = cli("run", "--once")
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("sim: 3 checked, 3 changed, 0 refills asked, balance ")
    # Finished orders are not asked about again.
    again = cli("run", "--once", "--all").stdout.strip().splitlines()[-1]
    assert again.startswith("sim: 0 checked, 0 changed, 0 refills asked")


def test_one_off_commands_log_human_lines_unless_json_is_asked(sim):
    _panel, cli = sim
    plain = cli("--log-level", "info", "services", "--refresh")
    assert plain.exit_code == 0
    logged = [line for line in plain.stderr.splitlines() if "services_synced" in line]
    assert logged and not logged[0].lstrip().startswith("{")
    # Debug: the catalogue synced again the same is told at debug.
    as_json = cli("services", "--refresh", "--log-level", "debug", "--log-format", "json")
    assert as_json.exit_code == 0
    lines = [json.loads(line) for line in as_json.stderr.splitlines() if "services_synced" in line]
    assert lines and lines[0]["event"] == "services_synced"


def test_config_and_log_level_are_taken_after_the_command(sim, tmp_path, monkeypatch):
    panel, cli = sim
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "tracker.toml").rename(tmp_path / "other.toml")
    monkeypatch.chdir(elsewhere)
    config = str(tmp_path / "other.toml")
    assert cli("track", "5", "--config", config).exit_code == 0
    result = cli("orders", "--config", config, "--log-level", "debug", "--json")
    assert result.exit_code == 0, result.output
    assert [r["order_id"] for r in json.loads(result.stdout)] == [5]
    assert cli("orders", f"--config={config}").exit_code == 0
    missing = cli("orders", "--config")
    assert missing.exit_code == 2
    assert "Option '--config' requires an argument." in missing.output


# --- point 12: the small ones ------------------------------------------------------


def test_bare_command_prints_help_and_exits_0(sim):
    _panel, cli = sim
    result = cli()
    assert result.exit_code == 0
    assert "Usage:" in result.output and "orders" in result.output


def test_balance_runway_is_said_once(sim):
    _panel, cli = sim
    assert cli("run", "--once").exit_code == 0
    result = cli("balance")
    assert result.exit_code == 0
    assert "runway: unknown" in result.output
    assert "runway: runway" not in result.output


def test_alerts_limit_has_help(sim):
    _panel, cli = sim
    text = " ".join(cli("alerts", "--help").output.split())
    assert "--limit INTEGER RANGE At most this many alerts" in text


def test_automation_limit_has_help(sim):
    _panel, cli = sim
    text = " ".join(cli("automation", "--help").output.split())
    assert "--limit INTEGER RANGE At most this many actions, and as many skipped orders" in text


def test_services_shows_the_type(sim):
    _panel, cli = sim
    assert cli("services", "--refresh").exit_code == 0
    result = cli("services")
    header = result.output.splitlines()[0].split()
    assert "TYPE" in header
    assert "Default" in result.output and "Custom Comments" in result.output


def test_refill_of_an_untracked_order_hints_a_track_that_works(tmp_path, monkeypatch):
    # With two panels, the hinted `smm-tracker track 5` is refused: it needs --panel.
    two = "".join(
        f'[[panels]]\nname = "{n}"\nurl = "http://127.0.0.1:9/api/v2?entry={n}"\n'
        'key_env = "SIM_KEY"\n'
        for n in ("a", "b")
    )
    cli = cli_in(tmp_path, monkeypatch, f'[database]\npath = "t.db"\n{two}', env={"SIM_KEY": KEY})
    assert cli("track", "--panel", "a", "7").exit_code == 0
    result = cli("refill", "5")
    assert result.exit_code == 1
    assert result.output.endswith("run: smm-tracker track --panel NAME 5 (NAME: a or b)\n")
    result = cli("refill", "--panel", "b", "5")
    assert result.output.endswith("5 is not tracked on b; run: smm-tracker track --panel b 5\n")
    assert cli("track", "--panel", "b", "5").exit_code == 0  # the hint, as printed, works


def test_an_order_placed_but_not_recorded_hints_a_track_that_works(tmp_path, monkeypatch):
    import re

    from tracker.errors import StoreError

    panel = SimulatedPanel(key=KEY, seed=11, speed=60.0)
    server = PanelServer(panel).start()
    # one url and key under two names is one account twice, refused: a query the panel reads past
    other = f'[[panels]]\nname = "other"\nurl = "{server.url}?entry=other"\nkey_env = "SIM_KEY"\n'
    cli = cli_in(tmp_path, monkeypatch, sim_config(server.url) + other, env={"SIM_KEY": KEY})

    def full(*args, **kwargs):
        raise StoreError("disk full while writing t.db")

    monkeypatch.setattr("tracker.cli.claims.track_placed", full)
    try:
        result = cli(
            "add",
            "--panel",
            "sim",
            "--service",
            "1",
            "--link",
            "https://x.example/a",
            "--quantity",
            "100",
        )
    finally:
        server.stop()
    assert result.exit_code == 1
    hint = re.search(r"run: (smm-tracker track .*)$", result.output.strip())
    assert hint and re.fullmatch(r"smm-tracker track --panel sim \d+", hint.group(1)), result.output


def test_an_unknown_status_lists_the_panels_own_words_cut_and_few(tmp_path, monkeypatch, clock):
    # A hostile panel stored a new 500-character word with every order: the
    # error still lists the valid ones in one readable line.
    from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in

    from tracker.store.orders import Store

    store = Store(tmp_path / "t.db")
    store.track("main", list(range(1, 41)), clock())
    with store.write() as db:
        for i in range(1, 41):
            word = f"w{i:02d}\x1b[2J" + "x" * 500
            db.conn.execute("UPDATE orders SET status = ? WHERE order_id = ?", [word, i])
    store.close()
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})
    result = cli("orders", "--status", "Bogus")
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert "'Completed'" in line and "'w01\\x1b[2Jxxx" in line and "w20" in line
    assert "w21" not in line and "and 20 more the panels sent" in line
    assert "\x1b" not in line and len(line) < 2500


def test_every_option_of_every_command_has_help():
    # `dashboard --help` listed --port with its default alone, unexplained.
    ctx = click.Context(main)
    bare = [
        f"{name} {param.opts[0]}"
        for name in main.list_commands(ctx)
        for param in getattr(main.get_command(ctx, name), "params", [])
        if isinstance(param, click.Option) and not param.help
    ]
    assert bare == []
