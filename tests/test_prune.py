"""prune: the history older than a cutoff deleted on request, whole orders or none."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from simconfig import cli_in, sim_config

from tracker.clock import iso, utcnow
from tracker.rules.prune import batches, cutoffs, families, too_recent
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store import prune as pruning
from tracker.store.orders import Store

KEY = "sim-key-prune-41"
NOW = utcnow()
OLD = iso(NOW - timedelta(days=400))
OLDER = iso(NOW - timedelta(days=420))
RECENT = iso(NOW - timedelta(days=10))

# order: (status, polling, completed_at, stopped_at, parent, source)
ORDERS = {
    1: ("Completed", 0, OLD, None, None, "add"),  # old, finished: goes
    2: ("Pending", 0, None, OLD, None, "track"),  # old, untracked while stalled: goes
    3: ("Completed", 0, OLD, None, None, "track"),  # old, a refill asked 10 days ago: stays
    4: ("In progress", 1, None, None, None, "track"),  # still polled: stays
    5: ("Completed", 0, RECENT, None, None, "track"),  # finished 10 days ago: stays
    6: ("Completed", 0, OLD, None, None, "track"),  # old, an old refill: goes with it
    7: ("Partial", 0, OLD, None, None, "track"),  # old parent of a recent re-order: stays
    8: ("Completed", 0, RECENT, None, 7, "reorder"),  # its re-order: stays
    9: ("Partial", 0, OLD, None, None, "track"),  # old parent of an old re-order: goes
    10: ("Completed", 0, OLD, None, 9, "reorder"),  # its re-order: goes
    11: ("Completed", 0, OLD, None, None, "track"),  # old, its refill ID given to 5's too: stays
    12: ("Completed", 0, OLD, None, None, "track"),  # old, its stall never ended: goes
}
GONE = {1, 2, 6, 9, 10, 12}


def build(path) -> None:
    Store(path).close()
    c = sqlite3.connect(path)
    for order, (status, polling, done, stopped, parent, source) in ORDERS.items():
        at = RECENT if done == RECENT else OLD
        c.execute(
            "INSERT INTO orders (panel, order_id, service, quantity, status, created_at, "
            "updated_at, completed_at, polling, stopped_at, stopped_by, parent_order_id, "
            "source, charge) VALUES ('sim', ?, 1, 100, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1.5)",
            (order, status, OLDER, at, done, polling, stopped, "user" if stopped else None)
            + (parent, source),
        )
        c.execute(
            "INSERT INTO transitions (panel, order_id, at, from_status, to_status) "
            "VALUES ('sim', ?, ?, NULL, ?)",
            (order, at, status),
        )
    c.execute(
        "INSERT INTO transitions (panel, order_id, at, to_status) VALUES ('sim', 1, ?, 'x')",
        (OLDER,),
    )
    for order, at in ((3, RECENT), (6, OLD)):
        refill = c.execute(
            "INSERT INTO refills (panel, order_id, refill_id, requested_at, status, updated_at) "
            "VALUES ('sim', ?, 'r', ?, 'Completed', ?)",
            (order, at, at),
        ).lastrowid
        c.execute(
            "INSERT INTO refill_changes (refill, panel, order_id, at, to_status) "
            "VALUES (?, 'sim', ?, ?, 'Completed')",
            (refill, order, at),
        )
    for order, status, at in ((11, "Completed", OLD), (5, "Pending", RECENT)):
        c.execute(
            "INSERT INTO refills (panel, order_id, refill_id, requested_at, status, updated_at) "
            "VALUES ('sim', ?, 'shared', ?, ?, ?)",
            (order, at, status, at),
        )
    for parent, child, at in ((7, 8, OLD), (9, 10, OLD)):
        c.execute(
            "INSERT INTO automation_actions (panel, order_id, action, status, new_order_id, at, "
            "updated_at) VALUES ('sim', ?, 'reorder', 'Placed', ?, ?, ?)",
            (parent, child, at, at),
        )
    c.execute("INSERT INTO probes (panel, order_id, probed_at) VALUES ('sim', 1, ?)", (OLD,))
    # Stall episodes in order_watch go with their orders: the one an
    # untracked order keeps for `track`, and a finished order's that no stall
    # watch ended (the daemon stopped before its next pass, for a year).
    for order in (2, 12):
        c.execute(
            "INSERT INTO order_watch (panel, order_id, stalled_at, stall_reason, updated_at) "
            "VALUES ('sim', ?, ?, 'unchanged', ?)",
            (order, OLDER, OLDER),
        )
    c.execute(
        "INSERT INTO automation_skips VALUES ('sim', 1, 'reorder', 'capped', ?, ?, 1)", (OLD, OLD)
    )
    c.execute(
        "INSERT INTO cancels (panel, order_id, requested_at, result) VALUES ('sim', 2, ?, 'x')",
        (OLD,),
    )
    c.execute(
        "INSERT INTO idempotency_keys VALUES ('sim', 'row-1', '{}', 'placed', 1, NULL, ?, ?)",
        (OLD, OLD),
    )
    for at in (OLDER, OLD, OLD, RECENT, iso(NOW)):
        c.execute("INSERT INTO balances VALUES ('sim', ?, 50.0, 'USD')", (at,))
    for at in (OLDER, OLD):  # a panel since removed: its last check is kept
        c.execute("INSERT INTO balances VALUES ('gone', ?, 5.0, 'USD')", (at,))
    alerts = [
        (OLDER, "order_failed"),  # goes, with its given-up delivery row
        (OLD, "order_failed"),  # goes
        (OLD, "balance_low"),  # an episode still open: stays
        (OLD, "panel_unreachable"),  # still to be sent again: stays
        (RECENT, "order_failed"),  # stays
    ]
    for n, (at, kind) in enumerate(alerts, 1):
        c.execute(
            "INSERT INTO alerts (id, at, panel, kind, severity, message) VALUES (?, ?, 'sim', ?, "
            "'warning', 'm')",
            (n, at, kind),
        )
    c.execute("INSERT INTO alert_deliveries VALUES (1, 'webhook', 3, ?, NULL, 'e', ?)", (OLD, OLD))
    c.execute(
        "INSERT INTO alert_deliveries VALUES (4, 'webhook', 3, ?, ?, 'e', NULL)", (OLD, RECENT)
    )
    c.execute("INSERT INTO alert_state VALUES ('sim', 'balance_low', 1, ?, ?)", (OLD, OLD))
    c.commit()
    c.close()


def content(path) -> str:
    c = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(c.iterdump()).encode()).hexdigest()
    finally:
        c.close()


def rows(path, sql: str) -> list:
    c = sqlite3.connect(path)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def shown(output: str) -> dict[str, int]:
    found = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and line.startswith("  ") and parts[1].isdigit():
            found[parts[0]] = int(parts[1])
    return found


EXPECTED = {
    "orders": 6,
    "refill_changes": 1,
    "refills": 1,
    "transitions": 7,
    "probes": 1,
    "order_watch": 2,
    "automation_actions": 1,
    "automation_skips": 1,
    "cancels": 1,
    "late_checks": 0,  # none of these orders ended Partial, Canceled or Refunded
    "balances": 4,
    "alerts": 2,
    "alert_deliveries": 1,
}


@pytest.fixture
def setup(tmp_path, monkeypatch):
    panel = SimulatedPanel(key=KEY, seed=3)
    server = PanelServer(panel).start()
    cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
    db = tmp_path / "t.db"
    build(db)
    yield cli, db
    server.stop()


def test_dry_run_counts_per_table_and_changes_nothing(setup):
    cli, db = setup
    before = content(db)
    result = cli("prune", "--older-than", "365d", "--dry-run")
    assert result.exit_code == 0, result.output
    assert shown(result.output) == EXPECTED
    assert "dry run: nothing deleted" in result.output
    assert content(db) == before


def test_prune_deletes_exactly_the_old_history_and_every_command_still_works(setup):
    cli, db = setup
    result = cli("prune", "--older-than", "365d", "--yes")
    assert result.exit_code == 0, result.output
    assert "deleted:" in result.output and shown(result.output) == EXPECTED
    assert "VACUUM" not in result.output  # its few rows freed no page (test_prune_traces)

    kept = {row[0] for row in rows(db, "SELECT order_id FROM orders")}
    assert kept == set(ORDERS) - GONE
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "PRAGMA foreign_key_check") == []
    tables = ("transitions", "refills", "refill_changes", "probes", "automation_actions")
    for table in (*tables, "order_watch", "automation_skips", "cancels"):
        orphans = f"SELECT count(*) FROM {table} x WHERE NOT EXISTS (SELECT 1 FROM orders o "
        orphans += "WHERE o.panel = x.panel AND o.order_id = x.order_id)"
        assert rows(db, orphans) == [(0,)], table
    # An `add` idempotency key outlives its order: an add run again under it
    # must never place the order a second time, however old.
    assert rows(db, "SELECT idempotency_key, order_id FROM idempotency_keys") == [("row-1", 1)]
    assert sorted(r[0] for r in rows(db, "SELECT id FROM alerts")) == [3, 4, 5]
    assert rows(db, "SELECT alert_id FROM alert_deliveries") == [(4,)]
    assert rows(db, "SELECT count(*) FROM alert_state WHERE active = 1") == [(1,)]
    assert rows(db, "SELECT panel, count(*) FROM balances GROUP BY panel") == [
        ("gone", 1),
        ("sim", 2),
    ]

    listed = {row["order_id"] for row in json.loads(cli("orders", "--json").output)}
    assert listed == set(ORDERS) - GONE
    assert cli("history", "7").exit_code == 0
    assert cli("history", "1").exit_code == 1  # deleted: not tracked any more
    for command in ("report", "refills", "alerts", "balance", "automation"):
        assert cli(command).exit_code == 0, (command, cli(command).output)
    doctor = cli("doctor")
    assert doctor.exit_code == 0, doctor.output
    for view in ("order_overview", "stuck_orders", "daily_activity", "service_scorecard"):
        rows(db, f"SELECT * FROM {view}")

    again = cli("prune", "--older-than", "365d", "--yes")
    assert again.exit_code == 0 and "nothing to delete" in again.output


@pytest.mark.parametrize("duration", ["29d", "719h", "1x", "0d", "-5d", ""])
def test_a_duration_under_30_days_or_unreadable_is_refused(setup, duration):
    cli, db = setup
    before = content(db)
    result = cli("prune", "--older-than", duration, "--yes")
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "--older-than" in result.output
    assert content(db) == before


def test_without_a_terminal_it_needs_yes(setup):
    cli, db = setup
    before = content(db)
    result = cli("prune", "--older-than", "365d")
    assert result.exit_code == 2 and "--yes" in result.output
    assert content(db) == before


def test_on_a_terminal_it_asks_once_and_no_deletes_nothing(setup, monkeypatch):
    from tracker.cli import prune as command

    cli, db = setup
    before = content(db)
    monkeypatch.setattr(command, "interactive", lambda: True)
    declined = cli("prune", "--older-than", "365d", input="n\n")
    assert declined.exit_code == 1 and "nothing deleted" in declined.output
    assert shown(declined.output) == EXPECTED  # the counts came before the question
    assert content(db) == before
    accepted = cli("prune", "--older-than", "365d", input="y\n")
    assert accepted.exit_code == 0 and accepted.output.count("Delete these") == 1
    assert f"Delete these {sum(EXPECTED.values())} rows? [y/N]" in accepted.output
    assert len(rows(db, "SELECT * FROM orders")) == len(ORDERS) - len(GONE)


def test_ctrl_c_says_what_was_deleted_and_keeps_the_rest_whole(setup, monkeypatch):
    cli, db = setup

    def interrupted(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(pruning, "_rows_batch", interrupted)  # after the orders' batch
    result = cli("prune", "--older-than", "365d", "--yes")
    assert result.exit_code == 130 and "interrupted" in result.output
    assert "deleted before stopping" in result.output
    assert shown(result.output)["orders"] == 6 and shown(result.output)["balances"] == 0
    assert rows(db, "SELECT count(*) FROM balances") == [(7,)]
    assert rows(db, "PRAGMA foreign_key_check") == []


def test_panel_option_keeps_other_panels_rows(setup):
    cli, db = setup
    result = cli("prune", "--older-than", "365d", "--yes", "--panel", "sim")
    assert result.exit_code == 0, result.output
    assert rows(db, "SELECT count(*) FROM balances WHERE panel = 'gone'") == [(2,)]


def test_a_finished_order_in_its_refill_window_stays(tmp_path, monkeypatch):
    db = tmp_path / "t.db"
    build(db)
    c = sqlite3.connect(db)
    hundred = iso(NOW - timedelta(days=100))
    c.execute(
        "UPDATE orders SET completed_at = ?, updated_at = ? WHERE order_id = 1", (hundred,) * 2
    )
    c.commit()
    c.close()
    config = sim_config("http://127.0.0.1:9") + '[refill]\nwindow = "366d"\n'
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    result = cli("prune", "--older-than", "60d", "--yes")
    assert result.exit_code == 0, result.output
    assert "refill.window" in result.output
    kept = {row[0] for row in rows(db, "SELECT order_id FROM orders")}
    assert 1 in kept and 2 not in kept  # finished 100 days ago; untracked 400 days ago


def test_its_header_says_the_cutoffs_short_on_a_terminal_and_as_stored_when_piped(
    tmp_path, monkeypatch
):
    from tracker.cli import prune as prune_command
    from tracker.cli import screen

    now = datetime(2026, 12, 4, 15, 44, 45, tzinfo=UTC)
    monkeypatch.setattr(prune_command, "utcnow", lambda: now)
    monkeypatch.setattr(screen, "utcnow", lambda: now)
    Store(tmp_path / "t.db").close()
    config = sim_config("http://127.0.0.1:9") + '[refill]\nwindow = "366d"\n'
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    held = "(refill.window: the refill job may still ask for the later ones)"

    def header(terminal: bool) -> list[str]:
        monkeypatch.setenv("COLUMNS", "80")
        monkeypatch.setattr(screen, "stdout_is_terminal", lambda: terminal)
        result = cli("prune", "--older-than", "60d", "--dry-run")
        assert result.exit_code == 0, result.output
        return result.stdout.splitlines()[: 2 + terminal]

    # Piped: the stored stamps, byte for byte what scripts have read.
    assert header(False) == [
        "older than 60d (before 2026-10-05T15:44:45+00:00), every panel:",
        f"  finished orders: completed before 2025-12-03T15:44:45+00:00 {held}",
    ]
    # On a terminal: as every table there says a time, UTC said once; the
    # line longer than the screen wrapped at its words (118 columns before).
    assert header(True) == [
        "older than 60d (before Oct 05 15:44 UTC), every panel:",
        "  finished orders: completed before 2025-12-03 15:44 UTC (refill.window: the",
        "    refill job may still ask for the later ones)",
    ]


def _many(db, count: int) -> None:
    Store(db).close()
    c = sqlite3.connect(db)
    for order in range(1, count + 1):
        c.execute(
            "INSERT INTO orders (panel, order_id, status, created_at, updated_at, completed_at, "
            "polling) VALUES ('sim', ?, 'Completed', ?, ?, ?, 0)",
            (order, OLD, OLD, OLD),
        )
        c.execute(
            "INSERT INTO transitions (panel, order_id, at, to_status) "
            "VALUES ('sim', ?, ?, 'Completed')",
            (order, OLD),
        )
    c.commit()
    c.close()


def test_batches_let_a_writer_in_between_and_an_interrupt_leaves_whole_orders(tmp_path):
    db = tmp_path / "t.db"
    _many(db, 2500)
    store = Store(db)
    cut = cutoffs(NOW, 365 * 86400.0, None)
    writes: list[int] = []
    waits: list[float] = []

    def daemon_writes() -> None:  # no busy wait: a write lock held across batches fails it
        other = sqlite3.connect(db, timeout=0)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE orders SET polling = 1, completed_at = NULL WHERE order_id = 2400")
        other.execute("COMMIT")
        other.close()
        writes.append(len(writes) + 1)
        if len(writes) == 2:
            raise KeyboardInterrupt

    done = pruning.zero()
    with pytest.raises(KeyboardInterrupt):
        pruning.prune(store, ["sim"], cut, None, done, on_batch=daemon_writes, pause=waits.append)
    store.close()
    assert writes == [1, 2]  # a commit after each batch of 1,000 orders
    assert waits == [pruning.BETWEEN]  # and a pause after the first, for such a writer
    assert done["orders"] == done["transitions"] == 2000
    assert rows(db, "SELECT count(*) FROM orders") == [(500,)]
    orphans = "SELECT count(*) FROM transitions t LEFT JOIN orders o USING (panel, order_id) "
    assert rows(db, orphans + "WHERE o.order_id IS NULL") == [(0,)]

    store = Store(db)  # run again: the order the "daemon" resumed meanwhile stays
    done = pruning.zero()
    pruning.prune(store, ["sim"], cut, None, done, pause=waits.append)
    store.close()
    assert rows(db, "SELECT order_id FROM orders") == [(2400,)]
    assert done["orders"] == 499


def test_rules():
    assert too_recent(29 * 86400.0) and too_recent(30 * 86400.0) is None
    cut = cutoffs(NOW, 60 * 86400.0, 90 * 86400.0)
    assert cut.held_by_refill_window and cut.completed == NOW - timedelta(days=90)
    # 7 is kept: its re-order 8 is, and so is 8's own re-order 11.
    assert families([1, 2, 7, 11, 9, 10], [(8, 7), (11, 8), (10, 9)]) == [[1], [2], [9, 10]]
    assert batches([[1], [2, 3], [4]], size=2) == [[[1]], [[2, 3]], [[4]]]


def test_a_finished_order_inside_the_guarantee_its_services_name_says_stays(tmp_path, monkeypatch):
    # refill.window is 30d, but service 1 is sold as R90: order 1, completed
    # 60 days ago, may still get its refills.
    db = tmp_path / "t.db"
    build(db)
    c = sqlite3.connect(db)
    sixty = iso(NOW - timedelta(days=60))
    c.execute("UPDATE orders SET completed_at = ?, updated_at = ? WHERE order_id = 1", (sixty,) * 2)
    c.execute(
        "INSERT INTO services (panel, service, name, refill, updated_at) "
        "VALUES ('sim', 1, 'Instagram Followers [R90]', 1, ?)",
        (iso(NOW),),
    )
    c.commit()
    c.close()
    cli = cli_in(tmp_path, monkeypatch, sim_config("http://127.0.0.1:9"), env={"SIM_KEY": KEY})
    result = cli("prune", "--older-than", "30d", "--yes")
    assert result.exit_code == 0, result.output
    assert "(the longest guarantee a service's name says: the refill job" in result.output
    kept = {row[0] for row in rows(db, "SELECT order_id FROM orders")}
    assert 1 in kept and 2 not in kept
