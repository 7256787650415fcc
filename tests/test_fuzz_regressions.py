"""Defects the answer fuzzer (tests/test_fuzz_answers.py) found, each pinned
by the smallest answer that showed it, through the client's real entry points."""

from __future__ import annotations

import json

import httpx
import pytest

from tracker.config.model import PanelConfig, Secret
from tracker.errors import AuthError, OutcomeUnknownError, PanelAnswerError, PanelError
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder

KEY = "Qa/Key+9zX2=mN7pL4wR"


def client_answering(body: bytes) -> PanelClient:
    config = PanelConfig(name="t", url="https://panel.test/api/v2", key=Secret(KEY), retries=0)
    answer = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    return PanelClient(config, transport=answer, sleep=lambda s: None)


def test_a_multi_refill_answer_naming_an_order_not_asked_reports_only_the_asked():
    # Order 3 was never asked about: its item was returned as a report, and
    # counted as an answer for the asked order the panel left out (order 2),
    # so two key refusals (1 and 3) read as "every asked order refuses the
    # key": AuthError, and order 2's request forgotten as never sent.
    refused = {"error": "Invalid API key"}
    body = json.dumps([{"order": 1, "refill": refused}, {"order": 3, "refill": refused}])
    client = client_answering(body.encode())
    answers = client.refills([1, 2])
    assert [(a.order_id, a.error) for a in answers] == [(1, "Invalid API key")]
    listed = client_answering(b'[{"order": 1, "refill": 5}, {"order": 3, "refill": 6}]')
    assert [(a.order_id, a.refill_id) for a in listed.refills([1, 2])] == [(1, "5")]


def test_an_error_field_flagging_a_refusal_with_1_is_no_order_nor_refill_id():
    # {"error": 1, "message": ...}: the 1 only flags an error (as true does),
    # its words beside. add read the 1 as an order ID placed for its error
    # (outcome unknown: "check the panel before placing it again") and refill
    # as a refill ID (Unknown), where the panel refused the key (auth_failed)
    # or the order. Seed 3 #814 of SMM_FUZZ_INPUTS=1500.
    order = NewOrder(1, "https://example.com/p/1", 100)
    for flag in (1, "1"):
        for said in ("message", "msg"):
            refused = json.dumps({"error": flag, said: "Invalid API key"}).encode()
            with pytest.raises(AuthError, match="Invalid API key"):
                client_answering(refused).add(order)
            with pytest.raises(AuthError, match="Invalid API key"):
                client_answering(refused).refills([5, 6])
            funds = json.dumps({"error": flag, said: "Not enough funds on balance"}).encode()
            with pytest.raises(PanelAnswerError) as raised:
                client_answering(funds).add(order)
            assert not isinstance(raised.value, OutcomeUnknownError), str(raised.value)
            assert str(raised.value).endswith("Not enough funds on balance")
            words = "Order not eligible for refill."
            not_eligible = json.dumps({"error": flag, said: words}).encode()
            request = client_answering(not_eligible).refill(5)
            assert (request.refill_id, request.unknown, request.error) == (None, False, words)


def client_with_witness(body: bytes, code: int) -> PanelClient:
    """A client whose panel answers refill_status with ``body`` and ``code``,
    its balance (the witness) as a working panel does."""

    def answer(request: httpx.Request) -> httpx.Response:
        if b"action=refill_status" in request.content:
            return httpx.Response(code, content=body)
        return httpx.Response(200, content=b'{"balance": "1.50", "currency": "USD"}')

    config = PanelConfig(name="t", url="https://panel.test/api/v2", key=Secret(KEY), retries=0)
    return PanelClient(config, transport=httpx.MockTransport(answer), sleep=lambda s: None)


@pytest.mark.parametrize(
    ("body", "code"),
    [(b"Just a moment...", 403), (b"\xffnu", 200), (b'cb({"status":{"error":"Refill not', 200)],
)
def test_a_single_refill_status_answered_no_document_is_no_refill_error(body, code):
    # A one-refill refill_status answered a Cloudflare challenge's words with a
    # 4xx, stray bytes, or a JSONP answer cut short: read as the refill's own
    # error ('HTTP 403: Just a moment...', 'ÿnu'), where the same words with a
    # 200 ("Just a moment...") or other plain text ("Hello there") fail the
    # call. Seed 3 #665, #1332 and #636 of SMM_FUZZ_INPUTS=1500 (the first two
    # with the grammar before fuzz178 too).
    with pytest.raises(PanelError):
        client_with_witness(body, code).refill_status("5")
    with pytest.raises(PanelError):  # asked with refills= too: the call's failure
        client_with_witness(body, code).refill_statuses(["5", "6"])


@pytest.mark.parametrize("code", [400, 401, 422])
def test_an_error_flag_of_1_with_a_4xx_is_no_order_nor_refill_id(code):
    # As above, with a 4xx: the 1 was kept apart from "HTTP 400: ..." and
    # read as the order (or refill) ID named for the error all the same.
    def answering(body: bytes) -> PanelClient:
        config = PanelConfig(name="t", url="https://panel.test/api/v2", key=Secret(KEY), retries=0)
        answer = httpx.MockTransport(lambda request: httpx.Response(code, content=body))
        return PanelClient(config, transport=answer, sleep=lambda s: None)

    order = NewOrder(1, "https://example.com/p/1", 100)
    refused = json.dumps({"error": 1, "message": "Invalid API key"}).encode()
    with pytest.raises(AuthError, match="Invalid API key"):
        answering(refused).add(order)
    link = json.dumps({"error": 1, "message": "Incorrect link"}).encode()
    with pytest.raises(PanelAnswerError, match="Incorrect link"):
        answering(link).add(order)
    words = "Order not eligible for refill."
    request = answering(json.dumps({"error": 1, "msg": words}).encode()).refill(5)
    assert (request.refill_id, request.unknown) == (None, False), request
    assert request.error is not None and request.error.endswith(words), request


@pytest.mark.parametrize(
    "body", ['"\\n_ x\u00e9@ O+ y,\\u0016zW="'.encode(), '"Минутку,\\nпожалуйста"'.encode()]
)
def test_a_refill_status_answered_a_string_of_lines_fails_in_one_line(body):
    # A bare JSON string of more than one line, not in ASCII, with a 200
    # (hostile182 made a bare string of words fail the call as the same
    # words with no JSON do): the raw string was the failure's words, its
    # lines in one error. Seed 0 #707 and #71 of SMM_FUZZ_INPUTS=1500.
    for ask in (lambda c: c.refill_status("5"), lambda c: c.refill_statuses(["5", "6"])):
        with pytest.raises(PanelError) as failed:
            ask(client_with_witness(body, 200))
        assert "\n" not in str(failed.value) and "\r" not in str(failed.value)
