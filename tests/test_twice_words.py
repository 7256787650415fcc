"""A panel's JSON giving one key twice, differently (``{"error": [], "error":
{}}``) is said in words, JSON as other lines show an answer, never Python's
rendering of the error item it is read as (``{'error': "answered 'error'
twice, ..."}``), through the real CLI against a scripted panel on loopback.
"""

from __future__ import annotations

import pytest
from hostile import json_reply, text_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import scripted_panel

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

KEY = "hostile-key-TwiceWords5"
DONE = {"status": "Completed", "charge": "1.00", "remains": "0", "currency": "USD"}
ERROR_TWICE = '{"error": [], "error": {}}'


def _python_free(line: str) -> None:
    assert "{'" not in line and "'error'" not in line and "\\'" not in line, line


def test_a_refill_refused_with_its_error_given_twice_says_it_in_words(tmp_path, monkeypatch):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["status"] = json_reply({"5": DONE})
        assert cli("track", "5").exit_code == 0
        replies["refill"] = text_reply(ERROR_TWICE)
        result = cli("refill", "--force", "5")
    assert result.exit_code == 1, result.output
    (said,) = [line for line in result.stderr.splitlines() if "refused the refill" in line]
    assert 'the panel refused the refill: it answered "error" twice, differently: [] and {}' in said
    _python_free(said)
    assert server.calls("refill") == 1


def test_a_status_answer_with_its_error_given_twice_fails_in_words(tmp_path, monkeypatch):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["status"] = json_reply({"5": DONE})
        assert cli("track", "5").exit_code == 0
        replies["status"] = text_reply(ERROR_TWICE)
        result = cli("run", "--once", "--all")
    (failed,) = [line for line in result.stderr.splitlines() if "status_failed" in line]
    assert 'answered "error" twice, differently: [] and {}' in failed, failed
    _python_free(failed)


def test_an_order_keyed_twice_is_said_in_words_within_the_answer_shown():
    from tracker.errors import BadAnswerError
    from tracker.panel.json_decoder import decode
    from tracker.panel.parse import parse_status_multi

    keyed_twice = '{"23503": {"status": "Pending"}, "23503": {"status": "Completed"}}'
    with pytest.raises(BadAnswerError) as raised:
        parse_status_multi([23503], decode(keyed_twice, plain=False))
    said = str(raised.value)
    assert '<answered "23503" twice, differently: {"status": "Pending"} and' in said, said
    assert "{'error'" not in said and "\\'" not in said, said


def test_an_add_answered_an_order_id_twice_says_it_in_words(tmp_path, monkeypatch):
    # {"order": 77, "order": 78}: either may be placed, the outcome unknown.
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["add"] = text_reply('{"order": 77, "order": 78}')
        result = cli("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100")
    assert result.exit_code == 1, result.output
    (said,) = [line for line in result.stderr.splitlines() if line.startswith("smm-tracker:")]
    assert '{"order": <answered "order" twice, differently: 77 and 78>}' in said, said
    assert '\\"' not in said and "{'" not in said, said
    assert server.calls("add") == 1
