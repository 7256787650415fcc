"""The client against an in-process fake panel (httpx.MockTransport)."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from dripping import Dripping
from faketime import FakeTime

from tracker.config.model import PanelConfig, Secret
from tracker.errors import (
    AuthError,
    BadAnswerError,
    OutcomeUnknownError,
    PanelAnswerError,
    TransientError,
)
from tracker.panel import parse
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder

KEY = "k3y-SECRET-0123456789"
URL = "https://panel.test/api/v2"

Handler = Callable[[dict[str, str]], httpx.Response]


class FakePanel:
    """Answers scripted responses in order and records every request's form."""

    def __init__(self, *responses: httpx.Response | Exception):
        self.responses = list(responses)
        self.requests: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.requests.append(form)
        answer = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def ok(data: object, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(data).encode(), headers=headers)


def html(status: int, title: str) -> httpx.Response:
    return httpx.Response(status, content=f"<html><title>{title}</title></html>".encode())


def make_client(panel: FakePanel, sleeps: list[float] | None = None, **overrides) -> PanelClient:
    config = PanelConfig(
        name="t",
        url=URL,
        key=Secret(KEY),
        retries=overrides.pop("retries", 3),
        retry_budget=overrides.pop("retry_budget", 60.0),
        **overrides,
    )
    t = FakeTime(sleeps=sleeps)  # the recorded sleeps move its clock on, as real ones do
    network = httpx.MockTransport(panel)
    return PanelClient(config, transport=network, sleep=t.sleep, clock=t.clock)


def test_sends_key_and_action_as_form_fields():
    panel = FakePanel(ok({"balance": "1.5", "currency": "USD"}))
    assert make_client(panel).balance().currency == "USD"
    assert panel.requests == [{"key": KEY, "action": "balance"}]


def test_multi_status_joins_ids_with_commas():
    panel = FakePanel(ok({"1": {"status": "Pending"}, "2": {"status": "Completed"}}))
    result = make_client(panel).statuses([1, 2])
    assert panel.requests[0]["orders"] == "1,2" and result[2].status == "Completed"


def test_more_than_100_ids_is_refused_before_sending():
    with pytest.raises(ValueError):
        make_client(FakePanel(ok({}))).statuses(list(range(1, 102)))


@pytest.mark.parametrize(
    "fault",
    [
        html(502, "502 Bad Gateway"),
        html(200, "Just a moment..."),
        ok({"error": "x"}, status=503),
        httpx.Response(200, content=b'{"balance": "1'),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("reset"),
    ],
)
def test_transient_faults_are_retried_then_succeed(fault):
    sleeps: list[float] = []
    panel = FakePanel(fault, fault, ok({"balance": "2", "currency": "USD"}))
    assert str(make_client(panel, sleeps).balance().balance) == "2"
    assert len(panel.requests) == 3 and len(sleeps) == 2


def test_retries_are_bounded_and_the_last_error_is_raised():
    sleeps: list[float] = []
    panel = FakePanel(html(502, "502 Bad Gateway"))
    with pytest.raises(TransientError, match="HTTP 502"):
        make_client(panel, sleeps, retries=2).balance()
    assert len(panel.requests) == 3


def test_retry_budget_is_never_overshot():
    sleeps: list[float] = []
    panel = FakePanel(ok({}, status=429, **{"Retry-After": "50"}))
    with pytest.raises(TransientError, match="429"):
        make_client(panel, sleeps, retries=10, retry_budget=20.0).balance()
    # Waiting the 50 s the panel asks for would blow the 20 s budget: give up now.
    assert sleeps == [] and len(panel.requests) == 1


def test_a_429_says_the_panels_own_words():
    # The panel's words say which limit was hit (per minute, per day, per key).
    words = {"error": "You have exceeded 120 requests per minute"}
    panel = FakePanel(ok(words, status=429, **{"Retry-After": "50"}))
    with pytest.raises(TransientError) as raised:
        make_client(panel, [], retries=0).balance()
    assert "rate limited (HTTP 429: You have exceeded 120 requests per minute)" in str(raised.value)


class DrippingPanel(Dripping):
    """A panel that drips its answer (see :class:`dripping.Dripping`)."""

    def client(self, **settings: object) -> PanelClient:
        config = PanelConfig(name="t", url=URL, key=Secret(KEY), **settings)  # type: ignore[arg-type]
        network = httpx.MockTransport(FakePanel(ok({})))
        return PanelClient(config, transport=network, sleep=self.sleep, clock=lambda: self.now)


