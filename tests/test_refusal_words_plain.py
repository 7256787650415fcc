"""The panel's words alone: a line of plain text with a 200, and a key's
refusal (bare or plain) to ``add``, ``refill`` and ``cancel``.

A 200 whose whole body is one line of plain text (``Invalid API key``,
``Incorrect request``) was "answered invalid JSON", retried until the call
failed, at every poll: a refused key neither paused the panel nor raised
``auth_failed``. The reads now take it as ``{"error": words}``, as they take
it with a 4xx (tests/test_refusal_words_4xx.py). A 200 cut off or garbled
stays a broken answer.

``add``, ``refill`` and ``cancel`` read the same key refusal three ways by
its shape: ``{"error": ...}`` the key's refusal, a bare string with a 401
"outcome unknown", a plain line with a 401 "not sent". Words refusing the
key are now its refusal in any shape, with a 2xx or a 4xx (nothing was
done: the panel paused, the add's key given back); any other words are
judged by their code as before (a 200: outcome unknown, never sent twice).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import scripted_panel as scripted
from blame_panel import status_of
from hostile import HostileServer, Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from scripted_panel import rows, scripted_panels
from simconfig import cli_in, sim_config

from tracker.errors import (
    AuthError,
    OutcomeUnknownError,
    PanelAnswerError,
    PanelError,
    TransientError,
)
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

KEY = "words-plain-Rt5Gh8Kd3Lw9Qs"
IDS = [7101, 7102]
BALANCE = {"balance": "5.00", "currency": "USD"}
Respond = Callable[[dict[str, str]], Reply]
ORDER = NewOrder(service=1, link="https://example.com/p", quantity=100)


def acts(client: PanelClient) -> list[Any]:
    """The three calls that act, each to run: add, refill, cancel."""
    return [lambda: client.add(ORDER), lambda: client.refill(5), lambda: client.cancel([5])]


def text(words: str, code: int = 200) -> Reply:
    """A line of plain text, as PHP scripts echo it (text/html)."""
    return Reply(f"{words}\n".encode(), code, {"Content-Type": "text/html; charset=UTF-8"})


def said(words: str, shape: str, code: int) -> Reply:
    """The panel's words with HTTP ``code``: bare JSON, plain text or ``{"error": ...}``."""
    if shape == "bare":
        return Reply(json.dumps(words).encode(), code)
    if shape == "text":
        return text(words, code)
    return Reply(json.dumps({"error": words}).encode(), code)


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Yield start(respond): a scripted panel and the real CLI on it, IDS tracked."""
    yield from scripted_panels(tmp_path, monkeypatch, KEY, IDS)


def kinds(tmp_path: Path) -> list[str]:
    return [kind for (kind,) in rows(tmp_path, "SELECT kind FROM alerts")]


# --- a 200 of plain words, to the reads ---


@pytest.mark.parametrize("words", ["Invalid API key", "Your account is inactive", "Access denied"])
def test_a_key_refused_in_plain_words_with_a_200_pauses_the_panel(panel, tmp_path, words):
    # "Access denied" is no known phrasing: balance, then services, refused
    # alike tell it is the key's. The key echoed back: blanked everywhere.
    cli, _server = panel(lambda form: text(f"{words} ({KEY})"))
    first = cli("run", "--once", "--all")
    again = cli("run", "--once", "--all")
    assert first.exit_code == 1, first.output
    assert "panel_paused" in first.output and words in first.output
    assert kinds(tmp_path) == ["auth_failed"]
    assert rows(tmp_path, "SELECT error, error_count, polling FROM orders") == [(None, 0, 1)] * 2
    assert again.exit_code == 1 and "paused (key refused)" in again.output
    for output in (first.output, again.output):
        assert KEY not in output and "answered invalid JSON" not in output
    assert KEY.encode() not in (tmp_path / "t.db").read_bytes()


def test_an_orders_own_refusal_in_plain_words_with_a_200_is_that_orders(panel, tmp_path):
    # As {"error": "Incorrect order ID"}: the call split down to 7102, its own error.
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "balance":
            return json_reply(BALANCE)
        if form.get("action") != "status":
            return json_reply([])
        ids = (form.get("orders") or form.get("order", "")).split(",")
        if "7102" in ids:
            return text("Incorrect order ID")
        return json_reply({i: status_of(0) for i in ids} if "orders" in form else status_of(0))

    cli, _server = panel(respond)
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    stored = rows(tmp_path, "SELECT order_id, status, error, error_count FROM orders")
    assert stored[0] == (7101, "In progress", None, 0)
    assert stored[1][0] == 7102 and stored[1][2] == "Incorrect order ID" and stored[1][3] >= 1
    assert "auth_failed" not in kinds(tmp_path)


def test_a_balance_refused_in_plain_words_with_a_200_is_learned_missing(panel):
    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action")
        if action == "status":
            return json_reply({i: status_of(0) for i in form.get("orders", "").split(",")})
        if action == "services":
            return json_reply([])
        return text("Incorrect request")

    cli, _server = panel(respond)
    first = cli("run", "--once", "--all")
    assert first.exit_code == 1 and "failed jobs: balance" in first.stdout, first.output
    assert "answered invalid JSON" not in first.output
    second = cli("run", "--once", "--all")
    assert second.exit_code == 0, second.output
    assert "no balance action" in second.stdout and "paused" not in second.output


# --- the client alone ---


def client_answering(answer: Respond) -> tuple[PanelClient, list[str]]:
    """A client whose panel answers each request's form with ``answer(form)``."""
    return scripted.client_answering(answer, KEY, retries=1)


