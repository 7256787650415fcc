"""`history ID` says what happened to an order besides its status changes.

Walkthrough walk62: a Partial the panel refunded 20 s after it ended showed
CHARGE 0.90 in `history` while `orders` and `report` counted 0.423, with
nothing saying why; a refilled order's history said nothing of its refill
requests; a Partial the automation re-ordered said nothing of the re-order
(nor did the re-order say whose it was), nor why one was not re-ordered.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tracker.cli.main import main
from tracker.store.orders import Store

T0 = "2026-12-06T01:53:23+00:00"
T1 = "2026-12-06T01:53:39+00:00"


def database(tmp_path: Path) -> Path:
    path = tmp_path / "t.db"
    store = Store(path)
    with store.write() as db:
        for oid, status, charge, parent in (
            (6, "Partial", 0.423, None),
            (7, "Completed", 0.9, None),
            (10, "Completed", 0.477, 6),
            (24, "Partial", 0.9, None),
            (30, "Pending", 0.9, None),
        ):
            db.execute(
                "INSERT INTO orders (panel, order_id, service, link, quantity, status,"
                " raw_status, remains, charge, currency, polling, source, parent_order_id,"
                " created_at, updated_at) VALUES ('sim', ?, 1, 'https://x.example/a', 1000, ?,"
                " ?, 0, ?, 'USD', 0, 'add', ?, ?, ?)",
                [oid, status, status, charge, parent, T0, T1],
            )
            db.execute(
                "INSERT INTO transitions (panel, order_id, at, from_status, to_status,"
                " remains, charge) VALUES ('sim', ?, ?, NULL, ?, 0, ?)",
                [oid, T1, status, 0.9 if oid != 10 else 0.477],
            )
        db.execute(
            "INSERT INTO refills (panel, order_id, refill_id, requested_at, status, source,"
            " updated_at) VALUES ('sim', 7, '12345', ?, 'Rejected', 'manual', ?)",
            [T1, T1],
        )
        db.execute(
            "INSERT INTO automation_actions (panel, order_id, action, dry_run, status,"
            " quantity, estimated_cost, new_order_id, at, updated_at)"
            " VALUES ('sim', 6, 'reorder', 0, 'Placed', 530, 0.477, 10, ?, ?)",
            [T1, T1],
        )
        db.execute(
            "INSERT INTO automation_actions (panel, order_id, action, dry_run, status, at,"
            " updated_at) VALUES ('sim', 30, 'cancel', 0, 'Requested', ?, ?)",
            [T1, T1],
        )
        db.execute(
            "INSERT INTO automation_skips (panel, order_id, action, reason, first_at,"
            " last_at, times) VALUES ('sim', 24, 'reorder', 'the daily cap would be passed',"
            " ?, ?, 2)",
            [T1, T1],
        )
    store.close()
    return path


def history(path: Path, oid: int) -> str:
    result = CliRunner().invoke(main, ["history", str(oid), "--database", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_charge_refunded_after_the_last_status_change_is_said(tmp_path):
    out = history(database(tmp_path), 6)
    # The table keeps the charge of the status change; the line says what
    # `orders` and `report` count now.
    assert "0.90" in out
    assert "charge now 0.423 USD (0.90 at its last status change: a refund" in out


def test_a_charge_unchanged_since_the_last_status_change_says_nothing(tmp_path):
    assert "charge now" not in history(database(tmp_path), 7)


def test_a_refilled_order_names_its_refill_requests(tmp_path):
    out = history(database(tmp_path), 7)
    assert "refills: 1 requested, the newest refill 12345 Rejected" in out
    assert "smm-tracker refills --order 7" in out


def test_a_reordered_partial_and_its_reorder_name_each_other(tmp_path):
    path = database(tmp_path)
    assert "re-order by the automation as #10, 530 more: Placed" in history(path, 6)
    assert "placed by the automation: a re-order of #6" in history(path, 10)


def test_a_partial_the_automation_skipped_says_why(tmp_path):
    out = history(database(tmp_path), 24)
    assert "not re-ordered by the automation: the daily cap would be passed" in out


def test_a_stale_pending_the_automation_canceled_says_so(tmp_path):
    out = history(database(tmp_path), 30)
    assert "the automation asked the panel to cancel it: Requested" in out


def test_the_panels_words_in_a_note_are_shown_escaped(tmp_path):
    path = database(tmp_path)
    store = Store(path)
    with store.write() as db:
        db.execute(
            "UPDATE automation_actions SET status = 'Refused', new_order_id = NULL,"
            " error = ? WHERE order_id = 6",
            ["Not enough funds\x1b[2J"],
        )
    store.close()
    out = history(path, 6)
    assert "530 more: Refused: Not enough funds\\x1b[2J" in out
    assert "\x1b" not in out


def test_cancel_requests_past_the_newest_five_are_counted(tmp_path):
    path = database(tmp_path)
    store = Store(path)
    with store.write() as db:
        for n in range(7):
            db.execute(
                "INSERT INTO cancels (panel, order_id, requested_at, result, error)"
                " VALUES ('sim', 30, ?, 'Refused', ?)",
                [f"2026-12-06T02:0{n}:00+00:00", f"Not cancellable {n}"],
            )
    store.close()
    lines = history(path, 30).splitlines()
    at = lines.index("2 earlier cancel requests: smm-tracker history 30 --json lists them")
    assert lines[at + 1 : at + 6] == [
        f"cancel requested 2026-12-06T02:0{n}:00+00:00: the panel refused it: Not cancellable {n}"
        for n in range(2, 7)
    ]