def test_a_retry_gets_only_what_is_left_of_the_retry_budget(monkeypatch):
    # 5 s, a 1-2 s backoff, then a second whole 5 s: the call took 11-12 s of
    # an 8 s budget. Now the retry's deadline is what is left: 8 s in all.
    panel = DrippingPanel(monkeypatch)
    with pytest.raises(TransientError, match="within"):
        panel.client(timeout=5.0, retries=4, retry_budget=8.0).balance()
    first, *retries = panel.deadlines
    assert first == 5.0 and len(retries) == 1 and 1.0 <= retries[0] <= 2.0
    assert panel.now - 1000.0 == pytest.approx(8.0)


def test_a_retry_with_less_than_a_second_of_budget_left_is_not_started(monkeypatch):
    # 5 s, then at least a 1 s backoff: under a second of the 6.5 s left.
    panel = DrippingPanel(monkeypatch)
    with pytest.raises(TransientError, match="within 5s"):
        panel.client(timeout=5.0, retries=4, retry_budget=6.5).balance()
    assert panel.deadlines == [5.0] and panel.now - 1000.0 < 6.5


def test_a_retry_whose_wait_for_a_slot_spent_the_budget_is_not_sent(monkeypatch):
    panel = DrippingPanel(monkeypatch)
    client = panel.client(timeout=5.0, retries=4, retry_budget=10.0)
    client._limiter = lambda: panel.sleep(2.0)  # the shared rate limit, busy
    with pytest.raises(TransientError, match=r"within 5s \(retry budget \(10s\) spent"):
        client.balance()
    assert panel.deadlines == [5.0]  # 2 + 5 + 1-2 backoff + 2: under a second left


def test_the_first_attempt_has_the_whole_timeout_whatever_the_budget(monkeypatch):
    panel = DrippingPanel(monkeypatch)
    with pytest.raises(TransientError):
        panel.client(timeout=5.0, retries=4, retry_budget=0.0).balance()
    assert panel.deadlines == [5.0]


def test_429_honours_retry_after():
    sleeps: list[float] = []
    panel = FakePanel(ok({}, status=429, **{"Retry-After": "7"}), ok({"balance": "1"}))
    make_client(panel, sleeps).balance()
    assert sleeps == [7.0]


# float() reads all of these; RFC 9110's delay-seconds is ASCII digits only.
# A date in a year too large for any calendar raised OverflowError.
YEAR_OVERFLOW = "Mon, 01 Jan 99999999999999999999 00:00:00 GMT"


@pytest.mark.parametrize(
    "value", ["1_0", " 5 ", "1e3", "nan", "inf", "\u0663", "-5", "2.5", YEAR_OVERFLOW]
)
def test_a_retry_after_that_is_neither_seconds_nor_a_date_is_unread(value):
    sleeps: list[float] = []
    limited = httpx.Response(429, content=b"{}", headers={"Retry-After": value.encode()})
    panel = FakePanel(limited, ok({"balance": "1"}))
    make_client(panel, sleeps).balance()
    assert len(sleeps) == 1 and 1.0 <= sleeps[0] <= 2.0  # the first backoff, as with none


@pytest.mark.parametrize("zone", ["", " GMT", " -0000", " +0000"])
def test_a_retry_after_date_is_gmt_whatever_the_machines_zone(monkeypatch, zone):
    # An HTTP-date is GMT (RFC 9110); one a script wrote without its zone
    # was read in local time: 5 hours off in New York (capped at 120 s).
    import time as clock

    from tracker.panel.wait_hints import retry_after

    monkeypatch.setenv("TZ", "America/New_York")
    clock.tzset()
    try:
        when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=30)
        value = when.strftime("%a, %d %b %Y %H:%M:%S") + zone
        limited = httpx.Response(429, content=b"{}", headers={"Retry-After": value})
        wait = retry_after(limited)
    finally:
        monkeypatch.delenv("TZ")
        clock.tzset()
    assert wait is not None and 25 <= wait <= 31, (value, wait)


