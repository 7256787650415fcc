"""The panel's words on a line of `cancel`, `refill` and `history` are cut
at one length (ux183).

A refused refill's words were cut at 80 characters (`refill ID` held
back, `history ID`'s next-refill line), a refused cancel's at 200
(`cancel`, `history ID`'s cancel lines): two lengths for the same kind of
words, the longer wrapping past two lines of an 80-column terminal. Both
are cut at render.PANEL_WORDS now; `history ID --json` keeps them whole."""

from __future__ import annotations

import json

import pytest
from hostile import json_reply
from test_cli_refill_cancel_answers import _rows, _said, panel  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("quick_backoff")

WORDS = "Order cannot be canceled: " + "x" * 300  # as long as a panel's may be
SHOWN = WORDS[:79] + "…"  # 80 characters (render.PANEL_WORDS): an 80-column line's


def test_a_refused_cancels_words_are_cut_as_a_refused_refills(panel, tmp_path):  # noqa: F811
    _server, replies, cli = panel
    replies["cancel"] = json_reply([{"order": 5, "cancel": {"error": WORDS}}])
    cancel = cli("cancel", "--yes", "5")
    assert cancel.exit_code == 1, cancel.output
    assert f"#5  refused: {SHOWN}\n" in cancel.stdout, cancel.output  # was 200 characters
    (asked,) = _rows(tmp_path, "SELECT requested_at FROM cancels")
    history = cli("history", "5")
    assert history.exit_code == 0, history.output
    assert f"cancel requested {asked[0]}: the panel refused it: {SHOWN}" in history.stdout
    (stored,) = [c["error"] for c in json.loads(cli("history", "5", "--json").stdout)["cancels"]]
    assert len(stored) > 200 and WORDS.startswith(stored.rstrip("…"))  # as stored: longer
    replies["refill"] = json_reply({"error": WORDS})
    assert cli("refill", "5").exit_code == 1  # refused
    (refused,) = _rows(tmp_path, "SELECT requested_at FROM refills")
    again = cli("refill", "5")  # held back: the refusal said, its words cut the same
    assert f"(the panel refused it {refused[0]}: {SHOWN}); not sent" in _said(again)


def test_a_refused_cancels_line_is_wrapped_on_an_80_column_terminal(
    panel,  # noqa: F811
    monkeypatch,
):
    """`cancel`'s "#5  refused: <80 characters>" is 93 columns: on a terminal
    it is wrapped at its words, as `history ID`'s cancel line is, every word
    kept; piped it stays one line (the test above)."""
    _server, replies, cli = panel
    words = "This order cannot be canceled because the provider has already started delivering"
    replies["cancel"] = json_reply([{"order": 5, "cancel": {"error": words}}])
    monkeypatch.setattr("tracker.cli.screen.stdout_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    cancel = cli("cancel", "--yes", "5")
    assert cancel.exit_code == 1, cancel.output
    lines = cancel.stdout.splitlines()
    assert lines == [
        "#5  refused: This order cannot be canceled because the provider has already",
        "  started deliveri…",
    ], cancel.output  # was one line of 93 columns
