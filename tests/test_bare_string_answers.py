"""A bare JSON string for the whole answer to a call that only reads.

Panel scripts that write an item's error as a bare string ("Incorrect order
ID") write their refusals of a whole call so too: ``"Invalid API key"``,
``"Your account is inactive"``, ``"Incorrect request"``. Only a one-order
status call (``order=``) read it as the panel's words; every other action
said a broken answer ("expected an object or list for status, got str:
'Invalid API key'"): a key refused so failed every poll instead of pausing
the panel, and the witness (the balance call that tells a refusal of the
key in unknown words) never knew one. ``status`` with ``orders=``,
``balance``, ``services`` and ``refill_status`` now read it as
``{"error": <the string>}``; ``add``, ``refill`` and ``cancel`` do not (a
bare string there may follow an action the panel did: outcome unknown),
but for words refusing the key (tests/test_refusal_words_plain.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from blame_panel import status_of
from hostile import HostileServer, Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from scripted_panel import rows, scripted_panels

from tracker.config.model import PanelConfig, Secret
from tracker.errors import AuthError, BadAnswerError, OutcomeUnknownError, PanelError
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

KEY = "bare-all-Hc4Nw8Ry2Tq6Zm"
IDS = [7101, 7102]
BALANCE = {"balance": "5.00", "currency": "USD"}

Respond = Callable[[dict[str, str]], Reply]
STAMP = re.compile(r"^\S+Z ", re.MULTILINE)  # a log line's time


def shaped(words: str, bare: bool) -> Reply:
    """The panel's words as a bare JSON string, or as ``{"error": ...}``."""
    return json_reply(words if bare else {"error": words})


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Yield start(respond): a scripted panel and the real CLI on it, IDS tracked."""
    yield from scripted_panels(tmp_path, monkeypatch, KEY, IDS)


def asked(server: HostileServer) -> list[str | None]:
    return [form.get("action") for form in server.requests]


@pytest.mark.parametrize("bare", [True, False], ids=["bare", "object"])
@pytest.mark.parametrize("words", ["Access denied", "Your account is inactive", "Invalid API key"])
def test_a_bare_key_refusal_to_every_action_pauses_the_panel(panel, tmp_path, words, bare):
    # "Access denied" is no known phrasing: only the witness (balance, then
    # services, each answering the same bare words) tells it is the key's.
    # The key echoed back, as careless scripts do: blanked everywhere.
    cli, _server = panel(lambda form: shaped(f"{words}: {KEY}", bare))
    first = cli("run", "--once", "--all")
    again = cli("run", "--once", "--all")  # the key tried again: refused again, told once
    assert first.exit_code == 1, first.output
    assert "panel_paused" in first.output and words in first.output
    assert "expected an object" not in first.output  # before: a broken answer, each poll
    assert [kind for (kind,) in rows(tmp_path, "SELECT kind FROM alerts")] == ["auth_failed"]
    # Never the orders': no error stored, still polled once the key is fixed.
    assert rows(tmp_path, "SELECT error, error_count, polling FROM orders") == [(None, 0, 1)] * 2
    assert again.exit_code == 1 and "paused (key refused)" in again.output
    for said in (first.output, again.output):
        assert KEY not in said
    assert KEY.encode() not in (tmp_path / "t.db").read_bytes()


def test_a_bare_refusal_of_the_status_call_alone_is_no_orders_error(panel, tmp_path):
    # Unknown words to orders= while balance answers: the whole call's
    # refusal (WholeCallRefused), split down to each order, asked alone:
    # as {"error": ...} is, never a broken answer at every poll.
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "balance":
            return json_reply(BALANCE)
        if form.get("action") == "status" and "orders" in form:
            return json_reply("Request blocked by the firewall")
        if form.get("action") == "status":
            return json_reply(status_of(0))
        return json_reply([])

    cli, server = panel(respond)
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    assert (
        rows(tmp_path, "SELECT status, error, polling FROM orders")
        == [("In progress", None, 1)] * 2
    )
    assert "auth_failed" not in [k for (k,) in rows(tmp_path, "SELECT kind FROM alerts")]
    assert "expected an object or list" not in result.output
    assert {f.get("order") for f in server.requests if "order" in f} == {"7101", "7102"}


def _lacking_balance(bare: bool) -> Respond:
    """A panel without ``balance``: it answers it, as any action it lacks,
    "Incorrect request" (api-v2.md's generic refusal)."""

    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action")
        if action == "status":
            return json_reply({i: status_of(0) for i in form.get("orders", "").split(",")})
        if action == "services":
            return json_reply([])
        return shaped("Incorrect request", bare)

    return respond


@pytest.mark.parametrize("bare", [True, False], ids=["bare", "object"])
def test_a_bare_incorrect_request_to_balance_is_a_missing_balance_action(panel, bare):
    cli, server = panel(_lacking_balance(bare))
    first = cli("run", "--once", "--all")
    assert first.exit_code == 1 and "failed jobs: balance" in first.stdout, first.output
    assert "learned missing if the next balance call is refused so too" in first.output
    second = cli("run", "--once", "--all")
    assert second.exit_code == 0, second.output  # before, bare: 1 at every run
    assert "no balance action" in second.stdout and "failed jobs" not in second.stdout
    shown = cli("balance")
    assert shown.exit_code == 0
    assert "evil has no balance action" in shown.stderr
    listed = json.loads(cli("balance", "--json").stdout)
    assert listed["no_balance_action"][0]["answer"] == "Incorrect request"
    assert "paused" not in first.stdout + second.stdout


@pytest.mark.parametrize("words", ["No services available", "Invalid API key", "Access denied"])
def test_a_bare_string_to_services_is_read_as_the_same_words_as_an_error(panel, words):
    # The same command, the same words said, for both shapes. "Access
    # denied" is the key's refusal too: balance answers it so.
    said = []
    for bare in (False, True):
        cli, _server = panel(lambda form, bare=bare: shaped(f"{words}: {KEY}", bare))
        result = cli("services", "--refresh")
        said.append((result.exit_code, STAMP.sub("", result.output)))
        assert KEY not in result.output
    assert said[1] == said[0]
    assert "got str" not in said[1][1]  # before: "expected a list for services, got str"


def test_bare_busy_words_to_balance_are_retried_within_the_call(panel, tmp_path):
    # As {"error": "Too many requests"}: the panel busy, asked again within
    # the call, never a broken answer.
    answers = [json_reply("Too many requests")]

    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "balance":
            return answers.pop() if answers else json_reply(BALANCE)
        if form.get("action") == "status":
            return json_reply({i: status_of(0) for i in form.get("orders", "").split(",")})
        return json_reply([])

    cli, server = panel(respond)
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    assert asked(server).count("balance") == 2
    assert rows(tmp_path, "SELECT balance FROM balances") == [(5.0,)]


# --- the client alone: refill_status, and the actions left as they were ---


def client_answering(answer: Callable[[dict[str, str]], Any]) -> PanelClient:
    """A client whose panel answers each request's form with ``answer(form)``
    written as JSON (balance normally, unless ``answer`` says otherwise)."""

    def handle(request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        said = answer(form)
        return httpx.Response(200, content=json.dumps(said).encode())

    config = PanelConfig(name="t", url="https://panel.test/api/v2", key=Secret(KEY), retries=0)
    return PanelClient(config, transport=httpx.MockTransport(handle))


def refill_status_answering(words: str) -> Callable[[dict[str, str]], Any]:
    return lambda form: words if form["action"] == "refill_status" else BALANCE


def test_a_bare_key_refusal_to_refill_status_is_the_key_refused():
    client = client_answering(refill_status_answering("Invalid API key"))
    with pytest.raises(AuthError, match="refill_status: Invalid API key"):
        client.refill_status("12")
    with pytest.raises(AuthError):
        client.refill_statuses(["12", "13"])


def test_a_bare_not_found_to_refill_status_is_the_refills_error():
    client = client_answering(refill_status_answering("Refill not found"))
    assert client.refill_status("12").error == "Refill not found"


@pytest.mark.parametrize(
    ("words", "status"),
    [
        ("Completed", "Completed"),
        ("Success", "Completed"),
        ("Rejected", "Rejected"),
        ("In progress", "In progress"),
    ],
)
def test_a_bare_refill_status_word_to_one_refill_is_that_refills_status(words, status):
    # As order= reads a bare "Completed" as the order's status: one refill
    # was asked, so the word is its status (never its error, which would
    # count towards closing it); it was a broken answer on every check.
    client = client_answering(refill_status_answering(words))
    report = client.refill_status("12")
    assert (report.status, report.error) == (status, None)
    assert report.raw_status == words


@pytest.mark.parametrize("words", ["Completed", "Rejected"])
def test_a_bare_refill_status_word_to_many_refills_is_still_a_broken_answer(words):
    # The word names none of the asked refills: whose status is it?
    client = client_answering(refill_status_answering(words))
    with pytest.raises(BadAnswerError, match="got str"):
        client.refill_statuses(["12", "13"])


@pytest.mark.parametrize("words", ["", "<html><body>502</body></html>"])
def test_a_bare_string_of_no_words_to_refill_status_is_still_a_broken_answer(words):
    # No words are nobody's.
    client = client_answering(refill_status_answering(words))
    with pytest.raises(BadAnswerError, match="got str"):
        client.refill_status("12")


def test_add_refill_and_cancel_still_read_a_bare_string_as_no_answer():
    # A bare string may follow an action the panel did: outcome unknown, or
    # the parser's broken answer; never a refusal, never sent again. Words
    # refusing the key are its refusal (tests/test_refusal_words_plain.py).
    sent: list[str] = []

    def answer(form: dict[str, str]) -> Any:
        sent.append(form["action"])
        return BALANCE if form["action"] == "balance" else "Incorrect request"

    client = client_answering(answer)
    with pytest.raises(OutcomeUnknownError):
        client.add(NewOrder(service=1, link="https://example.com/p", quantity=100))
    for act in (lambda: client.refill(5), lambda: client.cancel([5, 6])):
        with pytest.raises(PanelError) as caught:
            act()
        assert not isinstance(caught.value, AuthError)
        assert "got str: 'Incorrect request'" in str(caught.value)
    assert sent == ["add", "refill", "cancel"]
