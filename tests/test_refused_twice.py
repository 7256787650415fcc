"""A panel's action is learned missing at its second refusal in a missing
action's words ("Incorrect request"), never at one: a flaky panel answering
one call so and the next normally keeps its refill and balance.

Before, one such refusal of ``refill`` or ``balance`` learned the action
missing for a day (a fuzz soak against a panel giving random generic
refusals learned 35 ``refill`` and 52 ``balance`` rows). Through the real
CLI (`run --once`, `refill ID`) and the daemon's jobs (a Tracker's refill
round and balance check), against the simulated panel over loopback.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from refill_world import DAY
from simconfig import PanelClock, cli_in, sim_config

from tracker.config.load import load_config
from tracker.jobs.tracker import Tracker
from tracker.sim.orders import SimRefusal
from tracker.sim.scripts import ScriptQuirks
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Tw4Qx8Lr2Nz6Vc9b"
MISSING_BALANCE = ScriptQuirks(missing_actions=("balance",))
MISSING_REFILL = ScriptQuirks(missing_actions=("refill",))


@pytest.fixture
def cron(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The simulated panel (its script switched by a test between runs) and
    the real CLI in a directory whose tracker.toml points at it."""
    panel = SimulatedPanel(key=KEY, clock=PanelClock(), seed=7, speed=60.0)
    server = PanelServer(panel).start()
    config = sim_config(
        server.url,
        panel='timeout = "5s"\nretry_budget = "3s"',
        database='[refill]\nfirst_check = "0s"\ncooldown = "1s"\nunknown_service = "try"',
    )
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    yield panel, cli
    server.stop()


def _rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(tmp_path / "t.db")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def _learned(tmp_path: Path) -> list[tuple[Any, ...]]:
    return _rows(tmp_path, "SELECT action FROM panel_capabilities WHERE supported = 0")


def _kinds(tmp_path: Path) -> list[str]:
    return [r[0] for r in _rows(tmp_path, "SELECT kind FROM alerts")]


# --- balance, under cron ---------------------------------------------------------


def test_a_flaky_balance_refusal_is_never_learned_across_runs(cron, tmp_path):
    # Refused, answered, refused, answered: never twice in a row.
    panel, cli = cron
    [order_id] = panel.seed_orders(1, status="In progress")
    assert cli("track", str(order_id)).exit_code == 0
    for run in range(4):
        panel.script = MISSING_BALANCE if run % 2 == 0 else ScriptQuirks()
        result = cli("run", "--once")
        if run % 2 == 0:  # that call's failure, as a timeout's would be
            assert result.exit_code == 1, result.output  # before: 0, learned missing
            assert "failed jobs: balance" in result.stdout, result.output
            assert "learned missing if the next balance call is refused so too" in result.output
        else:
            assert result.exit_code == 0, result.output
            assert "balance 100.00 USD" in result.stdout, result.output
        assert "no balance action" not in result.stdout, result.output
    assert panel.calls["balance"] == 4  # asked at every run: never skipped for a day
    assert _learned(tmp_path) == []
    assert "action_unsupported" not in _kinds(tmp_path)
    shown = cli("balance")
    assert "no balance action" not in shown.output, shown.output


def test_a_missing_balance_is_learned_at_the_second_run(cron, tmp_path):
    panel, cli = cron
    panel.script = MISSING_BALANCE  # refused at every call
    first = cli("run", "--once")
    assert first.exit_code == 1 and "failed jobs: balance" in first.stdout, first.output
    assert _learned(tmp_path) == []  # before: learned at this first refusal
    second = cli("run", "--once")
    assert second.exit_code == 0, second.output
    assert "no balance action" in second.stdout
    assert _learned(tmp_path) == [("balance",)]
    assert _kinds(tmp_path) == ["action_unsupported"]
    third = cli("run", "--once")
    assert third.exit_code == 0 and panel.calls["balance"] == 2  # skipped for a day


# --- balance, the daemon's checks, and the daemon then cron ------------------------


