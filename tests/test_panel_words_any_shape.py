"""The panel's words to ``add``, ``refill`` and ``cancel``, the same whatever
their shape; an HTTP reason phrase saying busy, to the reads; and the fix a
refill not sent is told.

1. Words other than the key's refusal with a 401, 403 or 404 were read two
   ways by their shape: a bare JSON string "outcome unknown", the same words
   as a line of plain text "not sent" (judged a web server's page, answered
   before the script ran), which tells the user to send again. Words are the
   panel's script's, so it ran, and it may have acted before it wrote them:
   both are outcome unknown now. A web server's line (``Forbidden``, ``403
   Forbidden``, ``Access denied.``) or an HTML page stays not sent.
2. A line that is only an HTTP reason phrase saying busy (``Too many
   requests``, ``Service Unavailable``) was a server's line: with a 200 a
   broken answer, retried as "answered invalid JSON" without the panel's
   wait; with a 4xx an error page. To the reads it is the panel busy now, as
   ``{"error": "Too many requests"}`` with a 200 is, its wait hint honoured;
   ``add``, ``refill`` and ``cancel`` read it as their outcome unknown
   (tests/test_refusal_words_agree.py).
3. ``refill ID`` gave a refill not sent the fix of a page answered before the
   API ("this URL refuses access before the API") whatever its error, by its
   HTTP code alone: a refusal carrying a 403 would have been told so.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import scripted_panel as scripted
from hostile import HostileServer, Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config
from test_refusal_words_plain import (
    BALANCE,
    KEY,
    Respond,
    acts,
    placed,  # noqa: F401  (fixture)
    said,
    said_line,
    text,
)

from tracker.errors import (
    AuthError,
    OutcomeUnknownError,
    PanelAnswerError,
    RateLimitedError,
    TransientError,
    UnservedError,
)
from tracker.panel.client import PanelClient

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]


def client_answering(answer: Respond, retries: int = 1) -> tuple[PanelClient, list[str]]:
    """A client whose panel answers each request's form with ``answer(form)``."""
    return scripted.client_answering(answer, KEY, retries)


# --- 1. the panel's words with a 401, 403 or 404: one reading, any shape ---

OTHER_WORDS = ["Not enough funds", "Order placed", "Incorrect request", "Service is disabled"]


@pytest.mark.parametrize("code", [401, 403, 404])
@pytest.mark.parametrize("shape", ["bare", "text"])
@pytest.mark.parametrize("words", OTHER_WORDS)
def test_other_words_with_a_401_403_or_404_are_outcome_unknown_in_any_shape(words, shape, code):
    # Before: bare outcome unknown, plain "not sent" (sent again by the user).
    client, asked = client_answering(lambda form: said(words, shape, code))
    for act in acts(client):
        with pytest.raises(OutcomeUnknownError) as caught:
            act()
        assert words in str(caught.value) and f"HTTP {code}" in str(caught.value)
    assert asked == ["add", "refill", "cancel"]  # each sent once


SERVERS_PAGES = [
    b"Forbidden",
    b"403 Forbidden",
    b"Access denied.",
    b"404 page not found",
    b"File not found.",
    b"<html><body><h1>403 Forbidden</h1></body></html>",
]


@pytest.mark.parametrize("body", SERVERS_PAGES, ids=lambda b: b[:20].decode())
def test_a_web_servers_line_or_page_with_a_403_or_404_stays_not_sent(body):
    code = 404 if b"found" in body else 403
    reply = Reply(body + b"\n", code, {"Content-Type": "text/html"})
    client, asked = client_answering(lambda form: reply)
    for act in acts(client):
        with pytest.raises(UnservedError):
            act()
    assert asked == ["add", "refill", "cancel"]


