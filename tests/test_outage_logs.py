"""An outage told once in the log, not once per call, batch and poll (soak10).

Two panels, one stopped or refusing connections: each poll of the dead one
logged a ``status_failed`` error per batch of 100 orders, the same words 8
times a poll, every poll of the outage (24 lines in 80 s, besides the alert
that said it once), a ``panel_retry`` warning for every retry of every call
(123 in the same 80 s), and a ``balance_failed`` error every balance run (7
in the same 80 s at ``balance_every = "1s"``). The first failure of a spell
is logged at error (a retry at warning); the same failure again at debug; an
answer ends the spell.
"""

from __future__ import annotations

import threading

import httpx
import pytest
from faketime import FakeTime
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.model import PanelConfig, Secret
from tracker.errors import TransientError
from tracker.panel.client import PanelClient

pytestmark = pytest.mark.usefixtures("fresh_logs")


def _levels(w, event: str = "status_failed") -> tuple[bool, list[str]]:
    """Poll once; return whether it succeeded and the levels ``event`` was logged at."""
    with capture_logs() as logs:
        ok = w.tracker.poll("sim")
    return ok, [e["log_level"] for e in logs if e["event"] == event]


def test_a_failing_panel_is_told_once_a_spell_not_once_per_batch_and_poll(world, clock):
    w = world()
    ids = w.panel.seed_orders(250, status="In progress")  # three batches of at most 100
    w.store.track("sim", ids, clock())
    w.panel.inject("json500", count=1000, action="status")
    ok, levels = _levels(w)
    assert not ok and levels[0] == "error" and set(levels[1:]) == {"debug"}, levels
    ok, levels = _levels(w)
    assert not ok and levels and set(levels) == {"debug"}, levels  # the same outage
    w.panel.clear_faults()
    assert _levels(w) == (True, [])
    w.panel.inject("json500", count=1000, action="status")
    ok, levels = _levels(w)
    assert not ok and levels[0] == "error", levels  # a new spell is told again


def test_retries_failing_the_same_way_are_warned_once_when_the_call_fails():
    answers = ["refused"] * 4 + ["refused", "balance"] + ["refused", "balance"]

    def panel(request: httpx.Request) -> httpx.Response:
        if answers.pop(0) == "refused":
            raise httpx.ConnectError("[Errno 111] Connection refused")
        return httpx.Response(200, content=b'{"balance": "1.5", "currency": "USD"}')

    config = PanelConfig(name="t", url="https://panel.test/api/v2", key=Secret("k3y"), retries=3)
    t = FakeTime(sleeps=[])
    client = PanelClient(config, transport=httpx.MockTransport(panel), sleep=t.sleep, clock=t.clock)

    def retries(ok: bool) -> list[str]:
        with capture_logs() as logs:
            if ok:
                client.balance()
            else:
                with pytest.raises(TransientError):
                    client.balance()
        return [e["log_level"] for e in logs if e["event"] == "panel_retry"]

    # 4 attempts refused: each retry at debug, the call failed for good warned
    # (tests/test_retry_logs.py: a retry was a warning until logs16)
    assert retries(ok=False) == ["debug", "debug", "debug", "warning"]
    assert retries(ok=True) == ["debug"]  # the same outage, then an answer
    assert retries(ok=True) == ["debug"]  # a hiccup its retry answers: no warning


def test_a_balance_job_failing_the_same_way_is_told_once_until_the_panel_answers(world):
    w = world()
    jobs = {name: w.jobs[f"{name}:sim"] for name in ("balance", "services")}

    def levels(name: str) -> list[str]:
        with capture_logs() as logs:
            jobs[name].run()
        return [e["log_level"] for e in logs if e["event"] == f"{name}_failed"]

    w.panel.inject("html502", count=1000)  # every action: the panel is down
    for name in ("balance", "services"):
        assert levels(name) == ["error"]
        assert levels(name) == ["debug"]  # the same outage, run after run
        assert levels(name) == ["debug"]
    w.panel.clear_faults()
    assert levels("balance") == []  # answered: the outage is over
    w.panel.inject("html502", count=1000)
    assert levels("balance") == ["error"]  # a new one is told


def test_an_outage_whose_budget_runs_out_at_another_attempt_is_the_same_outage():
    # "(retry budget (17s) spent before attempt 3)" then "... attempt 4": two
    # error lines for one outage in the two-panel soak.
    from tracker.jobs.poll_result import PollResult, failed

    said = "sim: connection refused by 127.0.0.1:9 (retry budget (17s) spent before attempt {})"
    result = PollResult(panel="sim", told=[said.format(3)])
    with capture_logs() as logs:
        failed(result, said.format(4), [1, 2])
        failed(result, "sim: HTTP 500: Internal Server Error", [3])
    assert [e["log_level"] for e in logs] == ["debug", "error"]


def test_a_balance_outage_whose_budget_runs_out_at_another_attempt_is_told_once():
    # The same words as status_failed's (f24b88a), for balance_failed and
    # services_failed: "... spent before attempt 3" then "attempt 4" were two
    # error lines of one outage.
    config = PanelConfig(name="t", url="https://panel.test/api/v2", key=Secret("k3y"))
    client = PanelClient(config, transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    said = "t: connection refused by 127.0.0.1:9 (retry budget (17s) spent before attempt {})"
    assert not client.told_before(said.format(3), "balance_failed")
    assert client.told_before(said.format(4), "balance_failed")
    assert not client.told_before("t: HTTP 500: Internal Server Error", "balance_failed")


class _Line(str):
    """A line's name whose second lookup in the told set in each thread (its
    write, after the read) waits for every thread to get there too: the
    poll's workers failing at once. A read and a write not done as one then
    let each thread find the failure untold."""

    __slots__ = ()
    meeting: threading.Barrier
    looked: threading.local

    def __hash__(self) -> int:
        looks = _Line.looked.__dict__.setdefault("n", 0) + 1
        _Line.looked.n = looks
        if looks == 2:
            try:  # guarded, the others wait on its lock: the barrier breaks, no one hangs
                _Line.meeting.wait()
            except threading.BrokenBarrierError:
                pass
        return str.__hash__(self)

    def __eq__(self, other: object) -> bool:
        return str.__eq__(self, other)


def test_a_failure_told_from_several_threads_at_once_is_told_once():
    # WholeCalls.told_before read its told set and wrote it without a lock,
    # from the poll's worker threads: two batches failing alike at once both
    # found the failure untold, two panel_retry warnings for one outage.
    config = PanelConfig(name="t", url="https://panel.test/api/v2", key=Secret("k3y"))
    client = PanelClient(config, transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    threads = 4
    start = threading.Barrier(threads, timeout=10)
    _Line.meeting, _Line.looked = threading.Barrier(threads, timeout=0.5), threading.local()
    told: list[bool] = []

    def fail() -> None:
        start.wait()  # every worker ready: they fail at once
        told.append(client.told_before("t: HTTP 502: Bad Gateway", _Line("panel_retry")))

    workers = [threading.Thread(target=fail) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert sorted(told) == [False, True, True, True]  # told by one thread, once
