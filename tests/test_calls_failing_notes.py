"""Every call of a panel failing before ``panel_unreachable`` opens, said by
``orders`` and carried by ``balance --json``, as ``balance`` says it.

``orders`` said "(sim: polls have failed since ...; ... the log's
status_failed lines, say why)" when the balance and services calls failed
too, or nothing when no poll had failed; ``balance --json`` had no field for
it at all.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from ports import closed_port
from simconfig import sim_config

from tracker.cli.main import main
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Calls3Fa1l9Ng"
FIELDS = ("calls_failing_since", "last_failed_call_at")


@pytest.fixture
def cli_for(tmp_path, monkeypatch):
    """Return invoke(url, *args): run the CLI with a config whose panel is at url."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)

    def invoke(url: str, *args: str):
        panel = 'retries = 0\ntimeout = "5s"'
        (tmp_path / "tracker.toml").write_text(sim_config(url, panel=panel))
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        assert "Traceback" not in result.output
        return result

    return invoke


def test_orders_says_every_call_fails_before_the_panel_is_called_unreachable(cli_for):
    server = PanelServer(SimulatedPanel(key=KEY, seed=5)).start()
    add = ("add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100")
    try:
        assert cli_for(server.url, *add).exit_code == 0  # an order the panel knows
        down = f"http://127.0.0.1:{closed_port()}/api/v2"
        assert cli_for(down, "run", "--once").exit_code == 1  # status, balance, services: failed
        listed = cli_for(down, "orders")
        assert listed.exit_code == 0 and listed.stdout.splitlines()[1].split()[0] == "sim"
        note = "(sim: its last call failed at 20"  # every call, not its polls alone
        assert listed.stderr.startswith(note), listed.stderr
        assert listed.stderr.endswith(
            ": its statuses are the last it gave; smm-tracker doctor says why)\n"
        ), listed.stderr
        assert cli_for(server.url, "run", "--once").exit_code == 0
        assert cli_for(server.url, "orders").stderr == ""  # an answer ends the run
    finally:
        server.stop()
    assert cli_for(server.url, "run", "--once").exit_code == 1
    assert cli_for(server.url, "orders").stderr.startswith(note)


def test_balance_json_carries_the_run_of_failed_calls(cli_for):
    down = f"http://127.0.0.1:{closed_port()}/api/v2"
    assert cli_for(down, "run", "--once").exit_code == 1
    shown = json.loads(cli_for(down, "balance", "--json").stdout)
    # No balance fetched: the panel listed, its figures null, its run apart too.
    (none,) = shown["panels"]
    assert (none["panel"], none["balance"], none["why_no_balance"]) == (
        "sim",
        None,
        "not_fetched_yet",
    )
    assert none[FIELDS[0]] == shown["calls_failing"][0][FIELDS[0]]
    assert [p["panel"] for p in shown["calls_failing"]] == ["sim"]
    since, last = (shown["calls_failing"][0][field] for field in FIELDS)
    assert since.startswith("20") and last >= since
    server = PanelServer(SimulatedPanel(key=KEY, seed=5)).start()
    try:
        assert cli_for(server.url, "run", "--once").exit_code == 0
        shown = json.loads(cli_for(server.url, "balance", "--json").stdout)
        assert shown["calls_failing"] == []  # an answer ends the run
        assert [(p["panel"], p[FIELDS[0]], p[FIELDS[1]]) for p in shown["panels"]] == [
            ("sim", None, None)
        ]
    finally:
        server.stop()
    assert cli_for(server.url, "run", "--once").exit_code == 1
    shown = json.loads(cli_for(server.url, "balance", "--json").stdout)
    (panel,) = shown["panels"]  # its balance, the last it gave, and its failing calls
    assert panel["balance"] is not None and panel[FIELDS[0]].startswith("20")
    assert panel[FIELDS[1]] >= panel[FIELDS[0]]
    assert [p["panel"] for p in shown["calls_failing"]] == ["sim"]
