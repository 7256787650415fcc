"""End to end: a self-hosted panel script without a ``balance`` action (it
answers it as it answers any action it lacks: api-v2.md's generic refusal).

Before, every `run --once` on it exited 1 ("failed jobs: balance") and
`doctor` said FAIL, for ever. Now the missing action is learned as refill's
and cancel's are, the balance job skips it (asking again a day later), and
the commands say the panel has no balance action."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, json_reply
from simconfig import PanelClock, cli_in, sim_config

from tracker.sim.scripts import ScriptQuirks
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Nb7Qw2Lr5Tz9Xc3v"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A simulated panel lacking ``balance`` (and what else a test names), and
    the real CLI in a directory whose tracker.toml points at it."""
    servers: list[PanelServer] = []

    def make(*missing: str) -> Any:
        script = ScriptQuirks(missing_actions=("balance", *missing))
        panel = SimulatedPanel(key=KEY, clock=PanelClock(), seed=7, speed=60.0, script=script)
        servers.append(PanelServer(panel).start())
        config = sim_config(
            servers[-1].url,
            panel='timeout = "5s"\nretry_budget = "3s"',
            database='[refill]\nfirst_check = "0s"\ncooldown = "1s"\nunknown_service = "try"',
        )
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        return panel, cli

    yield make
    for server in servers:
        server.stop()


def _rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(tmp_path / "t.db")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def _learn_no_balance(cli: Any, *args: str) -> Any:
    """The first two runs on a panel without balance: its first refusal is
    that run's failure (one may be a flaky panel's), the second learns it."""
    first = cli("run", "--once", *args)
    assert first.exit_code == 1 and "failed jobs: balance" in first.stdout, first.output
    assert "learned missing if the next balance call is refused so too" in first.output
    second = cli("run", "--once", *args)
    assert second.exit_code == 0, second.output
    assert "no balance action" in second.stdout and "failed jobs" not in second.stdout
    return second


def test_a_panel_without_balance_is_learned_once_and_runs_clean(world, tmp_path):
    panel, cli = world()
    ids = panel.seed_orders(2, status="In progress")
    assert cli("track", *map(str, ids)).exit_code == 0
    _learn_no_balance(cli, "--all")  # refused twice in a row: learned
    for _ in range(3):
        result = cli("run", "--once", "--all")
        assert result.exit_code == 0, result.output  # before: 1, "failed jobs: balance"
        assert "no balance action" in result.stdout and "failed jobs" not in result.stdout
    assert panel.calls["balance"] == 2  # asked twice: the runs after it skip the job
    assert _rows(tmp_path, "SELECT panel, action, supported, evidence FROM panel_capabilities") == [
        ("sim", "balance", 0, "Incorrect request")
    ]
    kinds = [r[0] for r in _rows(tmp_path, "SELECT kind FROM alerts")]
    assert kinds.count("action_unsupported") == 1 and "auth_failed" not in kinds
    shown = cli("balance")
    assert shown.exit_code == 0
    assert "sim has no balance action" in shown.stderr and "no low-balance alert" in shown.stderr
    assert "no balance fetched yet" not in shown.stderr
    listed = json.loads(cli("balance", "--json").stdout)
    assert listed["no_balance_action"][0]["answer"] == "Incorrect request"
    doctor = cli("doctor")
    assert "FAIL" not in doctor.output, doctor.output  # before: "FAIL panel sim: ... failed"
    assert "warn panel sim" in doctor.output and "has no balance action" in doctor.output
    services = cli("services")
    assert "sim has no balance action" in services.stderr


def test_a_missing_balance_is_asked_again_a_day_later(world, tmp_path):
    panel, cli = world()
    _learn_no_balance(cli)
    assert panel.calls["balance"] == 2
    # A day passes (the row's time put back), and the script is updated.
    db = sqlite3.connect(tmp_path / "t.db")
    with db:
        db.execute("UPDATE panel_capabilities SET learned_at = '2000-01-01T00:00:00+00:00'")
    db.close()
    panel.script = ScriptQuirks()
    result = cli("run", "--once")
    assert result.exit_code == 0, result.output
    assert panel.calls["balance"] == 3 and "no balance action" not in result.stdout
    assert "balance 100.00 USD" in result.stdout
    assert _rows(tmp_path, "SELECT supported FROM panel_capabilities") == [(1,)]
    assert cli("doctor").exit_code == 0


