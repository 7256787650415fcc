"""Settling an `add --idempotency-key` whose outcome is unknown, without SQL:
the user checked the panel and says what they found. The order was placed:
`track --idempotency-key KEY ID` tracks it and settles the key (the script's
`add` run again prints the ID, exit 0). Nothing was placed: `add ...
--not-placed` sends it under the key as a first add.

Before, the key stayed unknown for good: every `add` under it exited 1, and
only an UPDATE or DELETE in SQLite ended it. Through the real CLI and a
scripted panel on loopback that takes the order and answers a 502 (the
answer lost: the order may exist), counting the `add` calls it got."""

from __future__ import annotations

import sqlite3

import pytest
from hostile import json_reply, text_reply
from test_add_idempotency import ADD, _rows, panel  # noqa: F401  (fixture)

LOST = text_reply("<html>502 Bad Gateway</html>", status=502)  # taken, answer lost


def _lost(panel, key: str = "csv-row-17"):  # noqa: F811  (the fixture)
    """Run an add under ``key`` whose answer is lost; return (calls, set_reply, cli)."""
    calls, set_reply, cli = panel
    set_reply(LOST)
    lost = cli(*ADD, "--idempotency-key", key)
    assert lost.exit_code == 1 and "outcome unknown" in lost.stderr
    set_reply(json_reply({"order": 4502}))
    return calls, set_reply, cli


def _orders(tmp_path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return db.execute(
            "SELECT order_id, service, link, quantity, source FROM orders ORDER BY order_id"
        ).fetchall()


def test_the_unknown_outcome_line_names_both_ways_out(panel, tmp_path):  # noqa: F811
    _, _, cli = _lost(panel, key="row 17")
    again = cli(*ADD, "--idempotency-key", "row 17")
    assert again.exit_code == 1 and "nothing sent" in again.stderr
    assert "smm-tracker track --panel sim --idempotency-key 'row 17' ID" in again.stderr
    assert "--not-placed" in again.stderr


def test_an_order_found_on_the_panel_is_tracked_and_settles_its_key(panel, tmp_path):  # noqa: F811
    calls, _, cli = _lost(panel)
    found = cli("track", "--panel", "sim", "--idempotency-key", "csv-row-17", "4501")
    assert found.exit_code == 0, found.output
    assert "tracking 1 new order on sim" in found.stdout
    assert "idempotency key 'csv-row-17' settled: placed as order 4501" in found.stdout
    # Tracked with what the add asked, as an add that was answered records it.
    assert _orders(tmp_path) == [(4501, 1, "https://x.test/p", 100, "track")]
    assert _rows(tmp_path) == [("sim", "csv-row-17", "Placed", 4501)]
    again = cli(*ADD, "--idempotency-key", "csv-row-17")  # the script's re-run
    assert (again.exit_code, again.stdout) == (0, "4501\n")
    assert calls["add"] == 1
    twice = cli("track", "--panel", "sim", "--idempotency-key", "csv-row-17", "4501")
    assert twice.exit_code == 0 and "was settled already: order 4501" in twice.stdout


def test_an_order_tracked_already_settles_its_key_too(panel, tmp_path):  # noqa: F811
    _, _, cli = _lost(panel)
    assert cli("track", "--panel", "sim", "4501").exit_code == 0  # as the old line told
    found = cli("track", "--idempotency-key", "csv-row-17", "4501")
    assert found.exit_code == 0 and "settled: placed as order 4501" in found.stdout
    assert _orders(tmp_path) == [(4501, 1, "https://x.test/p", 100, "track")]  # filled in
    assert cli(*ADD, "--idempotency-key", "csv-row-17").stdout == "4501\n"


def test_an_add_killed_before_its_answer_was_stored_is_settled_by_track(panel, tmp_path):  # noqa: F811
    calls, _, cli = panel
    assert cli(*ADD, "--idempotency-key", "csv-row-16").exit_code == 0  # a row to copy
    with sqlite3.connect(tmp_path / "t.db") as db:  # kill -9 after the claim, long ago
        db.execute(
            "INSERT INTO idempotency_keys (panel, idempotency_key, request, status, at, "
            "updated_at) SELECT panel, 'csv-row-17', request, 'Sending', "
            "'2026-01-01T00:00:00+00:00', updated_at FROM idempotency_keys"
        )
    found = cli("track", "--idempotency-key", "csv-row-17", "4507")
    assert found.exit_code == 0 and "settled: placed as order 4507" in found.stdout
    assert cli(*ADD, "--idempotency-key", "csv-row-17").stdout == "4507\n"
    assert calls["add"] == 1


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["csv-row-9", "4501"], "idempotency key 'csv-row-9' names no add on sim; nothing tracked"),
        (["csv-row-17", "4501", "4502"], "--idempotency-key takes one order ID, not 2"),
        # "no order IDs given" (plural), where one is expected:
        (["csv-row-17", "-"], "--idempotency-key takes one order ID, none on stdin"),
        (["csv-row-17", " , "], "smm-tracker: no order ID given\n"),
        (["", "4501"], "--idempotency-key must be 1 to 200 printable characters"),
    ],
)
def test_track_refuses_a_key_it_cannot_settle_and_tracks_nothing(panel, tmp_path, args, said):  # noqa: F811
    _, _, cli = _lost(panel)
    refused = cli("track", "--idempotency-key", *args)
    assert refused.exit_code == 2 and refused.stdout == ""
    assert said in refused.stderr and "Traceback" not in refused.stderr
    assert _orders(tmp_path) == []
    assert _rows(tmp_path) == [("sim", "csv-row-17", "Unknown", None)]


