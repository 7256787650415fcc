"""A panel's refusals told the same whatever their shape and code.

1. Busy words with a 401, 403 or 404 to ``add``, ``refill`` and ``cancel``
   were read two ways by their shape: a bare JSON string ``"Too Many
   Requests"`` outcome unknown, the same line as plain text a web server's
   page, "not sent" (the add's key given back: placed again by the user).
   A line saying busy is the panel's words to the reads already, so its
   script ran and may have acted: outcome unknown in every shape now. The
   same words bare with a 4xx are the panel busy to the reads too, as in
   plain text or ``{"error": ...}`` (a bare one was a broken answer).
2. A busy read answered with a code other than 200 said ``panel busy: Too
   many requests``: the HTTP code is named now, as in every other failure
   (``panel busy: HTTP 403: Too many requests``).
3. ``refill ID`` refused with a 4xx names the code as ``add`` does (it did
   already: pinned).
4. A 2xx of one line that refuses nothing (``OK``, ``5.00 USD``) to a read
   was taken for a refusal: ``balance`` learned missing ("the words it
   answers an action that does not exist"), every action so answered the
   key's refusal in unknown words (the panel paused). It is said to be no
   answer of that action now: ``not a balance answer: OK``, a broken answer
   as it was before the panel's words were read (``answered invalid JSON``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import scripted_panel as scripted
from blame_panel import status_of
from hostile import HostileServer, Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from scripted_panel import rows
from simconfig import cli_in, sim_config
from test_refusal_words_plain import (
    KEY,
    ORDER,
    Respond,
    acts,
    panel,  # noqa: F401  (fixture)
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


def client_answering(answer: Respond, retries: int = 0) -> tuple[PanelClient, list[str]]:
    return scripted.client_answering(answer, KEY, retries)


# --- 1. busy words to add, refill and cancel: outcome unknown in any shape ---

BUSY_WORDS = [
    "Too many requests, try again later",
    "Too Many Requests",
    "429 Too Many Requests",
    "Service Unavailable",
]


@pytest.mark.parametrize("code", [401, 403, 404])
@pytest.mark.parametrize("shape", ["bare", "text"])
@pytest.mark.parametrize("words", BUSY_WORDS)
def test_busy_words_with_a_4xx_to_add_refill_cancel_are_outcome_unknown_in_any_shape(
    words, shape, code
):
    # Before: the plain reason phrase "not sent", the same words bare outcome unknown.
    client, asked = client_answering(lambda form: said(words, shape, code))
    for act in acts(client):
        with pytest.raises(OutcomeUnknownError) as caught:
            act()
        assert words in str(caught.value) and f"HTTP {code}" in str(caught.value)
        assert not isinstance(caught.value, UnservedError | RateLimitedError)
    assert asked == ["add", "refill", "cancel"]  # each sent once, never again


def test_the_add_command_keeps_its_key_for_a_busy_line_with_a_403(tmp_path, monkeypatch):
    # Before: "HTTP 403: Too Many Requests; no order placed; this URL refuses
    # access before the API", the key given back: the same add sent again.
    server = HostileServer(lambda form: text("Too Many Requests", 403)).start()
    try:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        args = ["add", "--service", "1", "--link", "https://x.test/q", "--quantity", "100"]
        first = cli(*args, "--idempotency-key", "b7")
        assert first.exit_code == 1
        line = said_line(first)
        assert "outcome unknown — check the panel before placing it again" in line
        assert "HTTP 403: Too Many Requests" in line
        assert "no order placed" not in line and "refuses access" not in line
        assert KEY not in first.output
        again = cli(*args, "--idempotency-key", "b7")  # the key kept: never sent again
        assert again.exit_code != 0
        assert [form.get("action") for form in server.requests] == ["add"]
    finally:
        server.stop()


def test_a_web_servers_forbidden_line_with_a_403_stays_not_sent():
    client, asked = client_answering(lambda form: text("403 Forbidden", 403))
    for act in acts(client):
        with pytest.raises(UnservedError):
            act()
    assert asked == ["add", "refill", "cancel"]


@pytest.mark.parametrize("shape", ["bare", "text", "object"])
@pytest.mark.parametrize("code", [400, 403])
def test_a_busy_reason_phrase_with_a_4xx_is_the_panel_busy_to_a_read_in_any_shape(shape, code):
    # Before: bare, a broken answer ('HTTP 403: "Too many requests"'), failed at once.
    reply = said("Too many requests", shape, code)
    reply = Reply(reply.body, code, {**reply.headers, "Retry-After": "7"})
    client, asked = client_answering(lambda form: reply)
    with pytest.raises(RateLimitedError) as caught:
        client.balance()
    assert caught.value.retry_after == 7.0
    assert f"panel busy: HTTP {code}: Too many requests" in str(caught.value)
    assert asked == ["balance"]


# --- 2. a busy read names its HTTP code ---


READS = ["balance", "services", "status", "refill_status"]


def read(client: PanelClient, action: str) -> Any:
    if action == "status":
        return client.status(7101)
    if action == "refill_status":
        return client.refill_status("12")
    return getattr(client, action)()


@pytest.mark.parametrize("action", READS)
@pytest.mark.parametrize("shape", ["object", "text"])
@pytest.mark.parametrize("code", [400, 403, 422])
def test_a_busy_read_with_a_4xx_names_its_code(action, shape, code):
    client, _asked = client_answering(
        lambda form: said("Database busy, try again later", shape, code)
    )
    with pytest.raises(TransientError) as caught:
        read(client, action)
    assert caught.value.status == code
    assert f"panel busy: HTTP {code}: Database busy, try again later" in str(caught.value)


@pytest.mark.parametrize("shape", ["object", "text", "bare"])
def test_a_busy_read_with_a_200_says_no_code(shape):
    client, _asked = client_answering(lambda form: said("Too many requests", shape, 200))
    with pytest.raises(RateLimitedError) as caught:
        client.balance()
    assert str(caught.value).endswith("balance: panel busy: Too many requests")


def kinds(tmp_path: Path) -> list[str]:
    return [kind for (kind,) in rows(tmp_path, "SELECT kind FROM alerts")]


def test_the_daemon_logs_a_busy_balance_with_its_code(panel, tmp_path):  # noqa: F811
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "status":
            return json_reply({i: status_of(0) for i in form.get("orders", "").split(",")})
        if form.get("action") == "services":
            return json_reply([])
        return Reply(json.dumps({"error": "Too many requests"}).encode(), 403)

    cli, _server = panel(respond)
    result = cli("run", "--once", "--all")
    assert "panel busy: HTTP 403: Too many requests" in result.output, result.output
    assert "auth_failed" not in kinds(tmp_path)


# --- 3. refill ID refused with a 4xx names the code, as add does ---


@pytest.mark.parametrize("code", [400, 403, 422])
def test_refill_and_add_refused_with_a_4xx_both_name_the_code(placed, code):  # noqa: F811
    # Named so already: pinned beside add's, the refusal of either told alike.
    client, _asked = client_answering(lambda form: said("Not enough funds", "object", code))
    with pytest.raises(PanelAnswerError, match=f"add: HTTP {code}: Not enough funds"):
        client.add(ORDER)
    cli, _server, replies = placed
    replies["refill"] = said("Order not eligible for refill", "object", code)
    refill = cli("refill", "5")
    assert refill.exit_code == 1
    assert said_line(refill) == (
        "smm-tracker: order 5: the panel refused the refill: "
        f"HTTP {code}: Order not eligible for refill"
    )


# --- 4. a 2xx line refusing nothing, to a read: not that action's answer ---


NO_REFUSALS = ["OK", "5.00 USD", "Success", "$5.00"]


@pytest.mark.parametrize(
    ("action", "words"),
    # "Success" to refill_status is a refill's status word: that refill's status.
    [(a, w) for a in READS for w in NO_REFUSALS if (a, w) != ("refill_status", "Success")],
)
@pytest.mark.parametrize("shape", ["text", "bare"])
def test_a_line_refusing_nothing_is_not_the_reads_answer(action, shape, words):
    # Before: the panel's refusal (AuthError for the key, every action answering so).
    client, asked = client_answering(lambda form: said(words, shape, 200), retries=1)
    with pytest.raises(TransientError) as caught:
        read(client, action)
    assert not isinstance(caught.value, PanelAnswerError | AuthError | RateLimitedError)
    assert f"{action}: not a {action} answer: {words}" in str(caught.value)
    assert asked == [action, action]  # a broken answer: asked again, as invalid JSON was


def test_a_201_line_refusing_nothing_names_its_code():
    client, _asked = client_answering(lambda form: said("OK", "text", 201))
    with pytest.raises(TransientError, match="balance: HTTP 201: not a balance answer: OK"):
        client.balance()


REFUSALS = [
    ("Invalid API key", AuthError),
    ("Incorrect request", PanelAnswerError),
    ("No services available", PanelAnswerError),
    ("Maintenance mode", TransientError),  # busy
    ("Неверный ключ API", PanelAnswerError),  # another script: the benefit of the doubt
    ("5 orders max per link", PanelAnswerError),  # a limit says no
    ("Please log in", PanelAnswerError),
]


@pytest.mark.parametrize(("words", "error"), REFUSALS)
@pytest.mark.parametrize("shape", ["text", "bare"])
def test_a_line_that_refuses_stays_the_panels_refusal(words, error, shape):
    client, _asked = client_answering(lambda form: said(words, shape, 200))
    with pytest.raises(error) as caught:
        client.status(7101)
    assert "not a status answer" not in str(caught.value) and words in str(caught.value)


def test_run_once_says_ok_to_every_read_is_no_answer_not_a_refused_key(panel, tmp_path):  # noqa: F811
    # Before: balance "OK" learned missing ("the words it answers an action
    # that does not exist"); "OK" to every action the key refused, the panel paused.
    cli, _server = panel(lambda form: text("OK"))
    first = cli("run", "--once", "--all")
    second = cli("run", "--once", "--all")  # the same failure, told once: at debug
    assert "error='evil: balance: not a balance answer: OK'" in first.output, first.output
    assert "not a services answer: OK" in first.output
    for result in (first, second):
        assert result.exit_code == 1 and "failed jobs: status, services, balance" in result.output
        assert "does not exist" not in result.output and "paused" not in result.output
        assert "no balance action" not in result.output and KEY not in result.output
    assert "auth_failed" not in kinds(tmp_path)
    assert rows(tmp_path, "SELECT count(*) FROM orders WHERE polling = 1") == [(2,)]