def answering(action: str, reply: Reply) -> Respond:
    return lambda form: reply if form["action"] == action else json_reply(BALANCE)


def test_busy_words_in_plain_text_with_a_200_are_retried_as_busy():
    client, asked = client_answering(answering("services", text("Database busy, try again later")))
    with pytest.raises(TransientError, match="panel busy: Database busy"):
        client.services()
    assert asked == ["services", "services"]


BROKEN_200 = [
    b'{"balance": "5.0',  # cut off
    b'"Invalid API key',  # a bare string cut off
    b"[1, 2",
    b'{"balance": 5.00, "currency": USD}',  # garbled
    b"Invalid API key\nPlease check your settings",  # two lines
    b"Completed",  # a status word: no one's refusal
    b"Gateway Timeout",  # a server's line ("Service Unavailable": busy, test_panel_words_any_shape)
    b'Warning: Undefined array key "key" in /var/www/api.php on line 12',
    # A PHP notice in front of the JSON, cut before its colon: no one's words
    # (read so, refill_status took "Notic" for the refill's own error).
    *[b"Notice: Undefined index in /a.php on line 3\n{}"[:n] for n in (1, 2, 3, 5, 6)],
    b"Warn",
    b"PHP Fatal err",
]


@pytest.mark.parametrize("body", BROKEN_200, ids=lambda b: repr(b[:20]))
def test_a_200_cut_off_garbled_or_not_words_stays_a_broken_answer(body):
    # A read: retried, then the call's failure; add: outcome unknown, sent once.
    client, asked = client_answering(lambda form: Reply(body, 200, {"Content-Type": "text/html"}))
    with pytest.raises(TransientError) as caught:
        client.balance()
    assert not isinstance(caught.value, PanelAnswerError)
    assert asked == ["balance", "balance"]
    with pytest.raises(TransientError):  # never the refill's own error
        client.refill_status("12")
    assert asked[2:] == ["refill_status"] * 2
    with pytest.raises(OutcomeUnknownError):
        client.add(ORDER)
    assert asked[4:] == ["add"]


# --- add, refill and cancel ---


KEY_SHAPES = [
    *[(shape, code) for shape in ("bare", "text") for code in (200, 400, 401, 403, 404, 422)],
    *[("object", code) for code in (200, 401, 404)],
]


@pytest.mark.parametrize(("shape", "code"), KEY_SHAPES)
@pytest.mark.parametrize("words", ["Invalid API key", "Your account is inactive"])
def test_add_refill_cancel_read_a_key_refusal_in_any_shape_as_the_keys(shape, code, words):
    # Before: bare with a 4xx "outcome unknown", plain with a 401/403/404
    # "not sent", with a 200 both outcome unknown; {"error": ...} the key's.
    client, asked = client_answering(lambda form: said(words, shape, code))
    for act in (lambda: client.add(ORDER), lambda: client.refill(5), lambda: client.cancel([5])):
        with pytest.raises(AuthError) as caught:
            act()
        assert str(caught.value).endswith(words)
        assert (f"HTTP {code}" in str(caught.value)) == (code != 200)
    assert asked[:3] == ["add", "refill", "cancel"]  # each sent once
    with pytest.raises(AuthError) as caught:
        client.add(ORDER)
    assert caught.value.status == (None if code == 200 else code)


