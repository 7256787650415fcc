"""End to end: the CLI against a simulated panel that behaves like a real PHP
panel script (issue 10): free key-refusal wording, PHP notices before the JSON,
`{}` answers, a poisoned ID, misfiled multi answers, an empty catalogue."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from simconfig import PanelClock, sim_config

from tracker.cli.main import main
from tracker.sim.scripts import ScriptQuirks
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Rw3Hc9Vb2Kd7Ps5n"
TERMINAL = ("Completed", "Partial", "Canceled", "Refunded")


class RealPanel:
    """One simulated panel script served over loopback, a config for it in
    ``home``, and the CLI pointed at that config."""

    def __init__(
        self,
        home: Path,
        clock: PanelClock,
        script: ScriptQuirks,
        schedule: str = "",
        **options: Any,
    ):
        home.mkdir(parents=True, exist_ok=True)
        self.home, self.clock = home, clock
        self.panel = SimulatedPanel(
            key=KEY, clock=clock, seed=7, speed=60.0, script=script, **options
        )
        self.server = PanelServer(self.panel).start()
        schedule = f'status_every = "1m"\nstatus_max_every = "1m"\n{schedule}'
        (home / "tracker.toml").write_text(
            sim_config(
                self.server.url, panel='timeout = "5s"\nretry_budget = "3s"', schedule=schedule
            )
        )
        self.env = {"SIM_KEY": KEY, "SMM_TRACKER_CONFIG": str(home / "tracker.toml")}

    def cli(self, *args: str, key: str | None = None) -> Result:
        env = {**self.env, "SIM_KEY": key or KEY}
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        db = sqlite3.connect(self.home / "t.db")
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def statuses(self) -> dict[int, tuple[str | None, int, str | None]]:
        rows = self.rows("SELECT order_id, status, polling, error FROM orders")
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def alert_kinds(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT kind FROM alerts ORDER BY id")]


@pytest.fixture
def real_panel(tmp_path, monkeypatch) -> Any:
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    made: list[RealPanel] = []
    clock = PanelClock()

    def make(name: str = "a", script: ScriptQuirks | None = None, **options: Any) -> RealPanel:
        made.append(RealPanel(tmp_path / name, clock, script or ScriptQuirks(), **options))
        return made[-1]

    yield make
    for one in made:
        one.server.stop()


def test_unknown_refusal_wording_is_a_refused_key_and_loses_no_order(real_panel):
    words = "API access for this user has been switched off by the administrator"
    world = real_panel(script=ScriptQuirks(key_refusal=words))
    [order_id] = world.panel.seed_orders(1, status="In progress")
    assert world.cli("track", str(order_id)).exit_code == 0
    for _ in range(4):
        result = world.cli("run", "--once", "--all", key="not-the-key-0123456789")
        assert result.exit_code == 1
        world.clock.now += 60
    assert world.statuses()[order_id] == (None, 1, None)  # the refusal is not the order's
    assert world.cli("run", "--once", "--all").exit_code == 0
    status, polling, error = world.statuses()[order_id]
    assert status == world.panel.order(order_id).status and polling == 1 and error is None
    kinds = world.alert_kinds()
    assert kinds.count("auth_failed") == 1 and kinds.count("auth_recovered") == 1
    assert world.rows("SELECT count(*) FROM orders WHERE polling = 0") == [(0,)]


def _lockstep(world: RealPanel, ids: list[int], steps: int) -> list[tuple[Any, ...]]:
    assert world.cli("track", *map(str, ids)).exit_code == 0
    for _ in range(steps):
        result = world.cli("run", "--once", "--all")
        assert result.exit_code == 0, result.output
        world.clock.now += 60
    return world.rows(
        "SELECT order_id, from_status, to_status, remains FROM transitions ORDER BY order_id, id"
    )


@pytest.mark.parametrize("notices", ["html", "plain"])
def test_notices_before_every_answer_change_nothing(real_panel, notices):
    clean = real_panel("clean")
    noisy = real_panel("noisy", ScriptQuirks(notices=notices))
    ids = clean.panel.seed_orders(30, spread=240)
    assert noisy.panel.seed_orders(30, spread=240) == ids
    start = clean.clock.now
    expected = _lockstep(clean, ids, 8)
    clean.clock.now = start
    recorded = _lockstep(noisy, ids, 8)
    assert len(expected) > 60 and recorded == expected
    added = noisy.cli("add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100")
    assert added.exit_code == 0, added.output
    order_id = int(added.stdout.strip())
    assert noisy.panel.order(order_id).quantity == 100
    assert noisy.panel.calls["add"] == 1
    assert "invalid JSON" not in added.output


def test_three_empty_answers_then_healthy_ones_every_order_is_polled_again(real_panel):
    world = real_panel()
    ids = world.panel.seed_orders(60, spread=120)
    assert world.cli("track", *map(str, ids)).exit_code == 0
    world.panel.inject("empty", count=3, action="status")
    # The runs after the first say it at debug: told by the first, its failing
    # polls (status_failing's run, kept in alert_state) going on.
    for level in ("info", "debug", "debug"):
        result = world.cli("--log-level", level, "run", "--once", "--all")
        assert result.exit_code == 1 and "none of the 60 asked IDs" in result.output
    assert {v for v in world.statuses().values()} == {(None, 1, None)}
    assert world.cli("run", "--once", "--all").exit_code == 0
    found = world.statuses()
    assert all(found[i] == (world.panel.order(i).status, found[i][1], None) for i in ids)
    assert all(polling == 1 or status in TERMINAL for status, polling, _ in found.values())


def test_one_poisoned_id_among_250_the_others_get_their_statuses_in_the_first_run(real_panel):
    world = real_panel(script=ScriptQuirks(whole_call_refusal=True))
    ids = world.panel.seed_orders(249)
    bogus = 999_999
    assert world.cli("track", *map(str, [*ids[:120], bogus, *ids[120:]])).exit_code == 0
    result = world.cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    found = world.statuses()
    assert all(found[i] == (world.panel.order(i).status, 1, None) for i in ids)
    assert found[bogus] == (None, 1, "Incorrect order ID")  # backs off; polled again later
    assert world.panel.calls["status"] < 40


def test_a_misfiled_multi_answer_loses_no_order(real_panel):
    world = real_panel(script=ScriptQuirks(misfiled=True))
    ids = world.panel.seed_orders(150, status="In progress")
    assert world.cli("track", *map(str, ids)).exit_code == 0
    for _ in range(3):
        assert world.cli("run", "--once", "--all").exit_code == 0
        world.clock.now += 60
    found = world.statuses()
    assert all(found[i] == (world.panel.order(i).status, 1, None) for i in ids)
    # Each multi call misfiled one order, asked again alone with order=.
    assert world.panel.calls["status:single"] == 2 * 3


@pytest.mark.parametrize("catalogue", ["error", "list"])
def test_no_services_available_is_an_empty_catalogue(real_panel, catalogue):
    world = real_panel(script=ScriptQuirks(empty_catalogue=catalogue))
    result = world.cli("run", "--once")
    assert result.exit_code == 0, result.output
    listed = world.cli("services", "--json")
    assert listed.exit_code == 0 and json.loads(listed.stdout) == []
    assert "sim listed no services at its last sync" in listed.stderr  # none, not unsynced


@pytest.mark.parametrize("catalogue", ["error", "list"])
def test_services_refresh_of_an_empty_catalogue_names_the_panel_and_the_hint(real_panel, catalogue):
    world = real_panel(script=ScriptQuirks(empty_catalogue=catalogue))
    result = world.cli("services", "--refresh")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    # Not "no services stored yet ... or pass --refresh": it was passed. Nor
    # "the panel lists none": which panel, and the hint plain `services` gives.
    said = "no services: sim lists none: its catalogue is empty, or its API key sees no services"
    assert result.stderr.endswith(f"{said}\n"), result.stderr


def test_a_service_listed_twice_differently_is_believed_in_neither_listing(real_panel):
    world = real_panel(script=ScriptQuirks(twice_listed=True))
    result = world.cli("run", "--once")
    assert result.exit_code == 0, result.output
    assert world.alert_kinds().count("service_ambiguous") == 1
    listed = json.loads(world.cli("services", "--json").stdout)
    # Service 1 (refill, max 100000) listed again without refill, max 10000:
    # never synced before, so it stays unknown; the rest are stored.
    assert 1 not in {s["service"] for s in listed}
    assert {2, 3, 4, 5, 6} <= {s["service"] for s in listed}


def test_an_order_the_panel_lost_stops_with_an_alert_and_track_resumes_it(real_panel):
    world = real_panel(schedule='unknown_give_up = "0s"')  # give up at the first "unknown"
    [order_id] = world.panel.seed_orders(1, status="In progress")
    lost = 777_777
    assert world.cli("track", str(order_id), str(lost)).exit_code == 0
    assert world.cli("run", "--once", "--all").exit_code == 0
    stopped = world.rows(
        "SELECT polling, stopped_by, stop_reason, stopped_at IS NOT NULL FROM orders "
        "WHERE order_id = ?",
        lost,
    )
    assert stopped == [(0, "panel", "Incorrect order ID", 1)]
    assert world.alert_kinds() == ["order_lost"]
    message = world.rows("SELECT message FROM alerts")[0][0]
    assert f"#{lost}" in message and "Incorrect order ID" in message
    resumed = world.cli("track", str(lost))
    assert resumed.exit_code == 0
    assert "resumed 1 stopped order:" in resumed.output and "Incorrect order ID" in resumed.output
    assert world.rows(
        "SELECT polling, stopped_by, stop_reason, stopped_at, error FROM orders WHERE order_id = ?",
        lost,
    ) == [(1, None, None, None, None)]
    assert world.statuses()[order_id][1] == 1  # the healthy order never stopped


def test_track_never_silently_overwrites_stored_details(real_panel):
    world = real_panel()
    link = "https://x.example/a"
    assert world.cli("track", "5001", "--service", "1", "--link", link).exit_code == 0
    again = world.cli("track", "5001", "--service", "2", "--quantity", "300")
    assert again.exit_code == 0
    assert "stored service is 1, given 2: kept 1 (pass --update to overwrite)" in again.output
    row = "SELECT service, link, quantity FROM orders WHERE order_id = 5001"
    assert world.rows(row) == [(1, link, 300)]  # the missing quantity was filled in
    updated = world.cli("track", "5001", "--service", "2", "--update")
    assert "service 1 -> 2 (updated)" in updated.output
    assert world.rows(row) == [(2, link, 300)]


def test_a_panel_without_refill_gets_one_request_per_learning(real_panel):
    script = ScriptQuirks(missing_actions=("refill", "refill_status", "cancel"))
    world = real_panel(script=script)
    config = world.home / "tracker.toml"
    config.write_text(
        config.read_text() + '[refill]\nfirst_check = "0s"\ncooldown = "1s"\n'
        'unknown_service = "try"\n'
    )
    ids = world.panel.seed_orders(3, status="Completed")
    assert world.cli("track", *map(str, ids), "--service", "1").exit_code == 0
    for run in range(4):  # every run is past the cooldown: without learning, 4 requests
        result = world.cli("run", "--once", "--all")
        assert result.exit_code == (1 if run == 0 else 0), result.output  # refused once: failed
    # Two runs' refill request for one order (single), refused alike twice in a
    # row: learned (one may be a flaky panel's); the multi-order call before each
    # was refused as a whole, as a clone reading only `order` would: it asked nothing.
    assert world.panel.calls["refill:single"] == 2 and world.panel.calls["refill:multi"] == 2
    assert world.alert_kinds().count("action_unsupported") == 1
    assert world.rows("SELECT panel, action, supported FROM panel_capabilities") == [
        ("sim", "refill", 0)
    ]
    doctor = world.cli("doctor")
    assert "warn panel sim: does not support refill" in doctor.output
    services = world.cli("services")
    assert "sim does not support refill" in services.output
    # The user asks anyway: one request, refused the same way, learned again.
    manual = world.cli("refill", str(ids[2]))  # never asked: no cooldown in the way
    assert manual.exit_code == 1 and "does not support refill" in manual.output, manual.output
    assert world.panel.calls["refill:single"] == 3
    world.panel.script = ScriptQuirks()  # the panel gains refill
    manual = world.cli("refill", str(ids[1]))
    assert manual.exit_code == 0, manual.output
    # A note on stderr: stdout holds the one result line a script reads.
    assert "note: sim accepts refill requests again" in manual.stderr
    assert manual.stdout.startswith("refill ") and len(manual.stdout.splitlines()) == 1
    assert world.rows("SELECT supported FROM panel_capabilities") == [(1,)]


def test_an_explicit_per_order_refusal_keeps_its_meaning(real_panel):
    world = real_panel()
    config = world.home / "tracker.toml"
    config.write_text(config.read_text() + '[refill]\nfirst_check = "0s"\ncooldown = "1s"\n')
    ids = world.panel.seed_orders(2, status="Completed", service=2)  # service 2: no refill
    assert world.cli("track", *map(str, ids), "--service", "1").exit_code == 0
    for _ in range(2):
        assert world.cli("run", "--once", "--all").exit_code == 0
    refused = world.rows("SELECT DISTINCT error FROM refills")
    assert world.panel.calls["refill"] >= 1 and refused and "refill" in refused[0][0].lower()
    assert world.rows("SELECT count(*) FROM panel_capabilities") == [(0,)]
    assert "action_unsupported" not in world.alert_kinds()


def _listed(world: RealPanel, order_id: int) -> list[str]:
    lines = world.cli("orders", "--all").output.splitlines()
    return next(line.split() for line in lines if f" {order_id} " in f" {line} ")


def test_remains_zero_while_pending_is_not_shown_as_delivered(real_panel):
    world = real_panel(script=ScriptQuirks(pending_remains_zero=True))
    [pending] = world.panel.seed_orders(1, status="Pending", quantity=1000)
    [moving] = world.panel.seed_orders(1, status="In progress", quantity=1000)
    assert world.cli("track", str(pending), str(moving), "--quantity", "1000").exit_code == 0
    assert world.cli("run", "--once", "--all").exit_code == 0
    assert world.rows("SELECT remains FROM orders WHERE order_id = ?", pending) == [(0,)]
    row = _listed(world, pending)
    assert "Pending" in row and not any("/1000" in cell for cell in row)
    remains = world.panel.order(moving).remains
    assert f"{1000 - remains}/1000" in _listed(world, moving)


def test_a_drip_feed_order_keeps_runs_and_is_counted_whole(real_panel):
    world = real_panel()
    placed = world.cli(
        "add",
        "--service",
        "3",
        "--link",
        "https://x.example/v",
        "--quantity",
        "600",
        "--runs",
        "5",
        "--interval",
        "30",
    )
    assert placed.exit_code == 0, placed.output
    order_id = int(placed.stdout.strip())
    stored = 'SELECT quantity, runs, "interval" FROM orders WHERE order_id = ?'
    assert world.rows(stored, order_id) == [(600, 5, 30)]
    for _ in range(40):  # until the panel reports delivery
        world.clock.now += 120
        assert world.cli("run", "--once", "--all").exit_code == 0
        if world.panel.order(order_id).status != "Pending":
            break
    [(remains,)] = world.rows("SELECT remains FROM orders WHERE order_id = ?", order_id)
    assert remains == world.panel.order(order_id).remains < 3000
    assert world.panel.order(order_id).quantity == 3000  # the panel counts runs x quantity
    assert f"{3000 - remains}/3000" in _listed(world, order_id)


def test_a_drip_feed_order_tracked_without_its_runs_shows_no_negative_delivery(real_panel):
    world = real_panel()
    # The panel's order is 3000 (5 runs of 600, say); tracked as 1000, no --runs.
    [moving] = world.panel.seed_orders(1, status="In progress", quantity=3000)
    assert world.cli("track", str(moving), "--quantity", "1000").exit_code == 0
    assert world.cli("run", "--once", "--all").exit_code == 0
    [(remains,)] = world.rows("SELECT remains FROM orders WHERE order_id = ?", moving)
    assert remains > 1000
    row = _listed(world, moving)
    assert "In" in row and not any("/1000" in cell for cell in row), row
    shown = world.rows("SELECT delivered FROM order_overview WHERE order_id = ?", moving)
    assert shown == [(None,)]


def test_a_panel_without_refill_status_is_asked_once_per_learning(real_panel):
    world = real_panel(script=ScriptQuirks(missing_actions=("refill_status",)))
    config = world.home / "tracker.toml"
    config.write_text(config.read_text() + '[refill]\nfirst_check = "0s"\ncooldown = "1d"\n')
    ids = world.panel.seed_orders(3, status="Completed")
    assert world.cli("track", *map(str, ids), "--service", "1").exit_code == 0
    assert world.cli("run", "--once", "--all").exit_code == 0  # refills requested
    assert world.rows("SELECT count(*) FROM refills WHERE refill_id IS NOT NULL") == [(3,)]
    # The first refusal is that run's failure; the second learns it.
    assert world.cli("run", "--once", "--all").exit_code == 1
    for _ in range(3):
        assert world.cli("run", "--once", "--all").exit_code == 0
    # Per learning run: one multi call refused as a whole (as a single-ID clone
    # would), one single.
    assert world.panel.calls["refill_status"] == 4
    assert world.alert_kinds().count("action_unsupported") == 1
    assert world.rows("SELECT action, supported FROM panel_capabilities") == [("refill_status", 0)]


def test_simulate_quirks_are_read_from_words():
    from tracker.sim.scripts import quirks_from

    script = quirks_from(["notices=html", "misfiled", "missing_actions=refill,cancel"])
    assert script == ScriptQuirks(
        notices="html", misfiled=True, missing_actions=("refill", "cancel")
    )
    with pytest.raises(ValueError, match="unknown quirk 'nope'"):
        quirks_from(["nope"])
    with pytest.raises(ValueError, match="notices: .xml. is not one of: html, plain"):
        quirks_from(["notices=xml"])
