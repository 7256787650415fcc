"""The metrics endpoint against many, slow and hostile scrapers, over loopback.

A thread per connection let a scraper holding connections open use up the
unit's ``TasksMax`` (128): the jobs could not start theirs and a reload died
on "can't start new thread". A listen queue of 5 turned 200 scrapers at once
into connections dropped and retried for seconds.
"""

from __future__ import annotations

import socket
import threading

import pytest

from tracker.service import metrics_http
from tracker.service.callstats import CallCounters
from tracker.service.jobstats import JobStats
from tracker.service.metrics import Snapshot, build_registry
from tracker.service.metrics_http import MetricsServer

REQUEST = b"GET /metrics HTTP/1.0\r\n\r\n"


@pytest.fixture
def server(monkeypatch):
    # A short deadline keeps the tests fast; raising=False: the code before had none.
    monkeypatch.setattr(metrics_http, "REQUEST_DEADLINE", 0.3, raising=False)
    snap = Snapshot({("main", "Pending"): 3}, [], CallCounters(), JobStats(), ("main",))
    served = MetricsServer("127.0.0.1", 0, build_registry(lambda: snap, process=False))
    yield served
    served.stop()


def scrape(port: int, timeout: float = 10.0) -> bytes:
    """Return the whole answer to one GET /metrics."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(REQUEST)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def handler_threads(before: set[threading.Thread]) -> int:
    return len(set(threading.enumerate()) - before)


def test_connections_that_send_nothing_hold_a_few_threads_and_a_scrape_still_gets_through(
    server,
):
    before = set(threading.enumerate())
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(30)]
    try:
        answer = scrape(server.port)  # taken once the idle ones have timed out
        most = handler_threads(before)
    finally:
        for conn in idle:
            conn.close()
    assert answer.startswith(b"HTTP/1.0 200")
    assert b'smm_tracker_open_orders{panel="main",status="Pending"} 3.0' in answer
    assert most <= 8  # a thread per connection: 30 here, and TasksMax=128 ran out


def test_a_client_dripping_its_request_is_cut_off(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
        sent = 0
        closed = False
        request = b"GET /metrics HTTP/1.0\r\nX-Slow: " + b"a" * 200
        while sent < len(request):  # one byte per 0.05 s: each recv succeeds in time
            try:
                conn.sendall(request[sent : sent + 1])
            except OSError:
                closed = True
                break
            sent += 1
            conn.settimeout(0.05)
            try:
                if conn.recv(1) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
    assert closed, "a request trickled in byte by byte held its thread for good"


def test_200_scrapers_at_once_are_all_answered(server):
    answers: list[bytes | str] = []
    lock, go = threading.Lock(), threading.Event()

    def one() -> None:
        go.wait()
        try:  # a connection the listen queue dropped waits 1 s, 3 s, 7 s... to retry
            answer: bytes | str = scrape(server.port, timeout=5.0)
        except OSError as exc:
            answer = f"{type(exc).__name__}: {exc}"
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=one) for _ in range(200)]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join()
    failed = [a for a in answers if not (isinstance(a, bytes) and a.startswith(b"HTTP/1.0 200"))]
    assert failed == [] and len(answers) == 200


def test_a_stop_does_not_wait_for_connections_queued_for_a_slot(monkeypatch):
    monkeypatch.setattr(metrics_http, "REQUEST_DEADLINE", 30.0, raising=False)
    snap = Snapshot(None, None, CallCounters(), JobStats())
    served = MetricsServer("127.0.0.1", 0, build_registry(lambda: snap, process=False))
    idle = [socket.create_connection(("127.0.0.1", served.port), timeout=5) for _ in range(20)]
    stopper = threading.Thread(target=served.stop)
    try:
        stopper.start()
        stopper.join(timeout=10)
        assert not stopper.is_alive(), "stop() waited for the idle scrapers"
    finally:
        for conn in idle:
            conn.close()


def test_a_scraper_gone_before_its_answer_leaves_no_traceback(server, capfd):
    for _ in range(20):
        conn = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        conn.sendall(REQUEST)
        conn.close()  # a reset: the answer meets a closed connection
    assert scrape(server.port).startswith(b"HTTP/1.0 200")
    assert "Traceback" not in capfd.readouterr().err
