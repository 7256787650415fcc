"""A refused key told once per episode across `run --once` runs from cron.

Under cron (``run --once`` each minute) with a refused key, every run
warned ``panel_paused`` again: the pause lived in one process. The key's
``auth_failed`` episode is kept in ``alert_state``, as an outage's run of
failed calls is (``carry_outages``): a run that finds it open says the
pause at debug; the first run of an episode, and of the next one after
the key was accepted, says it at warning. So does the poll's own refusal
(``status_failed 'main: status: Invalid API key'``), at error: each run's
poll is refused again, the episode told already.
"""

from __future__ import annotations

from typing import Any

from hostile import HostileServer, json_reply
from simconfig import cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Cron8Paused3Once5"


def test_a_refused_key_is_told_paused_by_the_first_run_of_its_episode_alone(tmp_path, monkeypatch):
    panel = SimulatedPanel(key="the-panels-own-key-Rt5", seed=11, quirks=False)
    with PanelServer(panel) as server:
        config = sim_config(server.url, panel="retries = 0")
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        assert cli("track", "1", "2").exit_code == 0

        def run() -> tuple[int, list[str]]:
            ran = cli("--log-level", "warning", "run", "--once", "--all")
            said = [line for line in ran.stderr.splitlines() if "panel_paused" in line]
            assert KEY not in ran.stderr
            return ran.exit_code, said

        first = run()
        assert first[0] == 1 and len(first[1]) == 1  # told
        assert run() == (1, [])  # the same episode: at debug (before: warned again)
        assert run() == (1, [])
        panel.key = KEY  # the key accepted: the episode ends
        assert run()[1] == []
        panel.key = "another-key-of-the-panel-Wq2"
        again = run()
        assert again[0] == 1 and len(again[1]) == 1  # a new episode is told


def test_the_polls_refusal_of_the_key_is_told_by_the_first_run_of_its_episode_alone(
    tmp_path, monkeypatch
):
    panel = SimulatedPanel(key="the-panels-own-key-Rt5", seed=11, quirks=False)
    with PanelServer(panel) as server:
        config = sim_config(server.url, panel="retries = 0")
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        ids = panel.seed_orders(2, status="In progress")
        assert cli("track", *map(str, ids)).exit_code == 0

        def run() -> tuple[int, list[str]]:
            ran = cli("--log-level", "warning", "run", "--once", "--all")  # every order asked
            said = [line for line in ran.stderr.splitlines() if " status_failed " in line]
            assert KEY not in ran.stderr
            return ran.exit_code, said

        code, said = run()
        assert code == 1 and len(said) == 1 and "status: Invalid API key" in said[0]
        assert run() == (1, [])  # the same episode: at debug (before: at error again)
        assert run() == (1, [])
        panel.key = KEY  # accepted, and the status call fails otherwise: told
        panel.inject("html502", count=1, action="status")
        code, said = run()
        assert code == 1 and len(said) == 1 and "HTTP 502" in said[0]
        assert run() == (0, [])  # the orders are asked
        panel.key = "another-key-of-the-panel-Wq2"
        code, said = run()
        assert code == 1 and len(said) == 1  # a new episode is told


def test_a_key_refused_in_words_it_does_not_know_is_told_so_by_the_first_run_alone(
    tmp_path, monkeypatch
):
    # "Request denied" to every action: the witness refused alike, the key's
    # refusal (key_refused_unknown_wording), said for each call refused (the
    # poll's, the catalogue's, the balance's), three warnings at every run.
    answers = {"refuse": True}

    def respond(form: dict[str, str]) -> Any:
        if answers["refuse"]:
            return json_reply({"error": "Request denied"})
        if form.get("action") == "balance":
            return json_reply({"balance": "5.00", "currency": "USD"})
        if form.get("action") == "services":
            return json_reply([])
        return json_reply({"error": "No such action"})

    with HostileServer(respond) as server:
        config = sim_config(server.url, panel="retries = 0", key_env="PANEL_KEY")
        cli = cli_in(tmp_path, monkeypatch, config, env={"PANEL_KEY": KEY})
        assert cli("track", "101").exit_code == 0

        def run() -> tuple[int, int]:
            ran = cli("--log-level", "warning", "run", "--once", "--all")
            assert KEY not in ran.stderr
            return ran.exit_code, ran.stderr.count(" key_refused_unknown_wording ")

        assert run() == (1, 1)  # told once, not once a call refused
        assert run() == (1, 0)  # before: 3 at every run
        assert run() == (1, 0)
        answers["refuse"] = False  # the key accepted: the episode ends
        run()
        answers["refuse"] = True
        assert run() == (1, 1)  # a new episode is told


def test_run_help_says_a_refused_key_and_a_held_refill_round_exit_1_too():
    # `run --help` said "then exit (1 if any failed)", while a run whose
    # panel refused the key (its jobs paused, "no failure") or whose refill
    # round was held exits 1 too, as README's exit codes say.
    from click.testing import CliRunner

    from tracker.cli.main import main

    text = " ".join(CliRunner().invoke(main, ["run", "--help"]).output.split())
    said = "then exit: 1 if any failed, a panel refused the key, or a refill round was held"
    assert said in text
