"""What the tracker learns of a panel script (``panel_capabilities``) is the
script's at its URL: a row learned at another URL holds no more, and what
one process proved, the next starts from.

Through the real CLI (and a reload's new Tracker, or a daemon's polling for
days) against simulated panels over loopback: which calls each panel
received, what `run --once`, `balance`, `services` and `doctor` say, what
is stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from simconfig import PanelClock, cli_in, sim_config

from tracker.config.load import load_config
from tracker.jobs.tracker import Tracker
from tracker.sim.scripts import ScriptQuirks
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Ur7Qw2Lc5Tz9Xk3m"
PANEL = 'timeout = "5s"\nretry_budget = "3s"'
DATABASE = '[refill]\nfirst_check = "0s"\ncooldown = "1s"\nunknown_service = "try"'


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """serve(*missing, **options) -> (panel, url): a simulated panel lacking
    ``missing`` actions; use(url) -> cli: tracker.toml pointed at that URL
    (the same database), the real CLI run in its directory."""
    servers: list[PanelServer] = []
    clock = PanelClock()

    def serve(*missing: str, **options: Any) -> tuple[SimulatedPanel, str]:
        script = ScriptQuirks(missing_actions=missing)
        options.setdefault("speed", 60.0)
        panel = SimulatedPanel(key=KEY, clock=clock, seed=7, script=script, **options)
        servers.append(PanelServer(panel).start())
        return panel, servers[-1].url

    def use(url: str) -> Any:
        config = sim_config(url, panel=PANEL, database=DATABASE)
        return cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})

    yield serve, use
    for server in servers:
        server.stop()


def _rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(tmp_path / "t.db")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def _tracker(tmp_path: Path) -> Tracker:
    return Tracker(load_config(str(tmp_path / "tracker.toml"), env={"SIM_KEY": KEY}))


# --- 1. balance learned missing at one URL -------------------------------------


def test_a_balance_learned_missing_at_one_url_is_asked_at_once_at_a_new_one(world, tmp_path):
    serve, use = world
    old, old_url = serve("balance")
    assert use(old_url)("run", "--once").exit_code == 1  # refused once: that run's failure
    assert use(old_url)("run", "--once").exit_code == 0
    assert old.calls["balance"] == 2  # learned: no balance action there
    new, new_url = serve()  # the panel moved to another script, which has balance
    cli = use(new_url)
    result = cli("run", "--once")
    assert result.exit_code == 0, result.output
    # Before: not asked for a day ("no balance action"), learned of the old URL.
    assert new.calls["balance"] == 1
    assert "balance 100.00 USD" in result.stdout and "no balance action" not in result.stdout
    assert _rows(tmp_path, "SELECT action, supported, url FROM panel_capabilities") == [
        ("balance", 1, new_url)
    ]
    shown = cli("balance")
    assert "has no balance action" not in shown.stderr, shown.stderr
    assert "has no balance action" not in cli("doctor").output


def test_a_reload_to_a_new_url_asks_balance_at_once_and_witnesses_with_it(world, tmp_path):
    # A reload builds the next generation's Tracker from the new config: the
    # row of the old URL neither skips its balance job nor makes services
    # every refusal's witness.
    serve, use = world
    _old, old_url = serve("balance", "refill")
    use(old_url)
    before = _tracker(tmp_path)
    try:
        assert before.watch.check_balance("sim") is False  # refused once: a failure
        assert before.watch.check_balance("sim") is True  # refused again: learned missing
    finally:
        before.close()
    new, new_url = serve("refill")
    [order_id] = new.seed_orders(1, status="Completed")
    use(new_url)
    after = _tracker(tmp_path)
    try:
        assert after.watch.check_balance("sim") is True
        assert new.calls["balance"] == 1  # before: skipped for a day
        new.calls.clear()
        refused = after.clients["sim"].refill(order_id)  # "Incorrect request": whose?
        assert refused.error == "Incorrect request"
        assert new.calls["balance"] == 1 and new.calls["services"] == 0  # its witness
    finally:
        after.close()


def test_the_no_balance_flag_ends_once_balance_answers_again(world, tmp_path):
    # A daemon's client was told the panel lacks balance and kept asking
    # services as every refusal's witness after balance answered again.
    serve, use = world
    panel, url = serve("balance", "refill")
    [order_id] = panel.seed_orders(1, status="Completed")
    use(url)
    tracker = _tracker(tmp_path)
    try:
        assert tracker.watch.check_balance("sim") is False  # refused once: a failure
        assert tracker.watch.check_balance("sim") is True  # refused again: learned missing
        db = sqlite3.connect(tmp_path / "t.db")
        with db:  # a day passes; the script is updated with balance
            db.execute("UPDATE panel_capabilities SET learned_at = '2000-01-01T00:00:00+00:00'")
        db.close()
        panel.script = ScriptQuirks(missing_actions=("refill",))
        assert tracker.watch.check_balance("sim") is True
        assert _rows(tmp_path, "SELECT supported FROM panel_capabilities") == [(1,)]
        panel.calls.clear()
        client = tracker.clients["sim"]
        client._witness_ok_until = 0.0  # the minute a witness's answer vouches for the key: past
        assert client.refill(order_id).error == "Incorrect request"
        assert panel.calls["services"] == 0, dict(panel.calls)  # before: 1
        assert panel.calls["balance"] == 1
    finally:
        tracker.close()


# --- 2. refill ID and cancel ID on a panel without balance ---------------------


def test_refill_and_cancel_by_hand_ask_no_balance_of_a_panel_learned_without_it(world, tmp_path):
    serve, use = world
    panel, url = serve("balance", "refill", "cancel")
    done, pending = panel.seed_orders(1, status="Completed") + panel.seed_orders(1)
    cli = use(url)
    assert cli("track", str(done), str(pending), "--service", "1").exit_code == 0
    assert cli("run", "--once").exit_code == 1  # balance and refill refused once: failures
    assert cli("run", "--once").exit_code == 0  # learned: no balance action, no refill
    panel.calls.clear()
    refill = cli("refill", "--force", str(done))  # its round asked already: the cooldown
    assert refill.exit_code == 1
    assert "does not support refill" in refill.output and "key" not in refill.output.lower()
    # Before: balance asked as the refusal's witness, refused, then services.
    assert panel.calls["balance"] == 0, dict(panel.calls)
    cancel = cli("cancel", "--yes", str(pending))
    assert "refused: Incorrect request" in cancel.stdout, cancel.output
    assert "learned missing if the next cancel call is refused so too" in cancel.stderr
    assert panel.calls["balance"] == 0, dict(panel.calls)


# --- 4. a panel reading order= alone, under cron --------------------------------


def test_a_panel_reading_only_order_is_stored_so_the_next_run_starts_from_it(world, tmp_path):
    serve, use = world
    panel, url = serve(multi_status=False)
    ids = panel.seed_orders(3, status="In progress")
    cli = use(url)
    assert cli("track", *map(str, ids)).exit_code == 0
    assert cli("run", "--once", "--all").exit_code == 0
    assert panel.calls["status:multi"] >= 1  # proven once: orders= refused, order= read
    assert cli("run", "--once", "--all").exit_code == 0  # proven again: learned
    panel.calls.clear()
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    # Before: every run proved it again, a refused orders= call and more each.
    assert panel.calls["status:multi"] == 0, dict(panel.calls)
    assert panel.calls["status:single"] == len(ids)
    [(supported, said, where)] = _rows(
        tmp_path, "SELECT supported, evidence, url FROM panel_capabilities "
        "WHERE action = 'status_orders'",
    )  # fmt: skip
    assert (supported, said, where) == (0, "Order not found.", url)
    assert "reads statuses one order at a time" in cli("services").stderr
    doctor = cli("doctor")
    assert "ok   panel sim" in doctor.output and "one order at a time" in doctor.output
    # At another URL (the same script, the URL written anew) orders= is tried
    # at once, and what it proves there (twice: the old URL's proof counts not)
    # is stored for that URL.
    cli = use(url + "/")
    panel.calls.clear()
    assert cli("run", "--once", "--all").exit_code == 0
    assert panel.calls["status:multi"] >= 1
    assert cli("run", "--once", "--all").exit_code == 0
    assert _rows(
        tmp_path, "SELECT supported, url FROM panel_capabilities WHERE action = 'status_orders'"
    ) == [(0, url + "/")]
    # A day later orders= is tried again (a script since updated: it answers).
    db = sqlite3.connect(tmp_path / "t.db")
    with db:
        db.execute("UPDATE panel_capabilities SET learned_at = '2000-01-01T00:00:00+00:00'")
    db.close()
    panel.multi_status = True
    panel.calls.clear()
    assert cli("run", "--once", "--all").exit_code == 0
    assert panel.calls["status:multi"] == 1 and panel.calls["status:single"] == 0
    assert _rows(
        tmp_path, "SELECT supported FROM panel_capabilities WHERE action = 'status_orders'"
    ) == [(1,)]


def test_a_reload_moving_a_panel_to_a_new_url_runs_its_jobs_at_once(tmp_path):
    # A reload keeps each job's turn: the balance job of a panel given a new
    # url asked it at its next turn (balance_every, 15 min by default), its
    # no-balance learned of the old URL standing meanwhile. Its jobs now run
    # at once; another panel's keep their turns.
    import threading
    import time

    from tracker.config.load import load_config as load
    from tracker.jobs.base import Job
    from tracker.rules.reloads import moved_panels
    from tracker.service.daemon import Generation, JobStats, Scheduler

    def config(moved: str) -> Any:
        text = sim_config("http://127.0.0.1:9/api/v2") + (
            f'[[panels]]\nname = "moved"\nurl = "{moved}"\nkey_env = "SIM_KEY"\n'
        )
        (tmp_path / "tracker.toml").write_text(text)
        return load(str(tmp_path / "tracker.toml"), env={"SIM_KEY": KEY})

    before, after = config("http://127.0.0.1:10/v2"), config("http://127.0.0.1:10/api/v2")
    anew = moved_panels(before, after)
    assert anew == {"moved"}

    def generation(**extra: Any) -> tuple[Generation, dict[str, threading.Event]]:
        ran = {name: threading.Event() for name in ("sim", "moved")}
        jobs = [Job(f"balance:{n}", 3600, lambda n=n: ran[n].set() or True) for n in ran]
        return Generation(jobs, threading.Event(), **extra), ran

    old, old_ran = generation()
    new, new_ran = generation(anew=anew)
    stats = JobStats()
    scheduler = Scheduler(stats)
    try:
        scheduler.start(old)
        assert all(event.wait(10) for event in old_ran.values())  # each runs at the start
        deadline = time.monotonic() + 10  # and ends: a run in flight would run again at once
        while stats.snapshot().running and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not stats.snapshot().running
        assert scheduler.replace(new)
        assert new_ran["moved"].wait(10)  # before: an hour later, at its kept turn
        assert not new_ran["sim"].is_set()  # its turn kept: an hour from its last run
    finally:
        scheduler.shutdown()


def test_a_panel_url_holding_the_key_is_stored_without_it(tmp_path: Path) -> None:
    """The URL kept beside what was learned never holds the key, wherever the
    panel's URL carries it (a path part, as some scripts' URLs do), and still
    tells that URL from another."""
    from datetime import UTC, datetime

    from tracker.config.model import Secret
    from tracker.redact.scrub import register_secret
    from tracker.store.capabilities import is_unsupported, learn
    from tracker.store.orders import Store

    register_secret(KEY)
    url = f"https://panel.test/api/{KEY}/v2"
    store = Store(tmp_path / "t.db")
    try:
        now, key = datetime.now(UTC), Secret(KEY)
        learn(store, "p", "balance", False, "Incorrect request", now, url=url, key=key)
        assert is_unsupported(store, "p", "balance", url)
        assert not is_unsupported(store, "p", "balance", "https://panel.test/api/other/v2")
    finally:
        store.close()
    for name in ("t.db", "t.db-wal"):
        path = tmp_path / name
        assert not path.exists() or KEY.encode() not in path.read_bytes(), name


# --- 5. a daemon reading order= alone for a day -------------------------------


def test_a_daemon_tries_orders_again_a_day_after_it_proved_order_alone(world, tmp_path, clock):
    # One process polling for days (the daemon): orders= was tried again a
    # day later by new processes only (a restart, the next `run --once`); the
    # daemon kept asking one order at a time until restarted.
    serve, use = world
    panel, url = serve(multi_status=False)
    ids = panel.seed_orders(3, status="In progress")
    assert use(url)("track", *map(str, ids)).exit_code == 0
    tracker = Tracker(
        load_config(str(tmp_path / "tracker.toml"), env={"SIM_KEY": KEY}), clock=clock
    )
    tracker.everything = True  # every open order asked at each poll
    try:
        assert tracker.poll("sim")
        assert panel.calls["status:multi"] >= 1  # proven: orders= refused, order= read
        assert tracker.poll("sim")  # proven so again: learned (one may be a flaky panel's)
        panel.multi_status = True  # the script updated meanwhile
        clock.advance(23 * 3600)
        panel.calls.clear()
        assert tracker.poll("sim")
        assert panel.calls["status:multi"] == 0  # within the day: one at a time
        clock.advance(3600 + 1)
        panel.calls.clear()
        assert tracker.poll("sim")
        # Before: status:multi 0, status:single 3, the mode kept for good.
        assert panel.calls["status:multi"] == 1 and panel.calls["status:single"] == 0
    finally:
        tracker.close()
    assert _rows(
        tmp_path, "SELECT supported FROM panel_capabilities WHERE action = 'status_orders'"
    ) == [(1,)]


def test_a_daemon_still_reading_order_alone_a_day_later_is_proven_so_again(world, tmp_path, clock):
    serve, use = world
    panel, url = serve(multi_status=False)
    ids = panel.seed_orders(2, status="In progress")
    assert use(url)("track", *map(str, ids)).exit_code == 0
    tracker = Tracker(
        load_config(str(tmp_path / "tracker.toml"), env={"SIM_KEY": KEY}), clock=clock
    )
    tracker.everything = True
    try:
        assert tracker.poll("sim")
        first = _rows(tmp_path, "SELECT learned_at FROM panel_capabilities")
        clock.advance(86400 + 1)
        panel.calls.clear()
        assert tracker.poll("sim")  # every order still checked
        assert panel.calls["status:multi"] >= 1  # tried again (before: 0)
        assert panel.calls["status:single"] >= len(ids)
        clock.advance(3600)
        panel.calls.clear()
        assert tracker.poll("sim")
        assert panel.calls["status:multi"] == 0  # proven again: a day more
    finally:
        tracker.close()
    [(supported, learned)] = _rows(
        tmp_path, "SELECT supported, learned_at FROM panel_capabilities "
        "WHERE action = 'status_orders'",
    )  # fmt: skip
    assert supported == 0 and [(learned,)] != first  # stored again, from the new proof
