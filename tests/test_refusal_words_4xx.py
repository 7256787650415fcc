"""A refusal with a 4xx code whose whole body is the panel's words: a bare
JSON string (``"Invalid API key"``) or a line of plain text (``Invalid API
key``, ``Incorrect request``, ``error: invalid key``).

Self-hosted scripts that set a 401, 403, 400, 404 or 422 on a refusal write
it as they write their 200s. ``{"error": ...}`` was read under any code;
these two shapes only with a 2xx: with a 4xx a read said a broken answer or
an error page at every call. A refused key neither paused the panel nor
raised ``auth_failed``, and an order's own refusal failed the whole call.
The calls that only read now take such words as ``{"error": words}`` with
the same code. A server's or proxy's line ("404 page not found", "error
code: 1020", "Forbidden"), HTML, several lines or a long text stay a page;
``add``, ``refill`` and ``cancel`` are judged by their code as before, but
for words refusing the key (tests/test_refusal_words_plain.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import scripted_panel as scripted
from blame_panel import status_of
from hostile import Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from scripted_panel import rows, scripted_panels

from tracker.errors import (
    AuthError,
    BadAnswerError,
    OutcomeUnknownError,
    PanelAnswerError,
    UnservedError,
)
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

KEY = "words-4xx-Pq7Lm2Xz9Vb4Nc"
IDS = [7101, 7102]
BALANCE = {"balance": "5.00", "currency": "USD"}
Respond = Callable[[dict[str, str]], Reply]


def said(words: str, shape: str, code: int) -> Reply:
    """The panel's words with HTTP ``code``: a bare JSON string, a plain text
    line (text/html, as PHP scripts send it), or ``{"error": ...}``."""
    if shape == "bare":
        return Reply(json.dumps(words).encode(), code)
    if shape == "text":
        return Reply(f"{words}\n".encode(), code, {"Content-Type": "text/html; charset=UTF-8"})
    return Reply(json.dumps({"error": words}).encode(), code)


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Yield start(respond): a scripted panel and the real CLI on it, IDS tracked."""
    yield from scripted_panels(tmp_path, monkeypatch, KEY, IDS)


def statuses_but(bad: int, refusal: Reply) -> Respond:
    """A panel whose balance and catalogue work, answering every status call
    that asks for ``bad`` with ``refusal`` and the others' statuses."""

    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action")
        if action == "balance":
            return json_reply(BALANCE)
        if action != "status":
            return json_reply([])
        ids = (form.get("orders") or form.get("order", "")).split(",")
        if str(bad) in ids:
            return refusal
        answer = {i: status_of(0) for i in ids} if "orders" in form else status_of(0)
        return json_reply(answer)

    return respond


KEY_CASES = [
    *[("Invalid API key", shape, code) for shape in ("bare", "text") for code in (401, 403)],
    *[("Invalid API key", "text", code) for code in (400, 404, 422)],
    ("Invalid API key", "bare", 422),
    ("error: invalid key", "text", 401),
    # No known phrasing: balance, then services, refused alike tell it is the key's.
    ("Your IP is not on the allow-list", "text", 403),
    ("Your IP is not on the allow-list", "bare", 403),
]


@pytest.mark.parametrize(("words", "shape", "code"), KEY_CASES)
def test_a_key_refused_in_words_with_a_4xx_pauses_the_panel(panel, tmp_path, words, shape, code):
    # The key echoed back, as careless scripts do: blanked everywhere.
    cli, _server = panel(lambda form: said(f"{words} ({KEY})", shape, code))
    first = cli("run", "--once", "--all")
    again = cli("run", "--once", "--all")
    assert first.exit_code == 1, first.output
    assert "panel_paused" in first.output and words in first.output
    assert [kind for (kind,) in rows(tmp_path, "SELECT kind FROM alerts")] == ["auth_failed"]
    # Never the orders': no error stored, still polled once the key is fixed.
    assert rows(tmp_path, "SELECT error, error_count, polling FROM orders") == [(None, 0, 1)] * 2
    assert again.exit_code == 1 and "paused (key refused)" in again.output
    for output in (first.output, again.output):
        assert KEY not in output and "answered invalid JSON" not in output
    assert KEY.encode() not in (tmp_path / "t.db").read_bytes()


