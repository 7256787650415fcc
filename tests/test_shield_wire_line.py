"""The line a first Ctrl-C prints in `add`, `refill` and `cancel`, "waiting
for the panel's answer to ...", is said only when a request is on the wire.

A Ctrl-C taken between a failed attempt and its retry's wait (tenacity's
``before_sleep``: the `panel_retry` line, the "waiting up to N s" line)
found the command neither in a wait nor sending, and said the panel's
answer was awaited: nothing was on the wire, and the command ended at once
(exit 130, "no order placed"). Here the signal's handler runs at the very
point a real one can (injected there, not raced): before the wait, on the
wire, and after the client last asked whether to send.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tracker.cli.shield import Waits, shield
from tracker.config.model import PanelConfig, Secret
from tracker.errors import StopRequested
from tracker.panel.client import PanelClient
from tracker.panel.pacing import Pacing
from tracker.panel.transport import Transport

LINE = "waiting for the panel's answer"


def ctrl_c() -> None:
    """Run the SIGINT handler now, as Python runs it in the main thread."""
    handler = signal.getsignal(signal.SIGINT)
    assert callable(handler)
    handler(signal.SIGINT, None)


def client(waits: Waits, answer: Callable[[int], httpx.Response]) -> tuple[PanelClient, list[int]]:
    """A client as the commands make theirs (hooks of ``waits``) on a panel
    answering its n-th request (0, 1, ...) with ``answer(n)``."""
    asked: list[int] = []

    def handle(_request: httpx.Request) -> httpx.Response:
        asked.append(len(asked))
        return answer(asked[-1])

    config = PanelConfig(
        name="t",
        url="https://panel.test/api/v2",
        key=Secret("wire-key-9Jd3Kq7Lx2Wm5Rt8"),
        retries=3,
    )
    made = PanelClient(config, transport=httpx.MockTransport(handle), **waits.hooks())
    return made, asked


def balance(_n: int) -> httpx.Response:
    return httpx.Response(200, json={"balance": "12.50", "currency": "USD"})


def unavailable(_n: int) -> httpx.Response:
    return httpx.Response(503, text="Service Unavailable")


def test_a_ctrl_c_as_a_retrys_wait_begins_says_no_answer_is_awaited(monkeypatch, capfd):
    logged = Transport._log_retry

    def retry_decided(self: Transport[Any], state: Any) -> None:
        logged(self, state)  # `panel_retry` said, the wait not begun
        ctrl_c()

    monkeypatch.setattr(Transport, "_log_retry", retry_decided)
    waits = Waits()
    made, asked = client(waits, unavailable)
    with shield("the order just sent", waits) as state, pytest.raises(StopRequested):
        made.balance()
    err = capfd.readouterr().err
    assert state.asked == 1
    assert asked == [0]  # never sent again
    # Nothing was on the wire: the line said an answer was coming that was not.
    assert LINE not in err, err


def test_a_ctrl_c_while_the_request_is_on_the_wire_says_its_answer_is_awaited(capfd):
    waits = Waits()

    def answered_after_a_ctrl_c(n: int) -> httpx.Response:
        ctrl_c()  # the request sent, its answer not in yet
        return balance(n)

    made, asked = client(waits, answered_after_a_ctrl_c)
    with shield("the order just sent", waits) as state:
        got = made.balance()
    err = capfd.readouterr().err
    assert (state.asked, asked, str(got.balance)) == (1, [0], "12.50")
    assert err.count(LINE) == 1, err
    assert "the order just sent (Ctrl-C again to leave without it)" in err


def test_a_ctrl_c_after_the_last_look_before_sending_is_said_as_the_request_leaves(
    monkeypatch, capfd
):
    # Taken once the client last asked whether to send, the stop does not
    # hold the request back: its answer is awaited, and that is said, once.
    looked = Pacing.wait

    def last_look(self: Pacing, *args: Any) -> None:
        looked(self, *args)
        ctrl_c()  # nothing on the wire yet: the handler says nothing

    monkeypatch.setattr(Pacing, "wait", last_look)
    waits = Waits()
    made, asked = client(waits, balance)
    with shield("the order just sent", waits) as state:
        made.balance()
    err = capfd.readouterr().err
    assert (state.asked, asked) == (1, [0])
    assert err.count(LINE) == 1, err


def test_a_first_ctrl_c_starts_no_thread_in_its_handler_and_still_ends_the_waits(monkeypatch):
    # Its handler started a thread to set the stop event: Thread.start takes
    # the threads' table's lock and waits for the new thread, either of which
    # the interrupted main thread may hold at that instant (its own thread
    # starting): the command hung on Ctrl-C. The handler only marks the stop
    # asked now; shield's relay, started with the block, sets the event.
    waits = Waits()
    with shield("the order just sent", waits):

        def no_thread(_self: object) -> None:
            raise AssertionError("a thread started inside a signal handler")

        with monkeypatch.context() as patched:
            patched.setattr(threading.Thread, "start", no_thread)
            ctrl_c()
            assert waits.stop.is_set()  # read as set at once: nothing more is sent
        assert waits.stop.wait(30)  # the event itself set, outside the handler
    assert not [t for t in threading.enumerate() if t.name == "stop-relay"]
