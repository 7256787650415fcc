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
from hostile import Reply, json_reply
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


# ux194: the refused refill said at once, and cancel's unknown and not-sent
# lines, cut the panel's words at 200 characters (a fix or a closing
# parenthesis of the tracker's cut with them): at PANEL_WORDS now, the
# tracker's words around them whole.
PAGE = "Internal error " + "p" * 250  # a 500's page, as the panel layer quotes it


def test_a_refill_refused_at_once_cuts_the_panels_words_as_refused_lines_do(panel):  # noqa: F811
    _server, replies, cli = panel
    replies["refill"] = json_reply({"error": WORDS})
    refused = cli("refill", "5")
    assert refused.exit_code == 1, refused.output
    assert _said(refused) == f"smm-tracker: order 5: the panel refused the refill: {SHOWN}"
    replies["refill"] = json_reply({"refill": "R" + "z" * 250})  # no usable refill ID
    lost = cli("refill", "6")
    assert lost.exit_code == 1, lost.output
    answer = '{"refill": "R' + "z" * 66 + "…"  # 80 characters of the answer
    assert _said(lost) == (
        "smm-tracker: order 6: the refill request may have reached the panel but its answer "
        f"gave no usable refill ID (answered without a usable refill ID: {answer}); "
        "recorded as sent, so it is not resent inside the cooldown"
    )


@pytest.mark.parametrize(
    ("reply", "line"),
    [
        (
            Reply(PAGE.encode(), 500),
            "#5  unknown: sim: cancel: outcome unknown — check the panel before canceling "
            f"again (HTTP 500: {PAGE[:79]}…)",  # its parenthesis closed
        ),
        (
            json_reply({"error": "Too many requests " + WORDS}),
            f"#5  not sent: panel busy: {('Too many requests ' + WORDS)[:79]}… - try again later",
        ),
        (
            json_reply([{"order": 5, "cancel": {"what": WORDS}}]),
            "#5  unknown: answered without a readable cancel result: "
            f"{json.dumps({'what': WORDS})[:79]}… - check the panel",
        ),
    ],
)
def test_cancels_unknown_and_not_sent_lines_cut_the_panels_words_alone(panel, reply, line):  # noqa: F811
    _server, replies, cli = panel
    replies["cancel"] = reply
    cancel = cli("cancel", "--yes", "5")
    assert cancel.exit_code == 1, cancel.output
    assert line in cancel.stdout.splitlines(), cancel.output  # were 200 characters


def test_a_first_refusal_in_a_missing_actions_words_cuts_them_too(panel):  # noqa: F811
    _server, replies, cli = panel
    words = "Unknown action: " + "u" * 200  # what it answers an action that does not exist
    replies["smm_tracker_no_such_action"] = replies["refill"] = json_reply({"error": words})
    refused = cli("refill", "5")
    assert refused.exit_code == 1, refused.output
    assert (
        _said(refused)
        == (  # the words cut, the tracker's after them whole
            f"smm-tracker: order 5: the panel refused the refill: sim: refill: {words[:79]}… (the"
            " words it answers an action that does not exist: learned missing if the next refill"
            " call is refused so too)"
        )
    )


def test_a_message_naming_its_own_fix_after_the_panels_words_is_kept_whole():
    from tracker.cli.panel_words import quoting_panel

    proxy = (  # as panel/proxies.py says a proxy's refusal of CONNECT
        "sim: cancel: http://127.0.0.1:3128 refused CONNECT to panel.example:443: it answered"
        f" HTTP 403: {'Forbidden ' * 12}; check $HTTPS_PROXY, $HTTP_PROXY or $ALL_PROXY"
    )
    assert quoting_panel(proxy) == proxy
    page = f"sim: cancel: outcome unknown (HTTP 500: {'x' * 100})"
    assert quoting_panel(page) == f"sim: cancel: outcome unknown (HTTP 500: {'x' * 79}…)"
