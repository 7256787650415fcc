"""`add --idempotency-key` when the panel placed the order but storing it
failed (a database error on the orders table): the order ID is known, so the
key names it. Before, the key stayed Sending and the same add run again said
"interrupted before its answer was stored", the ID the first run printed lost
to the script. Through the real CLI, a scripted panel on loopback, and a real
SQLite failure (a trigger refusing the order's row)."""

from __future__ import annotations

import sqlite3

from hostile import json_reply
from test_add_idempotency import ADD, _rows, panel  # noqa: F401  (fixture)


def _refuse_orders(tmp_path, refuse: bool) -> None:
    with sqlite3.connect(tmp_path / "t.db") as db:
        if refuse:
            db.execute(
                "CREATE TRIGGER no_orders BEFORE INSERT ON orders "
                "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
            )
        else:
            db.execute("DROP TRIGGER no_orders")


def test_an_order_placed_but_not_recorded_is_named_by_its_key(panel, tmp_path):  # noqa: F811
    calls, set_reply, cli = panel
    assert cli(*ADD).exit_code == 0  # the database made, order 4502 tracked
    set_reply(json_reply({"order": 4502}))
    _refuse_orders(tmp_path, True)
    first = cli(*ADD, "--idempotency-key", "row 17")
    assert first.exit_code == 1 and first.stdout == ""
    assert "order 4502 was placed but not recorded" in first.stderr
    assert "smm-tracker track --panel sim --idempotency-key 'row 17' 4502" in first.stderr
    assert _rows(tmp_path) == [("sim", "row 17", "Unknown", None)]  # not Sending
    again = cli(*ADD, "--idempotency-key", "row 17")  # the script's re-run
    assert again.exit_code == 1 and again.stdout == ""
    assert "interrupted before its answer was stored" not in again.stderr
    assert "placed order 4502, not recorded" in again.stderr
    assert "nothing sent" in again.stderr
    assert "smm-tracker track --panel sim --idempotency-key 'row 17' 4502" in again.stderr
    assert calls["add"] == 2
    _refuse_orders(tmp_path, False)  # the disk fixed: the way out named works
    out = cli("track", "--panel", "sim", "--idempotency-key", "row 17", "4502")
    assert out.exit_code == 0 and "settled: placed as order 4502" in out.stdout
    assert cli(*ADD, "--idempotency-key", "row 17").stdout == "4502\n"
    assert calls["add"] == 2
