"""A key refused in every item of an answer is the key's refusal, as the same
words once at the top are, whatever the answer's code.

With a 4xx (``{"1": {"error": "Invalid API key"}, "2": {...}}`` and a 403,
401 or 400) it was a broken answer (``HTTP 403: {...}``): the panel was not
paused, no ``auth_failed`` was raised, and every poll failed alike. It is the
key's refusal now (``HTTP 403: Invalid API key``, AuthError), for the reads
(``status``, ``refill_status``) and for ``refill`` and ``cancel`` (a key
refused in every item: nothing was done). Words no one knows in every item
are judged by the witness, as the same words at the top are: the key's only
when ``balance`` is refused alike; never an order's for the panel's state.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hostile import Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from scripted_panel import client_answering, rows
from test_client import KEY as CLIENT_KEY
from test_client import FakePanel, make_client
from test_refusal_words_plain import KEY, panel  # noqa: F401  (fixture)

from tracker.errors import AuthError, OutcomeUnknownError, PanelAnswerError

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

IDS = [7101, 7102]
KEY_WORDS = "Invalid API key"


def items(words: str, code: int, ids: list[int] = IDS) -> httpx.Response:
    body = {str(i): {"error": words} for i in ids}
    return httpx.Response(code, content=json.dumps(body).encode())


def top(words: str, code: int) -> httpx.Response:
    return httpx.Response(code, content=json.dumps({"error": words}).encode())


# --- the reads: every item the key's refusal, as at the top ---


@pytest.mark.parametrize("code", [400, 401, 403])
def test_the_key_refused_in_every_item_with_a_4xx_is_the_keys_refusal(code):
    fake = FakePanel(items(KEY_WORDS, code))
    with pytest.raises(AuthError) as in_items:
        make_client(fake, [], retries=0).statuses(IDS)
    with pytest.raises(AuthError) as at_top:
        make_client(FakePanel(top(KEY_WORDS, code)), [], retries=0).statuses(IDS)
    assert str(in_items.value).endswith(f"status: HTTP {code}: {KEY_WORDS}")
    assert str(in_items.value) == str(at_top.value)
    assert in_items.value.status == code
    assert len(fake.requests) == 1  # a refusal: not asked again


def test_the_key_refused_in_bare_words_under_every_id_with_a_403():
    body = {str(i): f"{KEY_WORDS} ({CLIENT_KEY})" for i in IDS}  # echoed back: blanked
    answer = httpx.Response(403, content=json.dumps(body).encode())
    with pytest.raises(AuthError) as caught:
        make_client(FakePanel(answer), [], retries=0).statuses(IDS)
    assert "status: HTTP 403: Invalid API key" in str(caught.value)
    assert CLIENT_KEY not in str(caught.value)


def test_every_refill_status_item_refusing_the_key_with_a_403():
    body = [{"refill": r, "status": {"error": KEY_WORDS}} for r in ("1", "2")]
    answer = httpx.Response(403, content=json.dumps(body).encode())
    with pytest.raises(AuthError) as caught:
        make_client(FakePanel(answer), [], retries=0).refill_statuses(["1", "2"])
    assert str(caught.value).endswith(f"refill_status: HTTP 403: {KEY_WORDS}")
    assert caught.value.status == 403


# --- refill and cancel: the key refused in every item, nothing done ---


def test_every_refill_item_refusing_the_key_with_a_403_is_the_keys_refusal():
    body = [{"order": i, "refill": {"error": KEY_WORDS}} for i in IDS]
    fake = FakePanel(httpx.Response(403, content=json.dumps(body).encode()))
    with pytest.raises(AuthError) as caught:
        make_client(fake, [], retries=0).refills(IDS)
    assert str(caught.value).endswith(f"refill: HTTP 403: {KEY_WORDS}")
    assert caught.value.status == 403 and len(fake.requests) == 1


def test_every_cancel_item_refusing_the_key_with_a_401_is_the_keys_refusal():
    body = [{"order": i, "cancel": {"error": KEY_WORDS}} for i in IDS]
    fake = FakePanel(httpx.Response(401, content=json.dumps(body).encode()))
    with pytest.raises(AuthError) as caught:
        make_client(fake, [], retries=0).cancel(IDS)
    assert str(caught.value).endswith(f"cancel: HTTP 401: {KEY_WORDS}")
    assert caught.value.status == 401 and len(fake.requests) == 1


# --- words no one knows in every item: the witness judges, as at the top ---

UNKNOWN = "Your IP is not on the allow-list"


def unknown_items(balance: Reply) -> Any:
    def respond(form: dict[str, str]) -> Reply:
        if form["action"] == "balance":
            return balance
        if form["action"] == "status" and "orders" in form:
            body = {i: {"error": UNKNOWN} for i in form["orders"].split(",")}
            return Reply(json.dumps(body).encode(), 403)
        return Reply(json.dumps({"error": UNKNOWN}).encode(), 403)

    return respond


def test_unknown_words_in_every_item_with_a_403_and_balance_refused_alike_are_the_keys():
    refused = Reply(json.dumps({"error": UNKNOWN}).encode(), 403)
    client, asked = client_answering(unknown_items(refused), KEY)
    with pytest.raises(AuthError) as caught:
        client.statuses(IDS)
    assert str(caught.value).endswith(f"status: HTTP 403: {UNKNOWN}")
    assert asked[:2] == ["status", "balance"]  # the witness asked, as for the top's words


def test_unknown_words_in_every_item_with_a_403_while_balance_answers_are_no_keys():
    answers = json_reply({"balance": "5", "currency": "USD"})
    client, asked = client_answering(unknown_items(answers), KEY)
    got = client.statuses(IDS)  # the panel works: each item's own, as with a 200
    assert asked[:2] == ["status", "balance"]
    assert sorted(got) == IDS and {item.error for item in got.values()} == {UNKNOWN}


def test_unknown_words_in_every_item_while_the_witness_fails_are_the_panels():
    broken = Reply(b"<html><title>502 Bad Gateway</title></html>", 502)
    client, _asked = client_answering(unknown_items(broken), KEY)
    with pytest.raises(PanelAnswerError) as caught:
        client.statuses(IDS)
    assert not isinstance(caught.value, AuthError)
    assert str(caught.value).endswith(f"status: HTTP 403: {UNKNOWN}")


# --- what a user sees: the panel paused, auth_failed raised, no order blamed ---


@pytest.mark.parametrize("code", [401, 403])
def test_run_once_pauses_the_panel_and_blames_no_order(panel, tmp_path, code):  # noqa: F811
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "status":
            ids = form.get("orders", form.get("order", "")).split(",")
            body = {i: {"error": f"{KEY_WORDS} ({KEY})"} for i in ids}
            return Reply(json.dumps(body).encode(), code)
        return Reply(json.dumps({"error": f"{KEY_WORDS} ({KEY})"}).encode(), code)  # at the top

    cli, _server = panel(respond)
    first = cli("run", "--once", "--all")
    again = cli("run", "--once", "--all")
    assert first.exit_code == 1, first.output
    assert "panel_paused" in first.output and f"HTTP {code}: {KEY_WORDS}" in first.output
    assert [kind for (kind,) in rows(tmp_path, "SELECT kind FROM alerts")] == ["auth_failed"]
    assert rows(tmp_path, "SELECT error, error_count, polling FROM orders") == [(None, 0, 1)] * 2
    assert again.exit_code == 1 and "paused (key refused)" in again.output
    for output in (first.output, again.output):
        assert KEY not in output and "{" not in output.split("HTTP", 1)[-1].split("\n", 1)[0]
    assert KEY.encode() not in (tmp_path / "t.db").read_bytes()


def test_a_refill_id_beside_the_keys_refusal_in_a_403_stays_an_unknown_outcome():
    # It may have been done: never "nothing done", never the key's refusal.
    body = [{"order": i, "refill": 90 + i, "error": KEY_WORDS} for i in IDS]
    fake = FakePanel(httpx.Response(403, content=json.dumps(body).encode()))
    with pytest.raises(OutcomeUnknownError):
        make_client(fake, [], retries=0).refills(IDS)
    assert len(fake.requests) == 1
