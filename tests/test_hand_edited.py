"""A database edited by hand (sqlite3, Datasette), an old backup restored or a
value garbled by a disk fault: the read commands and the daemon's jobs read
a value of the wrong type as unknown, say which row once, and never end in a
traceback; every other row is read as ever.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from hostile import HostileServer, json_reply
from simconfig import cli_in, sim_config
from test_wide_rest import in_progress

from tracker.cli.main import main
from tracker.jobs.balance_low import runway_for
from tracker.jobs.judging import stored_moment
from tracker.store.alerts import load_episode
from tracker.store.orders import Store

CHECKED = "2026-12-04T15:44:45+00:00"


def _cli(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stdout, result.stderr


def _database(tmp_path: Path, *statements: str) -> str:
    path = tmp_path / "t.db"
    in_progress(path, [624001, 624002], datetime(2026, 12, 1, tzinfo=UTC))
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO balances VALUES ('main', '2026-12-04T10:00:00+00:00', 600.0, 'USD')"
        )
        db.execute(f"INSERT INTO balances VALUES ('main', '{CHECKED}', 590.0, 'USD')")
        db.execute(
            "INSERT INTO alerts (at, panel, kind, severity, message, data) VALUES"
            f" ('{CHECKED}', 'main', 'balance_low', 'warning', 'low', '{{\"balance\": 5}}')"
        )
        db.execute(
            "INSERT INTO transitions (panel, order_id, at, from_status, to_status, remains,"
            f" charge) VALUES ('main', 624001, '{CHECKED}', 'Pending', 'In progress', 329, 0.27)"
        )
        for statement in statements:
            db.execute(statement)
    db.close()
    return str(path)


def test_a_balance_of_text_is_left_out_said_once_never_a_traceback(tmp_path):
    path = _database(tmp_path, f"UPDATE balances SET balance = 'lots' WHERE at = '{CHECKED}'")
    code, out, err = _cli(["balance", "--database", path, "--json"])
    assert code == 0
    shown = json.loads(out)["panels"][0]
    assert shown["balance"] == 600.0  # the last readable check
    assert all(isinstance(r["balance"], float) for r in shown["history"])
    assert err.count("'lots'") == 1 and "balances" in err and "main" in err
    code, out, err = _cli(["balance", "--database", path])
    assert code == 0 and "600.00 USD" in out
    assert err.count("'lots'") == 1


def test_every_balance_of_text_reads_as_none_fetched(tmp_path):
    path = _database(tmp_path, "UPDATE balances SET balance = 'lots'")
    code, out, err = _cli(["balance", "--database", path, "--json"])
    assert code == 0
    assert json.loads(out)["panels"][0]["balance"] is None
    assert "'lots'" in err


def test_the_balance_job_reads_its_history_past_a_garbled_check(tmp_path):
    path = _database(
        tmp_path,
        "INSERT INTO balances VALUES ('main', '2026-12-04T12:00:00+00:00', 'lots', 'USD')",
        "INSERT INTO balances VALUES ('main', 'yesterday', 580.0, 'USD')",
    )
    store = Store(Path(path))
    from decimal import Decimal

    now = datetime(2026, 12, 4, 16, tzinfo=UTC)
    runway = runway_for(store, "main", Decimal("580"), now, "USD")
    store.close()
    assert runway.rate_per_day is not None and runway.rate_per_day > 0


def test_an_orders_remains_and_charge_of_text_read_as_null_named_once(tmp_path):
    path = _database(
        tmp_path,
        "UPDATE orders SET remains = 'lots' WHERE order_id = 624001",
        "UPDATE orders SET charge = 'free', quantity = 'many' WHERE order_id = 624002",
    )
    code, out, err = _cli(["orders", "--database", path, "--json"])
    assert code == 0
    rows = {r["order_id"]: r for r in json.loads(out)}
    assert rows[624001]["remains"] is None and rows[624001]["charge"] == 0.27819
    assert rows[624002]["charge"] is None and rows[624002]["quantity"] is None
    assert rows[624002]["remains"] == 329
    for order, column, value in (
        (624001, "remains", "lots"),
        (624002, "charge", "free"),
        (624002, "quantity", "many"),
    ):
        named = [line for line in err.splitlines() if f"'{value}'" in line]
        assert len(named) == 1 and str(order) in named[0] and column in named[0], err
    code, out, err = _cli(["orders", "--database", path])
    assert code == 0 and "624001" in out and "624002" in out
    assert err.count("'lots'") == 1


def test_history_of_an_order_with_garbled_numbers(tmp_path):
    path = _database(
        tmp_path,
        "UPDATE orders SET charge = 'free' WHERE order_id = 624001",
        "UPDATE transitions SET charge = x'00ff', remains = 'lots'",
    )
    for extra in ([], ["--json"]):
        code, out, err = _cli(["history", "624001", "--database", path, *extra])
        assert code == 0 and "'free'" in err and "'lots'" in err, err
    shown = json.loads(out)
    assert shown["order"]["charge"] is None
    assert shown["transitions"][0]["charge"] is None
    assert shown["transitions"][0]["remains"] is None


def test_an_enormous_value_is_named_cut_short(tmp_path):
    path = _database(tmp_path, "UPDATE orders SET remains = hex(randomblob(100000))")
    code, out, err = _cli(["orders", "--database", path, "--json"])
    assert code == 0 and all(r["remains"] is None for r in json.loads(out))
    assert max(len(line) for line in err.splitlines()) < 300


def test_alert_data_that_is_not_json_is_an_empty_object(tmp_path):
    path = _database(tmp_path, "UPDATE alerts SET data = '{not json'")
    code, out, err = _cli(["alerts", "--database", path, "--json"])
    assert code == 0
    alert = json.loads(out)["alerts"][0]
    assert alert["data"] == {}
    assert "data" in err and f"alert {alert['id']}" in err


def test_an_alert_episode_at_a_moment_that_does_not_parse(tmp_path):
    path = _database(
        tmp_path, "INSERT INTO alert_state VALUES ('main', 'balance_low', 1, 'x', 'yesterday')"
    )
    store = Store(Path(path))
    assert load_episode(store, "main", "balance_low") == (True, None, None)
    store.close()
    for extra in ([], ["--json"]):
        code, _, _ = _cli(["alerts", "--database", path, *extra])
        assert code == 0
        code, _, _ = _cli(["balance", "--database", path, *extra])
        assert code == 0


def test_a_refill_row_with_text_counts_is_listed(tmp_path):
    path = _database(
        tmp_path,
        "INSERT INTO refills (panel, order_id, refill_id, requested_at, status, updated_at,"
        " error_count, permanent) VALUES ('main', 624001, 'x', 'y', 'Pending', 'z', 'lots', 0)",
    )
    code, out, err = _cli(["refills", "--database", path, "--json"])
    assert code == 0 and json.loads(out)[0]["error_count"] is None
    assert "refills.error_count" in err and "'lots'" in err
    code, _, _ = _cli(["refills", "--database", path])
    assert code == 0


def test_an_automation_action_with_a_cost_of_text(tmp_path, monkeypatch):
    _database(
        tmp_path,
        "INSERT INTO automation_actions (panel, order_id, action, status, quantity,"
        " estimated_cost, reason, at, updated_at) VALUES ('main', 624001, 'reorder', 'done',"
        f" 10, 'lots', 'why', '{CHECKED}', '{CHECKED}')",
    )
    config = sim_config("http://127.0.0.1:9/api/v2", database="", key_env="SIM_KEY")
    cli = cli_in(tmp_path, monkeypatch, config.replace('"sim"', '"main"'), env={"SIM_KEY": "k"})
    for extra in ([], ["--json"]):
        shown = cli("automation", *extra)
        assert shown.exit_code == 0, shown.output
        assert "automation_actions.estimated_cost" in shown.stderr
    assert json.loads(shown.stdout)["actions"][0]["estimated_cost"] is None


def test_nothing_is_lost_from_the_file(tmp_path):
    path = _database(tmp_path, "UPDATE orders SET remains = 'lots' WHERE order_id = 624001")
    _cli(["orders", "--database", path, "--json"])
    with sqlite3.connect(path) as db:
        kept = db.execute("SELECT remains FROM orders WHERE order_id = 624001").fetchone()
    db.close()
    assert kept == ("lots",)


def test_run_once_over_rows_edited_by_hand_keeps_every_job_running(tmp_path, monkeypatch):
    remains = ["40"]

    def respond(form: dict[str, str]):
        action = form.get("action")
        if action == "status":
            return json_reply({"7": {"status": "In progress", "remains": remains[0]}})
        return json_reply({"balance": "10", "currency": "USD"} if action == "balance" else [])

    with HostileServer(respond) as server:
        config = sim_config(server.url, panel="retries = 1", json_logs=True)
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": "hand-edited-key-126"})
        assert cli("track", "7", "--quantity", "100").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        with sqlite3.connect(tmp_path / "t.db") as db:
            db.execute("UPDATE orders SET quantity = 'lots', runs = 'x', error_count = 'lots'")
            db.execute("UPDATE balances SET balance = 'lots'")
            db.execute("INSERT INTO balances VALUES ('sim', 'yesterday', 12.5, 'USD')")
            db.execute(
                "INSERT OR REPLACE INTO alert_state VALUES ('sim', 'balance_low', 1, 'x', '')"
            )
        db.close()
        remains[0] = "30"
        run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    assert "job_failed" not in run.output and "Traceback" not in run.output, run.output
    with sqlite3.connect(tmp_path / "t.db") as db:
        stored = db.execute("SELECT quantity, remains FROM orders").fetchall()
    db.close()
    assert stored == [("lots", 30)]  # the panel's figure stored; the hand's edit kept


def test_the_stall_watch_reads_a_moment_that_does_not_parse_as_none():
    assert stored_moment("yesterday") is None and stored_moment(42) is None  # type: ignore[arg-type]


def test_counts_and_figures_edited_to_text_read_as_unknown():
    from tracker.rules.delivery import delivered, plausible_remains, stored_count, total_quantity

    assert total_quantity("lots", None) is None and total_quantity(100, "x") == 100  # type: ignore[arg-type]
    assert plausible_remains("lots", 100) and plausible_remains(5, "lots")  # type: ignore[arg-type]
    assert delivered("In progress", 100, None, "lots") is None  # type: ignore[arg-type]
    assert stored_count("lots") == 0 and stored_count(3) == 3


def test_an_alert_sent_again_with_a_time_and_failures_edited_to_text(tmp_path):
    from tracker.store.outbox import due

    path = _database(
        tmp_path,
        "UPDATE alerts SET at = 'yesterday'",
        "INSERT INTO alert_deliveries VALUES (1, 'webhook', 'lots', 'x',"
        " '2026-12-04T00:00:00+00:00', 'refused', NULL)",
    )
    store = Store(Path(path))
    [(alert, targets, failures)] = due(store, datetime(2026, 12, 5, tzinfo=UTC), 10)
    store.close()
    assert alert.at is None and targets == ["webhook"] and failures == 0