@pytest.mark.parametrize("shape", ["bare", "text"])
@pytest.mark.parametrize("code", [400, 404])
def test_an_orders_own_refusal_with_a_4xx_is_that_orders(panel, tmp_path, shape, code):
    # orders= holding 7102 refused, split down to 7102 alone, refused alike
    # while 7101 is answered: 7102's own error, counted as its (as with
    # {"error": ...}); the poll no failure. Before: every call holding 7102
    # failed as a page, 7101 included in the first.
    cli, _server = panel(statuses_but(7102, said("Incorrect order ID", shape, code)))
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    stored = rows(tmp_path, "SELECT order_id, status, error, error_count FROM orders")
    assert stored[0] == (7101, "In progress", None, 0)
    assert stored[1][0] == 7102 and stored[1][1] is None and stored[1][3] >= 1
    assert stored[1][2].endswith("Incorrect order ID")
    assert "auth_failed" not in [k for (k,) in rows(tmp_path, "SELECT kind FROM alerts")]


@pytest.mark.parametrize("shape", ["bare", "text"])
def test_the_status_call_itself_refused_with_a_4xx_is_no_orders_error(panel, tmp_path, shape):
    # "Incorrect request" refuses the call, never the order asked alone, even
    # while the panel answers the other orders (as {"error": ...} with a 400:
    # tests/test_lone_call_refused.py). Before: every call holding 7102 a page.
    cli, _server = panel(statuses_but(7102, said("Incorrect request", shape, 400)))
    result = cli("run", "--once", "--all")
    assert result.exit_code == 1, result.output
    assert "status call refused: HTTP 400: Incorrect request" in result.output
    stored = rows(tmp_path, "SELECT order_id, status, error, error_count FROM orders")
    assert stored == [(7101, "In progress", None, 0), (7102, None, None, 0)]
    assert "auth_failed" not in [k for (k,) in rows(tmp_path, "SELECT kind FROM alerts")]


@pytest.mark.parametrize("shape", ["bare", "text"])
def test_a_balance_refused_with_a_4xx_generic_refusal_is_learned_missing(panel, shape):
    # A panel without balance answers it, as any action it lacks, a 400
    # "Incorrect request": learned missing at the second refusal, as with a 200.
    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action")
        if action == "status":
            return json_reply({i: status_of(0) for i in form.get("orders", "").split(",")})
        if action == "services":
            return json_reply([])
        return said("Incorrect request", shape, 400)

    cli, _server = panel(respond)
    first = cli("run", "--once", "--all")
    assert first.exit_code == 1 and "failed jobs: balance" in first.stdout, first.output
    assert "learned missing if the next balance call is refused so too" in first.output
    second = cli("run", "--once", "--all")
    assert second.exit_code == 0, second.output
    assert "no balance action" in second.stdout and "paused" not in second.output


@pytest.mark.parametrize("code", [200, 400])
def test_a_bare_status_word_to_balance_is_one_clear_broken_answer(panel, code):
    # "Completed" is no refusal and no balance: the balance job fails in one
    # line saying what came, the rest of the run goes on, no traceback.
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "balance":
            return json_reply("Completed", code)
        if form.get("action") == "status":
            return json_reply({i: status_of(0) for i in form.get("orders", "").split(",")})
        return json_reply([])

    cli, _server = panel(respond)
    result = cli("run", "--once", "--all")
    assert result.exit_code == 1
    failed = [line for line in result.output.splitlines() if "balance_failed" in line]
    broken = "expected an object for balance, got str: 'Completed'"
    came = broken if code == 200 else 'HTTP 400: "Completed"'
    assert len(failed) == 1 and came in failed[0], result.output
    assert "2 checked" in result.stdout and "failed jobs: balance" in result.stdout
    assert "Traceback" not in result.output and "paused" not in result.output


# --- the client alone ---


def client_answering(answer: Respond) -> tuple[PanelClient, list[str]]:
    """A client whose panel answers each request's form with ``answer(form)``."""
    return scripted.client_answering(answer, KEY)