def test_the_add_command_calls_plain_words_with_a_403_outcome_unknown(tmp_path, monkeypatch):
    # Before: "HTTP 403: Not enough funds; no order placed; this URL refuses
    # access before the API", the key given back: the user placed it again.
    server = HostileServer(lambda form: text("Not enough funds", 403)).start()
    try:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        args = ["add", "--service", "1", "--link", "https://x.test/q", "--quantity", "100"]
        first = cli(*args, "--idempotency-key", "k9")
        assert first.exit_code == 1
        line = said_line(first)
        assert "outcome unknown — check the panel before placing it again" in line
        assert "HTTP 403: Not enough funds" in line
        assert "no order placed" not in line and "refuses access" not in line
        again = cli(*args, "--idempotency-key", "k9")  # the key kept: never sent again
        assert again.exit_code != 0
        assert [form.get("action") for form in server.requests] == ["add"]
    finally:
        server.stop()


# --- 2. an HTTP reason phrase saying busy, to the reads ---

BUSY_LINES = [
    ("Too many requests", RateLimitedError),
    ("Too Many Requests", RateLimitedError),
    ("429 Too Many Requests", RateLimitedError),
    ("Service Unavailable", TransientError),
    ("503 Service Unavailable", TransientError),
]


@pytest.mark.parametrize("code", [200, 400, 403])
@pytest.mark.parametrize(("line", "error"), BUSY_LINES)
def test_a_busy_reason_phrase_to_a_read_is_the_panel_busy_with_its_wait(line, error, code):
    # Before: a 200 "answered invalid JSON" (its Retry-After unread), a 4xx
    # an error page at once.
    reply = Reply(f"{line}\n".encode(), code, {"Content-Type": "text/html", "Retry-After": "7"})
    client, asked = client_answering(lambda form: reply, retries=0)
    with pytest.raises(error) as caught:
        client.balance()
    assert type(caught.value) is error  # not a broken answer's TransientError subclass
    coded = "" if code == 200 else f"HTTP {code}: "  # its code named (test_refusal_words_agree)
    assert f"panel busy: {coded}{line}" in str(caught.value)
    assert caught.value.retry_after == 7.0 and not caught.value.maybe_sent
    assert asked == ["balance"]


@pytest.mark.parametrize("code", [200, 403])
def test_a_busy_reason_phrase_passes_once_the_panel_answers(code):
    replies = iter([text("Too many requests", code), json_reply(BALANCE)])
    client, asked = client_answering(lambda form: next(replies))
    assert client.balance().balance == Decimal(BALANCE["balance"])
    assert asked == ["balance", "balance"]


@pytest.mark.parametrize("code", [200, 403])
def test_add_refill_cancel_read_a_busy_reason_phrase_as_outcome_unknown(code):
    # A 200: the panel may have acted, never sent twice; a 403 too: the
    # panel's words, as the same line bare (tests/test_refusal_words_agree.py).
    error = OutcomeUnknownError
    client, asked = client_answering(lambda form: text("Too many requests", code))
    for act in acts(client):
        with pytest.raises(error) as caught:
            act()
        assert not isinstance(caught.value, (RateLimitedError, PanelAnswerError))
    assert asked == ["add", "refill", "cancel"]


# --- 3. the fix a refill not sent is told ---


def test_a_refill_refused_with_a_403_is_not_told_the_url_refuses_access(placed, monkeypatch):  # noqa: F811
    # A refusal carrying its answer's code (the key refused with HTTP 403):
    # not sent, but no page answered before the API: no fix about the URL.
    cli, server, _replies = placed

    def refused(self: PanelClient, order_id: int) -> Any:
        raise AuthError("HTTP 403: Invalid API key", panel="sim", action="refill", status=403)

    monkeypatch.setattr(PanelClient, "refill", refused)
    result = cli("refill", "5")
    assert result.exit_code == 1
    assert said_line(result) == (
        "smm-tracker: order 5: refill not sent, nothing recorded: "
        "sim: refill: HTTP 403: Invalid API key"
    )


def test_a_refill_answered_a_403_page_is_still_told_its_fix(placed):  # noqa: F811
    cli, _server, replies = placed
    replies["refill"] = Reply(b"Forbidden\n", 403, {"Content-Type": "text/plain"})
    result = cli("refill", "5")
    assert result.exit_code == 1
    assert said_line(result).endswith(
        "this URL refuses access before the API — check panels[0].url, "
        "or whether the panel's host lets this server in"
    )