def test_the_daemon_learns_balance_missing_at_its_second_check_only(cron, tmp_path):
    panel, cli = cron
    assert cli("run", "--once").exit_code == 0  # the database made, balance answered
    tracker = Tracker(load_config(str(tmp_path / "tracker.toml"), env={"SIM_KEY": KEY}))
    try:
        for flaky in (MISSING_BALANCE, ScriptQuirks(), MISSING_BALANCE, ScriptQuirks()):
            panel.script = flaky
            assert tracker.watch.check_balance("sim") is (flaky is not MISSING_BALANCE)
        assert _learned(tmp_path) == []  # before: learned at the first check
        panel.script = MISSING_BALANCE
        assert tracker.watch.check_balance("sim") is False  # the first in a row
        assert _learned(tmp_path) == []
    finally:
        tracker.close()
    # The next process (cron, a restart) counts on from the daemon's refusal.
    result = cli("run", "--once")
    assert result.exit_code == 0, result.output
    assert "no balance action" in result.stdout
    assert _learned(tmp_path) == [("balance",)]


# --- refill, under cron and by hand ------------------------------------------------


def test_a_missing_refill_is_learned_at_the_second_run_the_order_kept(cron, tmp_path):
    panel, cli = cron
    panel.script = MISSING_REFILL
    [order_id] = panel.seed_orders(1, status="Completed")
    assert cli("track", str(order_id), "--service", "1").exit_code == 0
    first = cli("run", "--once", "--all")
    assert first.exit_code == 1 and "failed jobs: refill" in first.stdout, first.output
    assert "learned missing if the next refill call is refused so too" in first.output
    assert _learned(tmp_path) == []  # before: learned at this first refusal
    assert _rows(tmp_path, "SELECT count(*) FROM refills") == [(0,)]  # nothing recorded
    assert _rows(tmp_path, "SELECT status FROM orders") == [("Completed",)]
    second = cli("run", "--once", "--all")  # its refill still due: asked again
    assert second.exit_code == 0, second.output
    assert _learned(tmp_path) == [("refill",)]
    assert _kinds(tmp_path) == ["action_unsupported"]
    assert panel.calls["refill:single"] == 2


def test_refill_by_hand_refused_once_then_accepted_learns_nothing(cron, tmp_path):
    panel, cli = cron
    [order_id] = panel.seed_orders(1, status="Completed")
    assert cli("track", str(order_id), "--service", "1").exit_code == 0
    panel.script = MISSING_REFILL
    refused = cli("refill", str(order_id))
    assert refused.exit_code == 1
    assert "the panel refused the refill: " in refused.output, refused.output
    assert "does not support refill" not in refused.output  # before: learned missing
    assert _learned(tmp_path) == []
    panel.script = ScriptQuirks()  # it answers the next one
    accepted = cli("refill", "--force", str(order_id))  # --force: the refusal was recorded
    assert accepted.exit_code == 0, accepted.output
    assert accepted.stdout.startswith("refill ") and "note:" not in accepted.output
    assert _learned(tmp_path) == []
    panel.script = MISSING_REFILL  # refused so again: the accepted one came between
    again = cli("refill", "--force", str(order_id))  # --force: its refill is open
    assert again.exit_code == 1
    assert "the panel refused the refill: " in again.output, again.output
    assert _learned(tmp_path) == []


# --- refill, the daemon's rounds ---------------------------------------------------


class FlakyRefillPanel(SimulatedPanel):
    """Refuses every refill call in its generic words while ``refusing``."""

    refusing = False

    def _refill(self, form: Mapping[str, str], now: float):
        if self.refusing:
            raise SimRefusal("Incorrect request")
        return super()._refill(form, now)


def test_a_flaky_refill_refusal_is_never_learned_by_the_daemon(world):
    # The daemon's rounds: refused, accepted, refused, accepted.
    w = world(refill='cooldown = "1s"', panel_class=FlakyRefillPanel)
    [order_id] = w.dropped(1)
    w.panel.refusing = True
    assert w.round() is False  # that round's failure
    assert w.requests(order_id) == []  # nothing recorded: the refill stays due
    assert w.store.rows("SELECT action FROM panel_capabilities") == []  # before: refill
    w.panel.refusing = False
    assert w.round() is True
    assert [r["refill_id"] is not None for r in w.requests(order_id)] == [True]
    w.clock.advance(DAY)  # its refill done, the cooldown past: due again
    w.panel.drop(order_id, 30)
    w.panel.refusing = True
    assert w.round() is False  # refused again, but an accepted refill came between
    assert len(w.requests(order_id)) == 1
    assert w.store.rows("SELECT action FROM panel_capabilities") == []
    w.panel.refusing = False
    assert w.round() is True
    assert len(w.requests(order_id)) == 2
    assert w.store.rows("SELECT action FROM panel_capabilities") == []
    kinds = [r["kind"] for r in w.store.rows("SELECT kind FROM alerts")]
    assert "action_unsupported" not in kinds