def answering(action: str, reply: Reply) -> Callable[[dict[str, str]], Reply]:
    return lambda form: reply if form["action"] == action else json_reply(BALANCE)


@pytest.mark.parametrize("shape", ["bare", "text"])
def test_refill_status_refused_in_words_with_a_4xx(shape):
    client, _ = client_answering(answering("refill_status", said("Invalid API key", shape, 401)))
    with pytest.raises(AuthError, match="refill_status: HTTP 401: Invalid API key"):
        client.refill_status("12")
    client, _ = client_answering(answering("refill_status", said("Refill not found", shape, 404)))
    assert client.refill_status("12").error.endswith(": Refill not found")


NOT_WORDS = [
    Reply(b"404 page not found\n", 404, {"Content-Type": "text/plain"}),  # Go, Traefik
    Reply(b"Cannot POST /api/v2", 404, {"Content-Type": "text/html"}),  # Express
    Reply(b"Not Found", 404),
    Reply(b"Forbidden\n", 403, {"Content-Type": "text/plain"}),
    Reply(b"401 Unauthorized\n", 401, {"Content-Type": "text/plain"}),
    Reply(b"error code: 1020", 403, {"Content-Type": "text/plain"}),  # Cloudflare's firewall
    Reply(b"RBAC: access denied", 403, {"Content-Type": "text/plain"}),  # Envoy
    Reply(b"Access denied.\n", 403, {"Content-Type": "text/html"}),  # PHP-FPM
    Reply(b"Access denied by the firewall", 403, {"Content-Type": "text/plain"}),
    Reply(b"<html><title>403 Forbidden</title></html>", 403, {"Content-Type": "text/html"}),
    Reply(b"Invalid API key<br>", 401, {"Content-Type": "text/html"}),
    Reply(b"Invalid API key\nPlease check your settings", 401),  # two lines
    Reply(b"Invalid API key. " * 20, 401),  # 340 characters
    Reply(b'Warning: Undefined array key "key" in /var/www/api.php on line 12', 400),
    Reply(b'{"error": "Invalid API', 401),  # JSON cut off
    Reply(b"Method Not Allowed", 405),
    Reply(b"Invalid API key", 302, {"Location": "https://panel.test/login"}),
    Reply(json.dumps("Not Found").encode(), 404),
    Reply(json.dumps("Completed").encode(), 400),  # a status word, no one's refusal
]


@pytest.mark.parametrize("reply", NOT_WORDS, ids=lambda r: f"{r.status}-{r.body[:24]!r}")
def test_a_servers_line_or_more_than_words_stays_a_page(reply):
    # Said as before: "HTTP <code>: <what came>", a broken answer, no
    # witness asked (the panel is not known to have said anything).
    client, asked = client_answering(answering("services", reply))
    with pytest.raises(BadAnswerError) as caught:
        client.services()
    assert not isinstance(caught.value, PanelAnswerError)
    assert str(caught.value).startswith(f"t: services: HTTP {reply.status}")
    assert asked == ["services"]


@pytest.mark.parametrize("shape", ["bare", "text"])
@pytest.mark.parametrize(
    ("code", "outcome"), [(400, OutcomeUnknownError), (401, (UnservedError, OutcomeUnknownError))]
)
def test_add_refill_cancel_refused_in_words_with_a_4xx_are_judged_as_before(shape, code, outcome):
    # Never read as the panel's refusal (a 4xx may follow what the script
    # did), never sent twice: not sent (a 401's plain page, answered before
    # any script) or outcome unknown, as before. Words refusing the key are
    # its refusal in any shape (tests/test_refusal_words_plain.py).
    client, asked = client_answering(lambda form: said("Not enough funds", shape, code))
    with pytest.raises(outcome) as caught:
        client.add(NewOrder(service=1, link="https://example.com/p", quantity=100))
    assert not isinstance(caught.value, AuthError)
    for act in (lambda: client.refill(5), lambda: client.cancel([5, 6])):
        with pytest.raises((UnservedError, OutcomeUnknownError)) as caught:
            act()
        assert not isinstance(caught.value, AuthError)
    assert asked == ["add", "refill", "cancel"]