def test_a_panel_lacking_balance_and_refill_keeps_its_key(world, tmp_path):
    # Both refused "Incorrect request": balance is then no witness of the key
    # (the same words there read as a refused key, and paused the panel).
    panel, cli = world("refill")
    ids = panel.seed_orders(2, status="Completed")
    assert cli("track", *map(str, ids), "--service", "1").exit_code == 0
    runs = [cli("run", "--once", "--all") for _ in range(4)]  # each refused twice: learned
    kinds = [r[0] for r in _rows(tmp_path, "SELECT kind FROM alerts")]
    assert "auth_failed" not in kinds, kinds
    first = runs[0]  # balance and refill refused once: that run's failures
    assert first.exit_code == 1 and "failed jobs: refill, balance" in first.stdout, first.output
    assert all(r.exit_code == 0 for r in runs[1:]), runs[-1].output
    assert all("paused" not in r.stdout for r in runs), runs[-1].output
    assert _rows(tmp_path, "SELECT action, supported FROM panel_capabilities ORDER BY 1") == [
        ("balance", 0),
        ("refill", 0),
    ]


def test_a_refused_key_stays_a_refused_key_on_a_panel_without_balance(world, tmp_path, monkeypatch):
    panel, cli = world()
    [order_id] = panel.seed_orders(1, status="In progress")
    assert cli("track", str(order_id)).exit_code == 0
    _learn_no_balance(cli)  # learned: no balance action
    monkeypatch.setenv("SIM_KEY", "not-the-key-0123456789")  # "Invalid API key" to all
    panel.calls.clear()
    result = cli("run", "--once", "--all")
    assert result.exit_code == 1  # the key refused
    kinds = [r[0] for r in _rows(tmp_path, "SELECT kind FROM alerts")]
    assert kinds == ["action_unsupported", "auth_failed"]
    # Another key than the one balance was learned missing with: its balance
    # job asks balance with it (refused as the key); or, when the poll met the
    # refusal first and paused the panel, the probe of a panel without balance
    # asks services (the two run side by side). What was learned is kept.
    assert panel.calls["balance"] + panel.calls["services"] >= 1 >= panel.calls["balance"]
    assert "no balance action" in result.stdout
    assert _rows(tmp_path, "SELECT action, supported FROM panel_capabilities") == [("balance", 0)]


def test_refill_by_hand_on_a_panel_lacking_balance_and_refill_is_no_refused_key(world):
    # A fresh process: no earlier answer vouches for the key. Balance refused
    # in the refill's own words was taken for the key's refusal.
    panel, cli = world("refill")
    [order_id] = panel.seed_orders(1, status="Completed")
    assert cli("track", str(order_id), "--service", "1").exit_code == 0
    first = cli("refill", str(order_id))  # refused once: this call's failure
    assert first.exit_code == 1
    assert "the panel refused the refill: " in first.output, first.output
    assert "key" not in first.output.lower()
    result = cli("refill", "--force", str(order_id))  # refused so again: no refill action
    assert result.exit_code == 1
    assert "does not support refill" in result.output, result.output
    assert "key" not in result.output.lower()


def test_a_paused_panel_without_balance_is_probed_with_services(world, tmp_path):
    # The balance job is also the probe that resumes a panel paused for its
    # key: with no balance to ask, it asks services, and that resumes it.
    from tracker.config.load import load_config
    from tracker.jobs.tracker import Tracker

    panel, cli = world()
    _learn_no_balance(cli)  # learned: no balance action
    tracker = Tracker(load_config(str(tmp_path / "tracker.toml"), env={"SIM_KEY": KEY}))
    try:
        tracker.watch.paused.add("sim")  # a status call refused the key meanwhile
        panel.calls.clear()
        assert tracker.watch.check_balance("sim") is True  # before: balance asked, failed
        assert "sim" not in tracker.watch.paused
        assert panel.calls["balance"] == 0 and panel.calls["services"] == 1
    finally:
        tracker.close()


def test_a_paused_panel_without_balance_still_refused_is_paused_not_failing(world, tmp_path):
    # Its services probe refused the key again, as the balance probe of a
    # panel with balance: counted a job failure at each probe, while the
    # panel was paused for it (smm_tracker_job_paused_total says that).
    from tracker.config.load import load_config
    from tracker.jobs.tracker import Tracker
    from tracker.service.jobstats import JobStats
    from tracker.service.runs import run_once

    panel, cli = world()
    _learn_no_balance(cli)  # learned: no balance action
    tracker = Tracker(load_config(str(tmp_path / "tracker.toml"), env={"SIM_KEY": KEY}))
    try:
        tracker.watch.paused.add("sim")  # a status call refused the key meanwhile
        panel.key = "the-panels-new-key-0123"  # and the key is still refused
        panel.calls.clear()
        probe = [job for job in tracker.jobs() if job.name == "balance:sim"]
        stats = JobStats()
        assert run_once(probe, stats) is False  # no success: the panel stays paused
        assert panel.calls["services"] == 1  # asked all the same
        assert stats.failures == 0 and stats.paused_by_job["balance:sim"] == 1
        assert "sim" in tracker.watch.paused
    finally:
        tracker.close()