# --- the panel's URL: a first refusal counts where it was given ----------------------


def test_a_first_refusal_at_the_old_url_counts_not_at_the_new_one(cron, tmp_path):
    panel, cli = cron
    panel.script = MISSING_BALANCE  # refused at every call, at either URL
    first = cli("run", "--once")
    assert first.exit_code == 1 and "failed jobs: balance" in first.stdout, first.output
    toml = tmp_path / "tracker.toml"
    old = toml.read_text()
    [url] = [line.split('"')[1] for line in old.splitlines() if line.startswith("url = ")]
    toml.write_text(old.replace(url, url + "?via=mirror"))  # another URL, the same panel
    moved = cli("run", "--once")
    # Before: learned missing here, from the refusal at the old URL.
    assert moved.exit_code == 1 and "failed jobs: balance" in moved.stdout, moved.output
    assert "no balance action" not in moved.stdout
    assert _learned(tmp_path) == []
    kinds = _rows(tmp_path, "SELECT kind FROM alert_state WHERE kind GLOB 'balance_refused*'")
    assert len(kinds) == 1  # the old URL's first refusal deleted with the new one's
    again = cli("run", "--once")  # refused so again at the new URL: learned
    assert again.exit_code == 0 and "no balance action" in again.stdout, again.output
    assert _learned(tmp_path) == [("balance",)]
    assert _rows(
        tmp_path, "SELECT count(*) FROM alert_state WHERE kind GLOB '*_refused_once*'"
    ) == [(0,)]


# --- refill_status and cancel, learned alike ------------------------------------------

MISSING_REFILL_STATUS = ScriptQuirks(missing_actions=("refill_status",))
MISSING_CANCEL = ScriptQuirks(missing_actions=("cancel",))


def test_a_flaky_refill_status_refusal_is_never_learned_across_runs(cron, tmp_path):
    panel, cli = cron
    [order_id] = panel.seed_orders(1, status="Completed")
    assert cli("track", str(order_id), "--service", "1").exit_code == 0
    assert cli("run", "--once", "--all").exit_code == 0  # its refill requested
    assert _rows(tmp_path, "SELECT count(*) FROM refills WHERE refill_id IS NOT NULL") == [(1,)]
    for script in (MISSING_REFILL_STATUS, ScriptQuirks(), MISSING_REFILL_STATUS):
        panel.script = script
        result = cli("run", "--once", "--all")
        if script is MISSING_REFILL_STATUS:  # that call's failure: before, learned missing
            assert result.exit_code == 1 and "failed jobs: refill" in result.stdout, result.output
        else:
            assert result.exit_code == 0, result.output
        assert _learned(tmp_path) == []
    assert "action_unsupported" not in _kinds(tmp_path)
    again = cli("run", "--once", "--all")  # the second in a row: learned
    assert again.exit_code == 0, again.output
    assert _learned(tmp_path) == [("refill_status",)]
    assert _kinds(tmp_path) == ["action_unsupported"]


def test_cancel_by_hand_refused_once_then_accepted_learns_nothing(cron, tmp_path):
    panel, cli = cron
    first, second = panel.seed_orders(2, status="Pending")
    assert cli("track", str(first), str(second)).exit_code == 0
    panel.script = MISSING_CANCEL
    refused = cli("cancel", "--yes", str(first))
    assert refused.exit_code == 1
    assert f"#{first}  refused: Incorrect request" in refused.stdout, refused.output
    # Before: "note: sim has no cancel action: the automation sends no cancels there".
    assert "has no cancel action" not in refused.stderr, refused.output
    assert "learned missing if the next cancel call is refused so too" in refused.stderr
    assert _learned(tmp_path) == []
    panel.script = ScriptQuirks()  # it answers the next one
    accepted = cli("cancel", "--yes", str(first))
    assert accepted.exit_code == 0, accepted.output
    panel.script = MISSING_CANCEL  # refused so again: the accepted one came between
    again = cli("cancel", "--yes", str(second))
    assert again.exit_code == 1 and "has no cancel action" not in again.stderr, again.output
    assert _learned(tmp_path) == []
    last = cli("cancel", "--yes", str(second))  # the second in a row: learned
    assert "note: sim has no cancel action" in last.stderr, last.output
    assert _learned(tmp_path) == [("cancel",)]


