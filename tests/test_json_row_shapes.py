"""An order's row has the same keys in every `--json` that lists orders, as a
script reads them: `orders --json` whatever its filter, `history ID --json`'s
`order`, and `automation --json`'s `stalled`. `orders --json` had
`stall_reason` with `--stalled` only (absent, not null, without it, though
`stalled_at` was there), and `automation --json`'s stalled orders had no
`untracked`, `lost` nor `children`, which `orders --stalled --json` gives the
same orders."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.clock import iso, utcnow
from tracker.store.orders import Store


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": "k" * 24})
    now = utcnow()
    store = Store(tmp_path / "t.db")
    store.track("main", [3, 5, 8], now - timedelta(hours=5))
    store.close()
    at = iso(now - timedelta(hours=2))
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("UPDATE orders SET status = 'In progress'")
        db.execute(  # 5 stalled; 3 and 8 not
            "INSERT INTO order_watch (panel, order_id, stalled_at, stall_reason, updated_at) "
            "VALUES ('main', 5, ?, 'no progress for 2h', ?)",
            (at, at),
        )
    db.close()
    return cli


def listed(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_orders_row_has_the_same_keys_stall_reason_null_where_not_stalled(cli):
    rows = listed(cli("orders", "--json"))
    stalled = listed(cli("orders", "--stalled", "--json"))
    assert [r["order_id"] for r in rows] == [8, 5, 3]
    assert [r["order_id"] for r in stalled] == [5]
    assert {tuple(r) for r in rows} == {tuple(stalled[0])}  # the same keys, in the same order
    assert {r["order_id"]: r["stall_reason"] for r in rows} == {
        8: None,
        5: "no progress for 2h",
        3: None,
    }
    # One order of them: the same row whichever filter lists it.
    assert [r for r in rows if r["order_id"] == 5] == stalled
    order = json.loads(cli("history", "5", "--json").stdout)["order"]
    assert order["stall_reason"] == "no progress for 2h"
    assert set(order) == set(stalled[0]) | {"currency_shown"}


def test_automation_lists_the_stalled_orders_as_orders_stalled_does(cli):
    result = cli("automation", "--json")
    assert result.exit_code == 0, result.output
    stalled = json.loads(result.stdout)["stalled"]
    assert stalled == listed(cli("orders", "--stalled", "--json"))
    assert (stalled[0]["untracked"], stalled[0]["lost"], stalled[0]["children"]) == (
        False,
        False,
        0,
    )