@pytest.mark.parametrize("value", ["Café ☕".encode(), b"caf\xe9"])  # UTF-8, Latin-1
def test_an_answer_with_a_header_that_is_not_ascii_is_read(value):
    answer = ok({"balance": "1.5", "currency": "USD"}).content
    panel = FakePanel(httpx.Response(200, content=answer, headers={"X-Powered-By": value}))
    assert make_client(panel).balance().currency == "USD"


def test_panel_error_answers_are_never_retried():
    panel = FakePanel(ok({"error": "Incorrect request"}))
    with pytest.raises(PanelAnswerError, match="Incorrect request"):
        make_client(panel).balance()
    # One balance request; the services one is the witness that tells a refused
    # key (the same words for every action) from a refused call.
    assert [r["action"] for r in panel.requests] == ["balance", "services"]


def test_wrong_key_is_an_auth_error_without_the_key_in_it():
    panel = FakePanel(ok({"error": "Invalid API key"}))
    with pytest.raises(AuthError) as info:
        make_client(panel).balance()
    assert KEY not in str(info.value) and "Invalid API key" in str(info.value)


def test_4xx_with_html_is_a_clear_non_transient_error():
    panel = FakePanel(html(403, "Access denied"))
    with pytest.raises(BadAnswerError, match="HTTP 403"):
        make_client(panel).balance()
    assert len(panel.requests) == 1


@pytest.mark.parametrize(
    "lost",
    [
        httpx.ReadTimeout("slow"),
        html(502, "Bad gateway"),
        ok({"error": "boom"}, status=500),
        httpx.RemoteProtocolError("reset"),
        httpx.Response(200, content=b'{"ord'),
    ],
)
def test_add_is_never_resent_once_it_may_have_arrived(lost):
    panel = FakePanel(lost, ok({"order": 99}))
    with pytest.raises(OutcomeUnknownError, match="check the panel before placing it again"):
        make_client(panel).add(NewOrder(service=1, link="https://x.test/a", quantity=100))
    assert len(panel.requests) == 1


@pytest.mark.parametrize("refused", [httpx.ConnectError("refused"), ok({}, status=429)])
def test_add_is_retried_when_the_request_certainly_did_not_arrive(refused):
    panel = FakePanel(refused, ok({"order": 99}))
    assert make_client(panel).add(NewOrder(service=1, link="https://x.test/a", quantity=100)) == 99
    assert len(panel.requests) == 2


def test_add_sends_type_fields():
    panel = FakePanel(ok({"order": 5}))
    order = NewOrder(
        service=3,
        link="https://x.test/p",
        quantity=10,
        runs=5,
        interval=30,
        extra={"comments": "nice\ngreat"},
    )
    make_client(panel).add(order)
    sent = panel.requests[0]
    assert sent["runs"] == "5" and sent["interval"] == "30" and sent["comments"] == "nice\ngreat"