def test_track_refuses_a_key_placed_with_another_order(panel, tmp_path):  # noqa: F811
    calls, _, cli = panel
    assert cli(*ADD, "--idempotency-key", "csv-row-17").stdout == "4501\n"
    refused = cli("track", "--idempotency-key", "csv-row-17", "4999")
    assert refused.exit_code == 2 and refused.stdout == ""
    assert "idempotency key 'csv-row-17' placed order 4501" in refused.stderr
    assert "not 4999; nothing tracked" in refused.stderr
    assert [row[0] for row in _orders(tmp_path)] == [4501]
    assert _rows(tmp_path) == [("sim", "csv-row-17", "Placed", 4501)]


def test_an_add_found_not_placed_is_sent_under_its_key_with_not_placed(panel, tmp_path):  # noqa: F811
    calls, _, cli = _lost(panel)
    sent = cli(*ADD, "--idempotency-key", "csv-row-17", "--not-placed")
    assert (sent.exit_code, sent.stdout) == (0, "4502\n"), sent.stderr
    assert "released as not placed, as you said" in sent.stderr
    assert calls["add"] == 2
    assert _rows(tmp_path) == [("sim", "csv-row-17", "Placed", 4502)]
    again = cli(*ADD, "--idempotency-key", "csv-row-17")  # the script's re-run
    assert (again.exit_code, again.stdout) == (0, "4502\n")
    twice = cli(*ADD, "--idempotency-key", "csv-row-17", "--not-placed")  # placed now
    assert twice.exit_code == 2 and twice.stdout == ""
    assert "placed order 4502" in twice.stderr and "nothing sent" in twice.stderr
    assert calls["add"] == 2


def test_not_placed_with_other_flags_than_the_keys_is_refused(panel, tmp_path):  # noqa: F811
    calls, _, cli = _lost(panel)
    other = cli(*ADD[:-1], "200", "--idempotency-key", "csv-row-17", "--not-placed")
    assert other.exit_code == 2 and other.stdout == ""
    assert "was used for another order" in other.stderr and "nothing sent" in other.stderr
    assert calls["add"] == 1
    assert _rows(tmp_path) == [("sim", "csv-row-17", "Unknown", None)]


def test_not_placed_on_a_fresh_key_sends_it_as_a_first_add(panel, tmp_path):  # noqa: F811
    calls, _, cli = panel
    sent = cli(*ADD, "--idempotency-key", "csv-row-17", "--not-placed")
    assert (sent.exit_code, sent.stdout) == (0, "4501\n"), sent.stderr
    assert "was not used: sent as a first add" in sent.stderr
    assert _rows(tmp_path) == [("sim", "csv-row-17", "Placed", 4501)]
    assert calls["add"] == 1


