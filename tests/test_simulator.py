"""The simulated panel: API v2 answers, order lifecycle, refill rules, faults, HTTP."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tracker.panel.statuses import (
    CANCELED,
    COMPLETED,
    IN_PROGRESS,
    PARTIAL,
    PENDING,
    PROCESSING,
    TERMINAL,
    normalize_order_status,
    normalize_refill_status,
)
from tracker.sim.refills import DAY
from tracker.sim.server import (
    SERVICE_COMMENTS,
    SERVICE_FOLLOWERS,
    SERVICE_LIKES,
    SERVICE_VIEWS,
    FaultPlan,
    PanelServer,
    SimRefusal,
    SimulatedPanel,
)

KEY = "test-key"
LIFECYCLE = [PENDING, PROCESSING, IN_PROGRESS]


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_panel(clock: FakeClock, **options: Any) -> SimulatedPanel:
    options.setdefault("quirks", False)
    options.setdefault("speed", 1.0)
    return SimulatedPanel(key=KEY, clock=clock, **options)


def call(panel: SimulatedPanel, action: str, **fields: Any) -> Any:
    """Drive the panel without HTTP; return the decoded JSON answer (asserting HTTP 200)."""
    status, _, body = panel.handle({"key": KEY, "action": action, **fields})
    assert status == 200, body
    return json.loads(body)


def ids(order_ids: list[int]) -> str:
    return ",".join(map(str, order_ids))


# -- HTTP ---------------------------------------------------------------------


def test_http_round_trip(clock: FakeClock) -> None:
    panel = make_panel(clock)
    with PanelServer(panel) as server, httpx.Client(timeout=5) as client:
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/api/v2")
        answer = client.post(server.url, data={"key": KEY, "action": "balance"})
        assert answer.status_code == 200
        assert answer.json() == {"balance": "100.00000", "currency": "USD"}

        form = {
            "key": KEY,
            "action": "add",
            "service": "1",
            "link": "https://x/1",
            "quantity": "100",
        }
        order_id = client.post(server.url, data=form).json()["order"]
        assert order_id == 23501
        status = client.post(server.url, data={"key": KEY, "action": "status", "order": order_id})
        assert status.json()["status"] == PENDING

        services = client.post(server.url, data={"key": KEY, "action": "services"}).json()
        assert len(services) == 6

        wrong = client.post(server.url, data={"key": "nope", "action": "balance"})
        assert (wrong.status_code, wrong.json()) == (200, {"error": "Invalid API key"})

        got = client.get(server.url)
        assert got.status_code == 405 and got.headers["Allow"] == "POST"
        elsewhere = client.post(server.url.replace("/api/v2", "/api/v1"), data={"key": KEY})
        assert elsewhere.status_code == 404
        # A JSON body is not a form: like PHP's $_POST, the panel sees no key.
        as_json = client.post(server.url, json={"key": KEY, "action": "balance"})
        assert as_json.json() == {"error": "Invalid API key"}
    assert (panel.calls["balance"], panel.calls[""]) == (2, 1)


def test_server_serves_requests_concurrently(clock: FakeClock) -> None:
    panel = make_panel(clock, latency=0.3)
    with PanelServer(panel) as server, httpx.Client(timeout=5) as client:
        results: list[int] = []

        def ask() -> None:
            answer = client.post(server.url, data={"key": KEY, "action": "balance"})
            results.append(answer.status_code)

        threads = [threading.Thread(target=ask) for _ in range(4)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Four requests of 0.3 s each, served one at a time, would take 1.2 s.
        assert time.monotonic() - started < 0.9
        assert results == [200] * 4


def test_a_stopped_server_leaves_no_handler_thread(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # stop() woke the handlers and closed their connections, then left their
    # threads to end on their own: a keep-alive connection's handler outlived
    # the server (the demo's, a test's), seen by whatever counted threads next.
    from tracker.sim import server as sim_server

    ending = sim_server._Server.shutdown_request

    def slow_to_end(self: Any, request: Any) -> None:  # a handler's last step, taken late
        time.sleep(0.3)
        ending(self, request)

    monkeypatch.setattr(sim_server._Server, "shutdown_request", slow_to_end)
    before = set(threading.enumerate())
    with httpx.Client(timeout=5) as client:
        with PanelServer(make_panel(clock)) as server:
            answer = client.post(server.url, data={"key": KEY, "action": "balance"})
            assert answer.status_code == 200  # its connection kept open
        left = [t.name for t in threading.enumerate() if t not in before]
    assert left == []


def test_panel_server_builds_its_own_panel() -> None:
    with PanelServer(key="k", quirks=False) as server:
        answer = httpx.post(server.url, data={"key": "k", "action": "balance"}, timeout=5)
        assert answer.json()["balance"] == "100.00000"
        assert server.panel.calls["balance"] == 1


# -- orders -------------------------------------------------------------------


def test_orders_progress_to_final_statuses(clock: FakeClock) -> None:
    panel = make_panel(clock)
    order_ids = panel.seed_orders(100)
    first = call(panel, "status", orders=ids(order_ids))
    assert {item["status"] for item in first.values()} == {PENDING}
    assert {item["start_count"] for item in first.values()} == {"0"}

    clock.advance(10)  # stages of at most 1.25 s: every path is over
    final = call(panel, "status", orders=ids(order_ids))
    statuses = [item["status"] for item in final.values()]
    assert set(statuses) == {COMPLETED, PARTIAL, CANCELED}
    assert statuses.count(COMPLETED) > 60
    for item in final.values():
        remains, charge = int(item["remains"]), Decimal(item["charge"])
        if item["status"] == COMPLETED:
            assert (remains, charge) == (0, Decimal("0.9"))
        elif item["status"] == PARTIAL:
            assert 0 < remains < 1000 and 0 < charge < Decimal("0.9")
        else:
            assert (remains, charge) == (1000, 0)


def test_one_order_moves_forward_only(clock: FakeClock) -> None:
    panel = make_panel(clock)
    order_id = panel.seed_orders(1, quantity=500)[0]
    seen: list[str] = []
    remains: list[int] = []
    for _ in range(60):
        item = call(panel, "status", order=str(order_id))
        if not seen or seen[-1] != item["status"]:
            seen.append(item["status"])
        remains.append(int(item["remains"]))
        clock.advance(0.1)
    assert seen[0] == PENDING and seen[-1] in TERMINAL
    steps = [LIFECYCLE.index(s) for s in seen[:-1]]
    assert steps == sorted(steps)
    assert remains == sorted(remains, reverse=True)


def test_quirky_spellings_are_known_and_stable_per_order(clock: FakeClock) -> None:
    panel = make_panel(clock, quirks=True)
    order_ids = panel.seed_orders(100)
    seen_raw: set[str] = set()
    for _ in range(8):
        first = call(panel, "status", orders=ids(order_ids))
        again = call(panel, "status", orders=ids(order_ids))
        for key, item in first.items():
            assert item["status"] == again[key]["status"]  # stable per order
            assert normalize_order_status(item["status"])[1], item["status"]
            seen_raw.add(item["status"])
            assert int(item["remains"]) >= -2
        clock.advance(0.8)
    assert {"Cancelled", "In Progress", "COMPLETED"} & seen_raw
    assert len(seen_raw) > 8
    # Numbers come both ways within the same answers.
    kinds = {type(item["remains"]) for item in first.values()}
    assert kinds == {str, int}


def test_over_delivery_is_rare_and_negative(clock: FakeClock) -> None:
    panel = make_panel(clock, quirks=True)
    order_ids = panel.seed_orders(2000)
    clock.advance(10)
    remains = [panel.order(order_id).remains for order_id in order_ids]
    assert 0 < remains.count(-2) < 100


def test_add_charges_and_refunds_partial_and_canceled(clock: FakeClock) -> None:
    panel = make_panel(clock)
    order_ids = [
        call(panel, "add", service="1", link=f"https://x/{n}", quantity="1000")["order"]
        for n in range(100)
    ]
    assert order_ids == list(range(23501, 23601))
    assert panel.balance == Decimal("100") - 100 * Decimal("0.9")
    clock.advance(10)
    finals = [panel.order(order_id) for order_id in order_ids]
    assert {view.status for view in finals} == {COMPLETED, PARTIAL, CANCELED}
    spent = sum(view.charge for view in finals)
    assert panel.balance == Decimal("100") - spent
    assert call(panel, "balance") == {"balance": f"{100 - spent:.5f}", "currency": "USD"}


def test_add_refusals(clock: FakeClock) -> None:
    panel = make_panel(clock)

    def add(**fields: str) -> Any:
        return call(panel, "add", **{"service": "1", "link": "https://x", **fields})

    assert add(quantity="1000", service="99") == {"error": "Incorrect service ID"}
    assert add(quantity="1000", link=" ") == {"error": "Bad Link"}
    assert add(quantity="10") == {"error": "Quantity less than minimal 100"}
    assert add(quantity="100001") == {"error": "Quantity more than maximal 100000"}
    assert add(quantity="1000", runs="3", interval="10") == {
        "error": "Drip-feed is disabled for this service"
    }
    panel.set_balance("0.5")
    assert add(quantity="1000") == {"error": "Not enough funds on balance"}
    quirky = make_panel(clock, quirks=True)
    with pytest.raises(SimRefusal, match="neworder.error.min_quantity"):
        quirky.add_order(SERVICE_FOLLOWERS, 1)


def test_dripfeed_and_custom_comments(clock: FakeClock) -> None:
    panel = make_panel(clock)
    form = {"service": str(SERVICE_VIEWS), "link": "https://y", "quantity": "500"}
    order_id = call(panel, "add", runs="3", interval="15", **form)["order"]
    assert panel.order(order_id).quantity == 1500
    comments = "great\nnice\n\nwow\nlove it\ncool"
    order_id = call(
        panel, "add", service=str(SERVICE_COMMENTS), link="https://z", comments=comments
    )["order"]
    assert panel.order(order_id).quantity == 5


def test_numeric_status_code_and_http_errors(clock: FakeClock) -> None:
    panel = make_panel(clock, numeric_status_code=True)
    answer = call(panel, "add", service="1", link="https://x", quantity="100")
    assert answer == {"status": 100, "order": 23501}
    assert panel.handle({"key": "bad", "action": "balance"})[2] == (
        b'{"error":"Invalid API key","status":"102"}'
    )
    strict = make_panel(clock, http_errors=True)
    assert strict.handle({"key": "bad", "action": "balance"})[0] == 401
    assert strict.handle({"key": KEY, "action": "nope"})[0] == 400


def test_unknown_action_and_missing_fields(clock: FakeClock) -> None:
    panel = make_panel(clock)
    assert call(panel, "nope") == {"error": "Incorrect request"}
    required = "Order ID is required parameter. Please check your API Manual"
    assert call(panel, "status") == {"error": required}
    assert call(panel, "status", order="23501") == {"error": "Incorrect order ID"}
    assert call(panel, "refill_status", refill="1") == {"error": "Incorrect refill ID"}


def test_seed_orders_is_cheap_and_can_pin(clock: FakeClock) -> None:
    panel = make_panel(clock)
    order_ids = panel.seed_orders(100_000, spread=3600)
    assert len(order_ids) == 100_000 and panel.order_count == 100_000
    assert order_ids[0] == 23501 and order_ids[-1] == 23501 + 99_999
    pinned = panel.seed_orders(3, status="in progress", service=SERVICE_LIKES, quantity=50)
    clock.advance(DAY)
    assert {panel.order(order_id).status for order_id in pinned} == {IN_PROGRESS}
    assert panel.order(pinned[0]).remains == 25
    with pytest.raises(ValueError):
        panel.seed_orders(1, status="Refunded")


def test_cancel(clock: FakeClock) -> None:
    panel = make_panel(clock)
    placed = call(panel, "add", service="1", link="https://x", quantity="1000")["order"]
    done = panel.seed_orders(1, status="Completed")[0]
    no_cancel = panel.seed_orders(1, service=SERVICE_LIKES)[0]
    answer = call(panel, "cancel", orders=f"{placed},{done},{no_cancel},999")
    assert answer == [
        {"order": placed, "cancel": 1},
        {"order": done, "cancel": {"error": "This order cannot be canceled"}},
        {"order": no_cancel, "cancel": {"error": "Cancel is disabled for this service"}},
        {"order": 999, "cancel": {"error": "Incorrect order ID"}},
    ]
    assert panel.order(placed).status == CANCELED
    assert panel.balance == Decimal("100")


# -- multi-status shapes ------------------------------------------------------


def test_multi_status_unknown_ids_as_objects_or_strings(clock: FakeClock) -> None:
    order_ids = make_panel(clock).seed_orders(2)
    asked = f"{order_ids[0]},999,{order_ids[1]},abc"
    as_object = call(make_panel(clock, unknown_shape="object"), "status", orders=asked)
    assert as_object["999"] == as_object["abc"] == {"error": "Incorrect order ID"}
    panel = make_panel(clock, unknown_shape="string")
    panel.seed_orders(2)
    as_string = call(panel, "status", orders=asked)
    assert list(as_string) == [str(order_ids[0]), "999", str(order_ids[1]), "abc"]
    assert as_string["999"] == "Incorrect order ID"
    assert as_string[str(order_ids[0])]["status"] == PENDING


def test_multi_status_as_list_drops_unknown_ids(clock: FakeClock) -> None:
    panel = make_panel(clock, status_shape="list")
    order_ids = panel.seed_orders(3)
    answer = call(panel, "status", orders=f"{order_ids[0]},999,{order_ids[2]}")
    assert [item["order"] for item in answer] == [order_ids[0], order_ids[2]]
    assert answer[0]["status"] == PENDING


def test_clone_without_multi_status(clock: FakeClock) -> None:
    panel = make_panel(clock, multi_status=False)
    order_ids = panel.seed_orders(2)
    assert call(panel, "status", orders=ids(order_ids)) == {"error": "Order not found."}
    assert call(panel, "status", order=str(order_ids[1]))["status"] == PENDING


def test_status_limit_and_counters(clock: FakeClock) -> None:
    panel = make_panel(clock)
    order_ids = panel.seed_orders(101)
    assert call(panel, "status", orders=ids(order_ids)) == {"error": "Incorrect request"}
    assert len(call(panel, "status", orders=ids(order_ids[:100]))) == 100
    call(panel, "status", order=str(order_ids[0]))
    assert panel.calls["status"] == 3
    assert (panel.calls["status:multi"], panel.calls["status:single"]) == (2, 1)
    assert panel.ids_per_call == [101, 100, 1]


# -- refills ------------------------------------------------------------------


def refill(panel: SimulatedPanel, order_id: int) -> Any:
    return call(panel, "refill", order=str(order_id))


def test_refill_completes_after_a_drop(clock: FakeClock) -> None:
    panel = make_panel(clock)
    order_id = panel.seed_orders(1, status="Completed", quantity=1000)[0]
    before = panel.current_count(order_id)
    panel.drop(order_id, 120)
    assert panel.current_count(order_id) == before - 120
    refill_id = int(refill(panel, order_id)["refill"])
    assert call(panel, "refill_status", refill=str(refill_id)) == {"status": PENDING}
    clock.advance(1.5)
    assert call(panel, "refill_status", refill=str(refill_id)) == {"status": IN_PROGRESS}
    clock.advance(1.5)
    assert call(panel, "refill_status", refill=str(refill_id)) == {"status": COMPLETED}
    assert panel.current_count(order_id) == before


def test_refill_rejected_when_nothing_dropped(clock: FakeClock) -> None:
    panel = make_panel(clock)
    order_id = panel.seed_orders(1, status="Completed")[0]
    refill_id = int(refill(panel, order_id)["refill"])
    clock.advance(5)
    assert panel.refill_state(refill_id) == "Rejected"


def test_refill_rules(clock: FakeClock) -> None:
    panel = make_panel(clock)
    done = panel.seed_orders(1, status="Completed")[0]
    old = panel.seed_orders(1, status="Completed", age=31 * DAY)[0]
    no_refill = panel.seed_orders(1, status="Completed", service=SERVICE_LIKES, quantity=100)[0]
    running = panel.seed_orders(1, status="In progress")[0]
    partial = panel.seed_orders(1, status="Partial")[0]

    assert refill(panel, old) == {"error": "Order not eligible for refill."}
    assert refill(panel, no_refill) == {"error": "Refill is disabled for this service"}
    assert refill(panel, running) == {"error": "Order not eligible for refill."}
    assert refill(panel, partial) == {"error": "Order not eligible for refill."}
    assert refill(panel, 999) == {"error": "Incorrect order ID"}

    panel.drop(done, 10)
    assert "refill" in refill(panel, done)
    busy = {"error": "The refill task is not completed for this order"}
    assert refill(panel, done) == busy
    clock.advance(60)  # the refill is over, the 24 h are not
    assert refill(panel, done) == {"error": "You are not eligible to send refill request."}
    clock.advance(DAY)
    assert "refill" in refill(panel, done)


def test_multi_refill_and_refill_status_lists(clock: FakeClock) -> None:
    panel = make_panel(clock)
    done = panel.seed_orders(2, status="Completed")
    no_refill = panel.seed_orders(1, status="Completed", service=SERVICE_LIKES, quantity=100)[0]
    panel.drop(done[0], 5)
    answer = call(panel, "refill", orders=f"{done[0]},{no_refill},999,{done[1]}")
    assert answer == [
        {"order": done[0], "refill": 12345},
        {"order": no_refill, "refill": {"error": "Refill is disabled for this service"}},
        {"order": 999, "refill": {"error": "Incorrect order ID"}},
        {"order": done[1], "refill": 12346},
    ]
    assert panel.calls["refill:multi"] == 1
    clock.advance(5)
    assert call(panel, "refill_status", refills="12345,12346,1") == [
        {"refill": 12345, "status": COMPLETED},
        {"refill": 12346, "status": "Rejected"},
        {"refill": 1, "status": {"error": "Refill not found"}},
    ]


def test_quirky_refill_answers(clock: FakeClock) -> None:
    panel = make_panel(clock, quirks=True)
    order_ids = panel.seed_orders(40, status="Completed")
    answers = [refill(panel, order_id) for order_id in order_ids]
    assert {type(a["refill"]) for a in answers} == {str, int}
    assert any(a.get("success") == "Your order will be refill asap" for a in answers)
    spelled = call(panel, "refill_status", refills=",".join(str(a["refill"]) for a in answers))
    for item in spelled:
        assert normalize_refill_status(item["status"])[1], item


# -- faults -------------------------------------------------------------------


def test_injected_faults_answer_as_documented(clock: FakeClock) -> None:
    panel = make_panel(clock)
    for kind in ("html502", "json500", "429", "challenge", "truncated"):
        panel.inject(kind)
    balance = {"key": KEY, "action": "balance"}

    status, headers, body = panel.handle(balance)
    assert status == 502 and headers["Content-Type"].startswith("text/html")
    assert b"502 Bad Gateway" in body
    status, _, body = panel.handle(balance)
    assert status == 500 and json.loads(body) == {"error": "Internal Server Error"}
    status, headers, _ = panel.handle(balance)
    assert status == 429 and headers["Retry-After"] == "1"
    status, headers, body = panel.handle(balance)
    assert status == 200 and b"Just a moment..." in body and "html" in headers["Content-Type"]
    status, _, body = panel.handle(balance)
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    assert panel.handle(balance)[0] == 200  # the queue is empty again
    assert panel.calls["balance"] == 6


def test_a_429s_wait_is_the_panels_option(clock: FakeClock) -> None:
    # retry_after=0: a 429 asking to retry at once (tests whose point is not the wait).
    panel = make_panel(clock, retry_after=0)
    panel.inject("429")
    status, headers, _ = panel.handle({"key": KEY, "action": "balance"})
    assert status == 429 and headers["Retry-After"] == headers["X-RateLimit-Reset"] == "0"
    panel.retry_after = 30  # assignable, as slow_seconds
    panel.inject("429")
    status, headers, _ = panel.handle({"key": KEY, "action": "balance"})
    assert status == 429 and headers["Retry-After"] == headers["X-RateLimit-Reset"] == "30"


def test_inject_for_one_action_and_count(clock: FakeClock) -> None:
    panel = make_panel(clock)
    panel.inject("html502", count=2, action="status")
    assert panel.handle({"key": KEY, "action": "balance"})[0] == 200
    form = {"key": KEY, "action": "status", "order": "1"}
    assert [panel.handle(form)[0] for _ in range(3)] == [502, 502, 200]


def test_lost_answer_still_places_the_order(clock: FakeClock) -> None:
    panel = make_panel(clock)
    panel.inject("lost502", action="add")
    form = {"key": KEY, "action": "add", "service": "1", "link": "https://x", "quantity": "100"}
    assert panel.handle(form)[0] == 502
    assert panel.order_count == 1 and panel.balance == Decimal("99.91")
    panel.inject("lostreset", action="add")
    with pytest.raises(ConnectionResetError):
        panel.handle(form)
    assert panel.order_count == 2


def test_random_faults_are_seeded(clock: FakeClock) -> None:
    def run() -> list[int]:
        panel = make_panel(clock, seed=7, faults=FaultPlan(0.5, ("html502", "429")))
        return [panel.handle({"key": KEY, "action": "balance"})[0] for _ in range(40)]

    first = run()
    assert first == run()
    assert {200, 502, 429} == set(first)
    with pytest.raises(ValueError):
        FaultPlan(0.1, ("bogus",))


def test_faults_over_http(clock: FakeClock) -> None:
    panel = make_panel(clock, slow_seconds=1.0)
    add = {"key": KEY, "action": "add", "service": "1", "link": "https://x", "quantity": "100"}
    with PanelServer(panel) as server, httpx.Client(timeout=5) as client:
        panel.inject("reset")
        with pytest.raises(httpx.TransportError):
            client.post(server.url, data={"key": KEY, "action": "balance"})

        panel.inject("lost", count=2, action="add")
        for _ in range(2):
            try:
                assert client.post(server.url, data=add).status_code == 502
            except httpx.TransportError:
                pass  # "lost" may also drop the connection
        assert panel.order_count == 2

        panel.inject("slow", action="add")
        with pytest.raises(httpx.ReadTimeout):
            client.post(server.url, data=add, timeout=0.2)
        assert panel.order_count == 3  # acted, but the answer came too late

        assert client.post(server.url, data={"key": KEY, "action": "balance"}).status_code == 200
    assert panel.calls["add"] == 3