def test_falls_back_to_single_calls_when_multi_status_is_not_supported():
    def answer(request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if "orders" in form:
            return ok({"error": "Order not found."})
        if form.get("action") == "balance":  # the witness: a balance, the key works
            return ok({"balance": "1", "currency": "USD"})
        return ok({"status": "Completed", "remains": "0"})

    client = PanelClient(
        PanelConfig(name="t", url=URL, key=Secret(KEY)), transport=httpx.MockTransport(answer)
    )
    result = client.statuses([1, 2, 3])
    assert {i: s.status for i, s in result.items()} == {
        1: "Completed",
        2: "Completed",
        3: "Completed",
    }
    assert client.multi_status is False


def test_observers_see_each_call():
    seen = []
    panel = FakePanel(ok({"balance": "1"}))
    client = make_client(panel)
    client.observers.append(lambda *args: seen.append(args[:3]))
    client.balance()
    assert seen == [("t", "balance", True)]


def test_no_request_goes_out_once_a_stop_is_asked_for():
    import threading

    from tracker.errors import StopRequested

    stop = threading.Event()
    panel = FakePanel(ok({"balance": "1"}))
    config = PanelConfig(name="t", url=URL, key=Secret(KEY))
    client = PanelClient(config, transport=httpx.MockTransport(panel), stop_event=stop)
    client.balance()
    stop.set()
    with pytest.raises(StopRequested):
        client.statuses([1, 2])
    assert len(panel.requests) == 1


def test_a_slot_is_free_for_the_next_request_while_an_answer_is_read(monkeypatch):
    """``concurrency`` counts requests on the wire: once an answer's bytes are
    in, the next request goes out while this one is still being read."""
    panel = FakePanel(ok({"balance": "1.5", "currency": "USD"}))
    asked_twice = threading.Event()
    reading, overlapped = threading.Event(), []
    real = parse.decode_document

    def ask(request: httpx.Request) -> httpx.Response:
        answer = panel(request)
        if len(panel.requests) == 2:
            asked_twice.set()
        return answer

    def slow_read(body: bytes, **how: bool):
        if not reading.is_set():  # the first answer: read while the second is asked
            reading.set()
            overlapped.append(asked_twice.wait(5))
        return real(body, **how)

    monkeypatch.setattr(parse, "decode_document", slow_read)
    config = PanelConfig(name="t", url=URL, key=Secret(KEY), concurrency=1, retries=0)
    client = PanelClient(config, transport=httpx.MockTransport(ask))
    try:
        first = threading.Thread(target=client.balance)
        first.start()
        assert reading.wait(5)
        assert client.balance().currency == "USD"
        first.join(10)
    finally:
        client.close()
    assert overlapped == [True], "the second request waited for the first answer to be read"


def test_every_client_shares_one_tls_context():
    # httpx loads the CA bundle for each client it makes (~26 ms and ~1 MB):
    # every panel and the webhook paid it at each start and reload.
    first = PanelClient(PanelConfig(name="a", url="https://a.test/api/v2", key=Secret(KEY)))
    second = PanelClient(PanelConfig(name="b", url="http://b.test/api/v2", key=Secret(KEY)))
    try:
        contexts = [c._http._transport._pool._ssl_context for c in (first, second)]
    finally:
        first.close()
        second.close()
    assert contexts[0] is contexts[1]
    assert contexts[0].verify_mode == ssl.CERT_REQUIRED and contexts[0].check_hostname


def _orders_refused_item_by_item(asked: list[dict[str, str]], single: dict[str, str] | None):
    """A panel script that answers ``orders=`` with an error in every item and
    ``order=`` with ``single`` (or the same error, when None)."""

    def answer(request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        asked.append(form)
        if form["action"] == "balance":
            return ok({"balance": "1.5", "currency": "USD"})
        if "orders" in form:
            return ok({i: {"error": "Incorrect order ID"} for i in form["orders"].split(",")})
        return ok(single if single is not None else {"error": "Incorrect order ID"})

    return answer


def test_falls_back_to_single_calls_when_every_item_of_orders_is_refused():
    """A panel script that reads no ``orders=`` but answers each ID of it with
    "Incorrect order ID" (instead of one refusal of the whole call) is asked
    one order at a time, as one refusing the whole call is: before, every poll
    left the orders unsettled and none was ever checked."""
    asked: list[dict[str, str]] = []
    answer = _orders_refused_item_by_item(asked, {"status": "Completed", "remains": "0"})
    client = PanelClient(
        PanelConfig(name="t", url=URL, key=Secret(KEY)), transport=httpx.MockTransport(answer)
    )
    result = client.statuses([1, 2, 3])
    assert {i: (s.status, s.error) for i, s in result.items()} == {
        1: ("Completed", None),
        2: ("Completed", None),
        3: ("Completed", None),
    }
    assert client.multi_status is False
    asked.clear()
    client.statuses([4, 5])
    assert asked == [
        {"key": KEY, "action": "status", "order": "4"},
        {"key": KEY, "action": "status", "order": "5"},
    ]


def test_orders_refused_item_by_item_for_ids_order_refuses_too_stay_each_orders_error():
    """When ``order=`` refuses the ID as well, the refusals are the IDs' own
    (or the panel's, for the caller to judge): the multi call is kept, and the
    panel is probed once for those words, not at every batch."""
    asked: list[dict[str, str]] = []
    answer = _orders_refused_item_by_item(asked, None)
    client = PanelClient(
        PanelConfig(name="t", url=URL, key=Secret(KEY)), transport=httpx.MockTransport(answer)
    )
    first = client.statuses([1, 2])
    assert {i: s.error for i, s in first.items()} == {
        1: "Incorrect order ID",
        2: "Incorrect order ID",
    }
    assert client.multi_status is True
    asked.clear()
    client.statuses([3, 4])
    assert [form.get("orders", form.get("order")) for form in asked] == ["3,4"]