def test_not_placed_without_a_key_is_a_usage_error(panel):  # noqa: F811
    calls, _, cli = panel
    refused = cli(*ADD, "--not-placed")
    assert refused.exit_code == 2 and "--not-placed goes with --idempotency-key" in refused.stderr
    assert calls["add"] == 0


def test_not_placed_waits_for_an_add_that_may_still_be_sending(panel, tmp_path):  # noqa: F811
    # A Sending row is a run killed, or one still waiting for its answer (a
    # rate limit's wait, a slow panel): released while the latter runs, the
    # order would be placed twice. Released once no add can still be running.
    calls, set_reply, cli = panel
    _claimed_just_now(cli, tmp_path)
    set_reply(json_reply({"order": 4502}))
    early = cli(*ADD, "--idempotency-key", "csv-row-17", "--not-placed")
    assert early.exit_code == 1 and early.stdout == ""
    assert "may still be waiting for its answer (an add may take 185 s)" in early.stderr
    assert "check the panel again after 20" in early.stderr  # when it can no longer run
    assert "nothing sent" in early.stderr
    assert calls["add"] == 1
    with sqlite3.connect(tmp_path / "t.db") as db:  # the add killed long ago
        db.execute(
            "UPDATE idempotency_keys SET at = '2026-01-01T00:00:00+00:00' "
            "WHERE idempotency_key = 'csv-row-17'"
        )
    late = cli(*ADD, "--idempotency-key", "csv-row-17", "--not-placed")
    assert (late.exit_code, late.stdout) == (0, "4502\n"), late.stderr
    assert "interrupted before its answer was stored), released as not placed" in late.stderr
    assert calls["add"] == 2


def test_a_key_whose_request_was_edited_by_hand_settles_without_details(panel, tmp_path):  # noqa: F811
    _, _, cli = _lost(panel)
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("UPDATE idempotency_keys SET request = 'service=1, by hand'")
    found = cli("track", "--idempotency-key", "csv-row-17", "4501")
    assert found.exit_code == 0 and "settled: placed as order 4501" in found.stdout
    assert "Traceback" not in found.output
    assert _orders(tmp_path) == [(4501, None, None, None, "track")]


def test_track_waits_for_an_add_that_may_still_be_sending(panel, tmp_path):  # noqa: F811
    # Settled as placed while the add still waits for its answer, the key
    # would be overwritten by that answer: Unknown (answer lost), or given
    # back (refused). Refused as `--not-placed` is, until no add can run.
    calls, _, cli = panel
    _claimed_just_now(cli, tmp_path)
    early = cli("track", "--panel", "sim", "--idempotency-key", "csv-row-17", "4502")
    assert early.exit_code == 1 and early.stdout == ""
    assert "may still be waiting for its answer (an add may take 185 s)" in early.stderr
    assert "nothing tracked: check the panel again after 20" in early.stderr
    assert _orders(tmp_path) == [(4501, 1, "https://x.test/p", 100, "add")]  # nothing tracked
    assert ("sim", "csv-row-17", "Sending", None) in _rows(tmp_path)
    with sqlite3.connect(tmp_path / "t.db") as db:  # the add killed long ago
        db.execute(
            "UPDATE idempotency_keys SET at = '2026-01-01T00:00:00+00:00' "
            "WHERE idempotency_key = 'csv-row-17'"
        )
    late = cli("track", "--panel", "sim", "--idempotency-key", "csv-row-17", "4502")
    assert late.exit_code == 0 and "settled: placed as order 4502" in late.stdout
    assert calls["add"] == 1


def _claimed_just_now(cli, tmp_path) -> None:
    """Key csv-row-17 claimed a moment ago by an add still Sending (a copy of
    csv-row-16's row, placed by an add run now)."""
    assert cli(*ADD, "--idempotency-key", "csv-row-16").exit_code == 0  # a row to copy
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute(
            "INSERT INTO idempotency_keys (panel, idempotency_key, request, status, at, "
            "updated_at) SELECT panel, 'csv-row-17', request, 'Sending', at, updated_at "
            "FROM idempotency_keys"
        )
