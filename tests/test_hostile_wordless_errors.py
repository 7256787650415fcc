"""An error of no words (``{"error": true}``, ``{"error": 1}``, ``{"error":
""}``, null, ``[]``) answered to ``cancel``, ``refill`` or ``add``, through
the real CLI and a scripted panel on loopback, is said as other wordless
answers are: outcome unknown, "answered an error with no words: <the
answer>", check the panel. ``{"error": true}`` was stored and said as the
refusal words "true" ("#7 refused: true", "add: true; no order placed"),
``{"error": ""}`` to cancel logged its key as an order nobody asked for
(``cancel_answer_ignored``). A flag with words beside (``{"error": true,
"message": ...}``) stays those words' refusal."""

from __future__ import annotations

import pytest
from envelope_kit import cancelled, refilled
from hostile import json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import add_panel

pytestmark = pytest.mark.usefixtures("fresh_logs")  # its log lines read from the CLI's output

KEY = "hostile-key-Wordless193Zq"
WORDLESS = "answered an error with no words"


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ({"error": True}, 200),
        ({"error": "true"}, 200),
        ({"error": 1}, 200),
        ({"error": ""}, 200),
        ({"error": None, "code": 5}, 200),
        ({"error": []}, 200),
        ({"error": True}, 400),
        ({"error": True, "message": " "}, 200),
    ],
    ids=["true", "true-text", "one", "empty", "null-code", "list", "true-400", "blank-message"],
)
def test_a_wordless_error_to_cancel_is_its_outcome_unknown(tmp_path, monkeypatch, answer, code):
    exit_code, said, cancels = cancelled(tmp_path, monkeypatch, KEY, answer, code)
    assert exit_code != 0
    [(order_id, result, error)] = cancels
    assert (order_id, result) == (7, "Unknown")  # never "Refused: true"
    assert WORDLESS in error
    assert any("#7  unknown:" in line and "check the panel" in line for line in said), said
    assert not [line for line in said if "refused" in line or "cancel_answer_ignored" in line]
    if code != 200:
        assert f"(HTTP {code})" in error and "HTTP 400: true" not in error


def test_a_wordless_error_in_a_cancel_item_is_its_outcome_unknown(tmp_path, monkeypatch):
    answer = [{"order": 7, "cancel": {"error": True}}]
    _, _, cancels = cancelled(tmp_path, monkeypatch, KEY, answer)
    assert cancels == [(7, "Unknown", cancels[0][2])] and WORDLESS in cancels[0][2]


def test_an_error_flag_with_words_beside_stays_their_refusal(tmp_path, monkeypatch):
    answer = {"error": True, "message": "Order is not cancelable"}
    _, said, cancels = cancelled(tmp_path, monkeypatch, KEY, answer)
    assert cancels == [(7, "Refused", "Order is not cancelable")]


@pytest.mark.parametrize("code", [200, 400])
def test_a_wordless_error_to_refill_is_its_outcome_unknown(tmp_path, monkeypatch, code):
    exit_code, said, refills = refilled(tmp_path, monkeypatch, KEY, {"error": True}, code)
    assert exit_code != 0
    [(refill_id, status, error)] = refills
    assert (refill_id, status) == (None, "Unknown")  # never Refused "true", never refill 1
    assert WORDLESS in error
    assert not [line for line in said if "refused the refill" in line], said


def test_a_wordless_error_to_add_is_its_outcome_unknown(tmp_path, monkeypatch):
    with add_panel(tmp_path, monkeypatch, KEY) as (server, set_reply, cli):
        set_reply(json_reply({"error": True}))
        placed = cli("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100")
    assert placed.exit_code != 0 and "Traceback" not in placed.output
    assert "outcome unknown" in placed.output and WORDLESS in placed.output
    assert "no order placed" not in placed.output  # it may have been placed
    assert server.calls("add") == 1
