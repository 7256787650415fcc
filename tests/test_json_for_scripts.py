"""What README's "`--json` for scripts" says every `--json` output holds to,
checked on each command as a script reads it: stdout one strict JSON
document (no NaN), nothing on stdout for bad input, the empty value for
nothing to list, every moment ISO 8601 UTC to the second, money a number or
null, and every row of a list with the same keys."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.clock import iso, utcnow
from tracker.store.orders import Store

COMMANDS = [
    ["orders"],
    ["orders", "--stalled"],
    ["history", "5"],
    ["refills"],
    ["services"],
    ["balance"],
    ["alerts"],
    ["alerts", "--undelivered"],
    ["report"],
    ["automation"],
]
MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
LOOKS_LIKE_A_MOMENT = re.compile(r"\d{4}-\d\d-\d\d[T ]\d")
MONEY = {"charge", "rate", "balance", "spend", "estimated_cost", "low", "recover_above", "cap"}


def strict(text: str) -> Any:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def walk(value: Any, path: str, problems: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in MONEY and isinstance(item, str | bool):  # a number, or null
                problems.append(f"{path}.{key}: money as {item!r}")
            if key != "data":  # an alert's data: its kind's own
                walk(item, f"{path}.{key}", problems)
    elif isinstance(value, list):
        shapes = {tuple(item) for item in value if isinstance(item, dict)}
        if len(shapes) > 1:
            problems.append(f"{path}: rows with different keys {shapes}")
        for item in value:
            walk(item, f"{path}[]", problems)
    elif (
        isinstance(value, str) and LOOKS_LIKE_A_MOMENT.match(value) and not MOMENT.fullmatch(value)
    ):
        problems.append(f"{path}: moment {value!r}")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    return cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": "k" * 24})


def seed(path: Path) -> None:
    now = utcnow()
    store = Store(path)
    store.track("main", [3, 5, 8], now - timedelta(hours=5), service=7)
    store.close()
    at = iso(now - timedelta(hours=2))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE orders SET status = 'In progress', charge = 0.27819, currency = 'USD'")
        db.execute(
            "UPDATE orders SET status = 'Partial', charge = 12345.67, remains = 10, "
            "completed_at = ?, polling = 0 WHERE order_id = 5",
            [at],
        )
        db.execute(
            "INSERT INTO transitions (panel, order_id, at, to_status, remains, charge, currency) "
            "VALUES ('main', 5, ?, 'Partial', 10, 12345.67, 'USD')",
            [at],
        )
        db.execute(
            "INSERT INTO order_watch (panel, order_id, stalled_at, stall_reason, updated_at) "
            "VALUES ('main', 8, ?, 'no progress', ?)",
            (at, at),
        )
        db.execute(
            "INSERT INTO child_orders (panel, order_id, child_id, first_seen_at) "
            "VALUES ('main', 5, 9001, ?)",
            [at],
        )
        db.execute(
            "INSERT INTO refills (panel, order_id, refill_id, requested_at, status, updated_at) "
            "VALUES ('main', 5, '77', ?, 'Pending', ?)",
            (at, at),
        )
        db.execute(
            "INSERT INTO services (panel, service, name, type, rate, min, max, refill, "
            "updated_at) VALUES ('main', 7, 'Likes ✓', 'Default', 0.000012, 10, 1000, 1, ?)",
            [at],
        )
        db.execute(
            "INSERT INTO balances (panel, at, balance, currency) VALUES ('main', ?, 42.5, 'USD')",
            [at],
        )
        db.execute(
            "INSERT INTO alerts (at, panel, kind, severity, message, data) "
            "VALUES (?, 'main', 'order_partial', 'warning', 'main: order #5 partial', '{}')",
            [at],
        )
    db.close()


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_each_json_is_one_document_of_stable_types(cli, tmp_path: Path, args: list[str]):
    seed(tmp_path / "t.db")
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    problems: list[str] = []
    walk(strict(result.stdout), "$", problems)
    assert problems == []


@pytest.mark.parametrize("args", [c for c in COMMANDS if c[0] != "history"], ids=" ".join)
def test_nothing_to_list_is_the_empty_value_and_bad_input_prints_nothing(
    cli, tmp_path: Path, args: list[str]
):
    Store(tmp_path / "t.db").close()  # a database holding nothing
    empty = cli(*args, "--json")
    assert empty.exit_code == 0, empty.output
    document = strict(empty.stdout)
    lists = document if isinstance(document, list) else document.get("services", [])
    assert lists == [] or args[0] in ("balance", "automation")  # a panel listed, as configured
    refused = cli(*args, "--json", "--panel", "nosuch")
    assert (refused.exit_code, refused.stdout) == (2, ""), refused.output


def test_a_listing_row_is_its_table_row_then_what_readme_names(cli, tmp_path: Path):
    seed(tmp_path / "t.db")
    with sqlite3.connect(tmp_path / "t.db") as db:
        columns = {
            table: [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            for table in ("orders", "refills", "services")
        }
    db.close()
    extra = {
        "orders": ["eta", "eta_basis", "stalled_at", "stall_reason", "untracked", "lost"],
        "refills": [],
        "services": ["currency", "refill_window_s", "refill_window_from", "ambiguous"],
    }
    for table in columns:
        rows = strict(cli(table, "--json").stdout)
        assert list(rows[0]) == columns[table] + extra[table] + ["children"] * (table == "orders")
        flags = {"orders": ["untracked", "lost"], "refills": ["permanent"]}.get(
            table, ["refill", "cancel", "dripfeed"]
        )
        assert {type(row[flag]) for row in rows for flag in flags} == {bool}
    assert {row["polling"] for row in strict(cli("orders", "--json").stdout)} == {0, 1}
    assert strict(cli("refills", "--json").stdout)[0]["refill_id"] == "77"