def test_auth_failed_on_a_panel_without_balance_names_the_services_probe(
    world, tmp_path, monkeypatch
):
    # The alert said "A balance check every 15m resumes them": on a panel
    # without balance the check that resumes it is a services call. (The
    # daemon's alert: `run --once` says the next run tries the key again,
    # tests/test_cron_due.py.)
    from tracker.config.load import load_config
    from tracker.jobs.tracker import Tracker

    panel, cli = world()
    [order_id] = panel.seed_orders(1, status="In progress")
    assert cli("track", str(order_id)).exit_code == 0
    _learn_no_balance(cli)  # learned: no balance action
    tracker = Tracker(load_config(str(tmp_path / "tracker.toml"), env={"SIM_KEY": KEY}))
    try:  # the daemon: a status call refused the key
        tracker.watch.auth_refused("sim", "status: Invalid API key", by="status")
    finally:
        tracker.close()
    [(message,)] = _rows(tmp_path, "SELECT message FROM alerts WHERE kind = 'auth_failed'")
    assert "A services call every 15m (the panel has no balance action) resumes them" in message
    assert "balance check" not in message


def test_a_key_fixed_ends_its_refusal_on_a_panel_without_balance(world, tmp_path, monkeypatch):
    # The pause is not kept across a restart or reload, the auth_failed
    # episode is: a panel with balance ends it at its first balance answer.
    # Without balance the job asked nothing, so the episode stayed open: no
    # auth_recovered, doctor saying the key refused and the jobs paused.
    panel, cli = world()
    [order_id] = panel.seed_orders(1, status="In progress")
    assert cli("track", str(order_id)).exit_code == 0
    _learn_no_balance(cli)  # learned: no balance action
    monkeypatch.setenv("SIM_KEY", "not-the-key-0123456789")
    assert cli("run", "--once", "--all").exit_code == 1  # auth_failed
    monkeypatch.setenv("SIM_KEY", KEY)  # the key fixed; the tracker run again
    panel.calls.clear()
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    kinds = [r[0] for r in _rows(tmp_path, "SELECT kind FROM alerts")]
    assert kinds == ["action_unsupported", "auth_failed", "auth_recovered"], kinds
    assert panel.calls["balance"] == 0  # asked services, as a paused panel's probe
    doctor = cli("doctor")
    assert "refused" not in doctor.output, doctor.output  # before: "the API key was refused"


def test_a_services_refusal_on_a_panel_without_balance_is_no_refused_key(tmp_path, monkeypatch):
    # services was its own witness on such a panel: asked again, it said the
    # same, read as the key refused: the panel paused, auth_failed raised.
    def answer(form: dict[str, str]) -> Any:
        action = form.get("action")
        if action == "services":
            return json_reply({"error": "The service list is disabled for API users"})
        if action == "status":
            item = {"status": "In progress", "charge": "1", "remains": "5", "currency": "USD"}
            return json_reply({i: item for i in form.get("orders", "").split(",") if i})
        return json_reply({"error": "Incorrect request"})  # balance, and any unknown action

    server = HostileServer(answer).start()
    try:
        cli = cli_in(
            tmp_path,
            monkeypatch,
            sim_config(server.url, panel='timeout = "5s"\nretry_budget = "3s"'),
            env={"SIM_KEY": KEY},
        )
        assert cli("track", "501").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 1  # services failed; balance learned
        result = cli("run", "--once", "--all")  # starts knowing the panel lacks balance
        kinds = [r[0] for r in _rows(tmp_path, "SELECT kind FROM alerts")]
        assert "auth_failed" not in kinds, (kinds, result.output)
        assert "paused" not in result.stdout, result.output
        assert _rows(tmp_path, "SELECT action, supported FROM panel_capabilities") == [
            ("balance", 0)
        ]
        refreshed = cli("services", "--refresh")
        assert refreshed.exit_code == 1
        assert "The service list is disabled for API users" in refreshed.output
        assert "key" not in refreshed.output.lower(), refreshed.output
    finally:
        server.stop()
