"""`add` against a panel whose answer names no usable order: through the real
CLI and a scripted panel on loopback, what the user reads, the exit code, and
what the database tracks.

A 2xx answer that is not the panel's ``{"error": ...}`` means the panel took
the request: without a usable order ID (a positive whole number, as an int or
a string of digits) the outcome is unknown, never a plain failure inviting a
retry, and nothing is tracked.
"""

from __future__ import annotations

import os
import sqlite3

import pytest
from hostile import Reply, json_reply, text_reply
from simconfig import add_panel, cli_process, tracked_ids

KEY = "hostile-key-AddAnswers42"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
UNKNOWN = "smm-tracker: sim: add: outcome unknown — check the panel before placing it again"


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (server, set_reply, cli); set_reply(reply) scripts the answer to ``add``."""
    with add_panel(tmp_path, monkeypatch, KEY) as found:
        yield found


_tracked = tracked_ids


def _line(result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize(
    ("reply", "shown"),
    [
        (json_reply({"order": "0"}), '{"order": "0"}'),
        (json_reply({"order": 0}), '{"order": 0}'),
        (json_reply({"order": -7}), '{"order": -7}'),
        (json_reply({"order": "-7"}), '{"order": "-7"}'),
        (json_reply({"order": "1e5"}), '{"order": "1e5"}'),
        (json_reply({"order": 12.5}), '{"order": 12.5}'),
        (json_reply({"order": 23501.000001}), '{"order": 23501.000001}'),
        # Read as the double 23501.0, but not written a whole number: not 23501.
        (text_reply('{"order": 23501.00000000000001}'), '{"order": 23501.00000000000001}'),
        (text_reply('{"order": 2.35010000000000001e4}'), '{"order": 2.35010000000000001e4}'),
        (text_reply('{"order": 1e400}'), '{"order": Infinity}'),
        (json_reply({"order": float(2**53)}), '{"order": 9007199254740992.0}'),
        (json_reply({"order": -23501.0}), '{"order": -23501.0}'),
        (json_reply({"order": "12.0"}), '{"order": "12.0"}'),  # a string: as written, no ID
        (json_reply({"order": "235 01"}), '{"order": "235 01"}'),
        (json_reply({"order": "+23501"}), '{"order": "+23501"}'),
        (json_reply({"order": " 0 "}), '{"order": " 0 "}'),
        (json_reply({"order": "\u3000" + "23501"}), '{"order": "\\u300023501"}'),
        (json_reply({"order": "ORD-12"}), '{"order": "ORD-12"}'),
        (json_reply({"order": {"id": 5}}), '{"order": {"id": 5}}'),
        (json_reply({"order": True}), '{"order": true}'),
        (json_reply({"order": None}), '{"order": null}'),
        (json_reply({"order": 2**63}), '{"order": 9223372036854775808}'),
        (json_reply({"order": 10**18}), '{"order": 1000000000000000000}'),
        (json_reply({"status": "success", "id": 555}), '{"status": "success", "id": 555}'),
        # {"error": ""}: "answered an error with no words" (test_hostile_wordless_everywhere.py)
        (json_reply({"order": "Заказ"}), '{"order": "Заказ"}'),  # as written, not \\u escapes
        # Characters that show nothing, escaped: before, "ORD23501" seemed "ORD 23501".
        (json_reply({"order": "ORD\u200b23501"}), '{"order": "ORD\\u200b23501"}'),
        (json_reply({"order": "23501\u00a0ID"}), '{"order": "23501\\u00a0ID"}'),
        (json_reply([]), "[]"),
        (json_reply("ok"), '"ok"'),
        (json_reply({"status": "queued"}, status=202), '{"status": "queued"}'),
    ],
)
def test_a_taken_add_without_a_usable_order_id_is_outcome_unknown(panel, tmp_path, reply, shown):
    server, set_reply, cli = panel
    set_reply(reply)
    result = cli(*ADD)
    assert result.exit_code == 1, result.output
    assert _line(result) == f"{UNKNOWN} (answered without a usable order ID: {shown})"
    assert result.stdout == ""  # no ID printed for a script to pick up
    assert _tracked(tmp_path) == []
    assert len(server.requests) == 1  # never resent


def test_an_order_id_not_written_a_whole_number_behind_php_notices_is_outcome_unknown(
    panel, tmp_path
):
    # 23501.000000000000001 reads as the double 23501.0: it was tracked as
    # order 23501, which the panel never named.
    server, set_reply, cli = panel
    set_reply(text_reply('<b>Notice</b>: x\n{"status": "ok", "order": 23501.000000000000001}'))
    result = cli(*ADD)
    assert result.exit_code == 1, result.output
    said = '(answered without a usable order ID: {"status": "ok", "order": 23501.000000000000001})'
    assert result.stderr.splitlines()[-1] == f"{UNKNOWN} {said}"
    assert result.stdout == ""
    assert _tracked(tmp_path) == [] and len(server.requests) == 1


def test_an_add_answer_without_an_order_id_is_quoted_as_json_short_and_without_the_key(
    panel, tmp_path
):
    # It was a Python repr ({'order': -7}, True, None): the panel's answer is
    # quoted as the JSON it sent, the key it echoed blanked, cut like any
    # quoted answer.
    server, set_reply, cli = panel
    set_reply(json_reply({"status": "ok", "key": KEY, "note": "x" * 300}))
    result = cli(*ADD)
    assert result.exit_code == 1, result.output
    line = _line(result)
    assert KEY not in result.output
    quoted = line.partition("answered without a usable order ID: ")[2]
    assert quoted.startswith('{"status": "ok", "key": "***", "note": "xxx'), line
    assert quoted.endswith("…)") and len(quoted) == 121, line  # cut at 120, then ")"
    assert _tracked(tmp_path) == [] and len(server.requests) == 1


@pytest.mark.parametrize(
    "body",
    ['{"order": 77, "order": 78}', '{"order": "77", "error": "no funds", "error": "ok"}'],
)
def test_an_add_answer_giving_a_key_twice_differently_is_outcome_unknown(panel, tmp_path, body):
    # The JSON decoder kept the last: order 78 was tracked and printed, while
    # the panel may have placed (and charged) 77.
    server, set_reply, cli = panel
    set_reply(text_reply(body))
    result = cli(*ADD)
    assert result.exit_code == 1, result.output
    assert _line(result).startswith(UNKNOWN), result.output
    assert "twice, differently" in _line(result)
    assert result.stdout == ""
    assert _tracked(tmp_path) == [] and len(server.requests) == 1


def test_an_add_answer_giving_a_key_twice_alike_is_read(panel, tmp_path):
    _server, set_reply, cli = panel
    set_reply(text_reply('{"order": 78, "status": "ok", "order": 78}'))
    result = cli(*ADD)
    assert result.exit_code == 0, result.output
    assert result.stdout == "78\n"
    assert _tracked(tmp_path) == [78]


def test_an_empty_2xx_answer_to_add_is_outcome_unknown(panel, tmp_path):
    server, set_reply, cli = panel
    set_reply(Reply(b"", status=204, headers={}))
    result = cli(*ADD)
    assert result.exit_code == 1, result.output
    assert _line(result).startswith(f"{UNKNOWN} (HTTP 204: ")
    assert _tracked(tmp_path) == [] and len(server.requests) == 1


@pytest.mark.parametrize("status", [200, 201, 202])
@pytest.mark.parametrize("order", [78, "78"])
def test_a_2xx_answer_with_an_order_id_is_placed_and_tracked(panel, tmp_path, status, order):
    _server, set_reply, cli = panel
    set_reply(json_reply({"order": order}, status=status))
    result = cli(*ADD)
    assert result.exit_code == 0, result.output
    assert result.stdout == "78\n"
    assert _tracked(tmp_path) == [78]


@pytest.mark.parametrize(
    "body",
    [
        '{"order": " 23501 "}',
        '{"order": "23501\\n"}',
        '{"order": "\\t23501\\r\\n"}',
        '{"order": "23501\\u00a0"}',  # a no-break space
        '{"order": "\\ufeff23501"}',  # a BOM
        '{"order": "23501\\u200b"}',  # a zero-width space
        '{"order": "\\u206023501\\u2060"}',  # word joiners
        '{"order": 23501.0}',
        '{"order": 23501.000}',
        '{"order": 2.3501e4}',  # the same number, exactly
        '{"order": 235010e-1}',
        '{"order": 23501.000000000000000000000000000000000}',
    ],
)
def test_an_order_id_padded_or_written_as_a_whole_float_is_placed_and_tracked(
    panel, tmp_path, body
):
    # Outcome unknown before: the order placed (and charged) on the panel but
    # not tracked, the user left to `track` it by hand. The ID is plain in each.
    server, set_reply, cli = panel
    set_reply(text_reply(body))
    result = cli(*ADD)
    assert result.exit_code == 0, result.output
    assert result.stdout == "23501\n"
    assert _tracked(tmp_path) == [23501]
    assert len(server.requests) == 1


def test_the_largest_usable_order_id_is_tracked_and_can_be_untracked(panel, tmp_path):
    _server, set_reply, cli = panel
    set_reply(json_reply({"order": str(10**18 - 1)}))
    result = cli(*ADD)
    assert result.exit_code == 0, result.output
    assert _tracked(tmp_path) == [10**18 - 1]
    assert cli("untrack", str(10**18 - 1)).exit_code == 0


@pytest.mark.parametrize("status", [200, 201])
def test_the_panels_error_to_add_stays_a_refusal(panel, tmp_path, status):
    server, set_reply, cli = panel
    set_reply(json_reply({"error": "Not enough funds on balance"}, status=status))
    result = cli(*ADD)
    assert result.exit_code == 1
    code = "" if status == 200 else f"HTTP {status}: "
    assert _line(result) == (
        f"smm-tracker: sim: add: {code}Not enough funds on balance; no order placed"
    )
    assert _tracked(tmp_path) == [] and len(server.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        '{"order": "\\u001b[2J\\u009b31m\\u202e"}',
        '"\\u001b]0;pwned\\u0007"',
        '{"error": "\\u001b[2Jfunds\\u202e"}',
    ],
)
def test_the_panels_words_reach_the_terminal_escaped(panel, tmp_path, body):
    _server, set_reply, cli = panel
    set_reply(text_reply(body))
    result = cli(*ADD)
    assert result.exit_code == 1
    line = _line(result)
    assert "\\x1b" in line or "\\u001b" in line  # an answer quoted as JSON: JSON's escape
    assert not any(c in line for c in "\x1b\x07\x9b\u202e")
    assert _tracked(tmp_path) == []


def _row(tmp_path, order_id: int) -> dict:
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.row_factory = sqlite3.Row
        return dict(db.execute("SELECT * FROM orders WHERE order_id = ?", [order_id]).fetchone())


@pytest.mark.parametrize("order", [102, "102"])
def test_an_add_answered_with_an_order_already_tracked_is_outcome_unknown(panel, tmp_path, order):
    server, set_reply, cli = panel
    assert cli("track", "102").exit_code == 0  # tracked without details
    assert cli("untrack", "102").exit_code == 0  # and stopped by the user
    before = _row(tmp_path, 102)
    set_reply(json_reply({"order": order}))
    result = cli(*ADD)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1] == (
        f"{UNKNOWN} (the panel answered order 102, which is already tracked)"
    )
    assert result.stdout == ""  # no ID for a script to take for a new order
    assert _row(tmp_path, 102) == before  # neither filled in nor resumed
    assert _tracked(tmp_path) == [102] and len(server.requests) == 1


def _closed_pipe() -> int:
    read, write = os.pipe()
    os.close(read)  # nobody reads: every write fails with EPIPE
    return write


@pytest.mark.parametrize("stdout", ["/dev/full", "closed pipe"])
def test_an_id_that_cannot_be_printed_is_placed_and_tracked_and_said_so(panel, tmp_path, stdout):
    # A real process whose stdout fails: /dev/full (ENOSPC) or a pipe nobody reads.
    server, set_reply, _cli = panel
    set_reply(json_reply({"order": 78}))
    out = _closed_pipe() if stdout == "closed pipe" else os.open("/dev/full", os.O_WRONLY)
    try:
        done = cli_process(tmp_path, ADD, stdout=out, env={"SIM_KEY": KEY})
    finally:
        os.close(out)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "smm-tracker: order 78 was placed and is tracked, but its ID could not be printed "
        f"({'No space left on device' if stdout == '/dev/full' else 'Broken pipe'}): "
        "do not place it again"
    ]
    assert _tracked(tmp_path) == [78] and len(server.requests) == 1
    assert KEY not in done.stderr