# --- doctor: one call refused so is no learning ------------------------------------


def test_doctor_says_one_balance_refusal_is_no_missing_action_until_learned(cron, tmp_path):
    panel, cli = cron
    panel.script = MISSING_BALANCE
    assert cli("run", "--once").exit_code == 1  # the first refusal: nothing learned
    doctor = cli("doctor")
    # Before: "answers, but has no balance action", from its one call refused so.
    assert "has no balance action" not in doctor.output, doctor.output
    assert "warn panel sim" in doctor.output and "FAIL panel" not in doctor.output
    assert "refused balance in the words of a missing action ('Incorrect request'" in (
        doctor.output
    )
    assert "learned missing only if refused again" in doctor.output
    assert cli("run", "--once").exit_code == 0  # the second: learned
    learned = cli("doctor")
    assert "answers, but has no balance action" in learned.output, learned.output
    assert "learned missing only if refused again" not in learned.output


# --- one order at a time: learned from two multi-order calls refused so -------------


def _one_at_a_time(tmp_path: Path, action: str) -> list[tuple[Any, ...]]:
    sql = f"SELECT supported FROM panel_capabilities WHERE action = '{action}'"
    return _rows(tmp_path, sql)


def test_statuses_go_one_at_a_time_only_after_two_polls_refusing_orders(cron, tmp_path):
    panel, cli = cron
    ids = panel.seed_orders(3, status="In progress")
    assert cli("track", *map(str, ids)).exit_code == 0
    # orders= refused (order= read), answered, refused: never twice in a row.
    for reads_orders in (False, True, False):
        panel.multi_status = reads_orders
        assert cli("run", "--once", "--all").exit_code == 0
        assert _one_at_a_time(tmp_path, "status_orders") == []  # before: learned at once
    panel.calls.clear()
    assert cli("run", "--once", "--all").exit_code == 0  # refused so again: learned
    assert panel.calls["status:multi"] >= 1
    assert _one_at_a_time(tmp_path, "status_orders") == [(0,)]
    panel.calls.clear()
    assert cli("run", "--once", "--all").exit_code == 0
    assert panel.calls["status:multi"] == 0 and panel.calls["status:single"] == 3


class FlakyMultiRefillPanel(SimulatedPanel):
    """Refuses multi-order refill calls in its generic words while ``refusing``."""

    refusing = False

    def _refill(self, form: Mapping[str, str], now: float):
        if self.refusing and "orders" in form:
            raise SimRefusal("Incorrect request")
        return super()._refill(form, now)


def test_refills_go_one_at_a_time_only_after_two_multi_calls_refused(world):
    w = world(refill='cooldown = "1s"', panel_class=FlakyMultiRefillPanel)
    orders = w.dropped(2)

    def multi_round(refusing: bool) -> None:
        w.panel.refusing = refusing
        tracker = Tracker(w.config, clock=w.clock)  # a new process: `run --once`
        try:
            assert {job.name: job for job in tracker.jobs()}["refill:sim"].run()
        finally:
            tracker.close()
        w.clock.advance(DAY)  # its refills done, the cooldown past: due again
        for order_id in orders:
            w.panel.drop(order_id, 30)

    learned = "SELECT action FROM panel_capabilities"
    for refusing in (True, False, True):  # refused, answered, refused
        multi_round(refusing)
        assert w.store.rows(learned) == []  # before: refill_orders at the first
    assert w.panel.calls["refill:multi"] == 3 and w.panel.calls["refill:single"] == 4
    multi_round(True)  # refused so again: learned for good
    assert w.store.rows(learned) == [{"action": "refill_orders"}]
    multi_round(False)
    assert w.panel.calls["refill:multi"] == 4  # one order at a time from then on