OTHER_WORDS = ["Not enough funds", "Order placed", "Incorrect request", "Success: order 23501"]


@pytest.mark.parametrize("words", OTHER_WORDS)
@pytest.mark.parametrize("shape", ["bare", "text"])
def test_other_plain_or_bare_words_to_add_with_a_200_stay_outcome_unknown(words, shape):
    # A line after the panel placed the order may say anything: never read
    # as a refusal (placed again), never sent twice.
    client, asked = client_answering(lambda form: said(words, shape, 200))
    with pytest.raises(OutcomeUnknownError):
        client.add(ORDER)
    assert asked == ["add"]


def test_words_naming_the_key_without_refusing_it_stay_outcome_unknown():
    client, asked = client_answering(lambda form: text("Order 23501 placed with your API key"))
    with pytest.raises(OutcomeUnknownError):
        client.add(ORDER)
    for act in (lambda: client.refill(5), lambda: client.cancel([5])):
        with pytest.raises(PanelError) as caught:
            act()
        assert not isinstance(caught.value, AuthError)
    assert asked == ["add", "refill", "cancel"]


# --- the add command ---


@pytest.mark.parametrize(("shape", "code"), [("text", 200), ("bare", 401), ("text", 403)])
def test_the_add_command_says_the_key_was_refused_and_gives_its_key_back(
    panel, tmp_path, shape, code
):
    cli, server = panel(
        lambda form: (
            said("Invalid API key", shape, code)
            if form.get("action") == "add"
            else json_reply(BALANCE)
        )
    )
    args = ["add", "--service", "1", "--link", "https://example.com/p", "--quantity", "100"]
    first = cli(*args, "--idempotency-key", "k1")
    assert first.exit_code == 1, first.output
    assert "Invalid API key; no order placed" in first.output
    assert "outcome unknown" not in first.output and KEY not in first.output
    # Refused: nothing placed, the key given back: the same add may be sent again.
    again = cli(*args, "--idempotency-key", "k1")
    assert again.exit_code == 1 and "Invalid API key; no order placed" in again.output
    assert [form.get("action") for form in server.requests].count("add") == 2


# --- the refill and cancel commands ---


@pytest.fixture
def placed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Yield (cli, server, replies) with orders 5 and 6 placed by `add` on a
    scripted panel; ``replies[action]`` scripts an action's answer."""
    numbers = iter([5, 6])
    replies: dict[str, Reply] = {"balance": json_reply(BALANCE)}

    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action", "")
        if action == "add":
            return json_reply({"order": next(numbers)})
        return replies.get(action) or json_reply({"error": "Incorrect request"})

    server = HostileServer(respond).start()
    cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
    for _ in range(2):
        add = cli("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100")
        assert add.exit_code == 0, add.output
    yield cli, server, replies
    server.stop()


def said_line(result: Any) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("smm-tracker:")]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize(("shape", "code"), [("text", 403), ("text", 200), ("bare", 401)])
def test_refill_and_cancel_commands_say_the_key_refused_and_store_nothing(
    placed, tmp_path, shape, code
):
    # Before: a plain 403 "not sent" with a fix naming the URL or the host,
    # a plain 200 or a bare 401 outcome unknown (the refill held back a
    # cooldown, the cancel Unknown). The key refused: nothing done, nothing stored.
    cli, server, replies = placed
    replies["refill"] = replies["cancel"] = said("Invalid API key", shape, code)
    refill = cli("refill", "5")
    coded = "" if code == 200 else f"HTTP {code}: "
    assert refill.exit_code == 1
    not_sent = "smm-tracker: order 5: refill not sent, nothing recorded"
    assert said_line(refill) == f"{not_sent}: sim: refill: {coded}Invalid API key"
    cancel = cli("cancel", "--yes", "5", "6")
    assert cancel.exit_code == 1
    assert said_line(cancel) == f"smm-tracker: sim: cancel: {coded}Invalid API key"
    assert rows(tmp_path, "SELECT count(*) FROM refills") == [(0,)]
    assert rows(tmp_path, "SELECT count(*) FROM cancels") == [(0,)]
    sent = [form.get("action") for form in server.requests]
    assert sent.count("refill") == 1 and sent.count("cancel") == 1
