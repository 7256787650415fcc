"""A stop does not wait out a call that only reads, nor call it a failure.

Soak (stop54): SIGTERM while the panel dripped its answer to ``balance`` (a
byte every 2 s): the call was waited out to its whole deadline (the panel's
``timeout``, 20 s), then ``balance_failed`` was logged at error before
``job_stopped``: the operator restarting the service waited 20 s and read
an error that was only the stop. A call that only reads now stops waiting
for its answer within a second of the stop; ``add``, ``refill`` and
``cancel`` are still waited out to their deadline: whether they acted must
be known."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, drip, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.errors import OutcomeUnknownError, PanelError, StopRequested
from tracker.jobs.tracker import Tracker
from tracker.panel.models import NewOrder
from tracker.service.jobstats import JobStats
from tracker.service.runs import guarded
from tracker.store.alerts import latest_balance

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "stop-drip-key-Qw7Er4Ty1Ui9"
JOIN = 10.0  # generous: the panel's timeout is 20 s, a stop ends the call within ~1 s


def _tracker(tmp_path: Path, url: str, timeout: str) -> Tracker:
    panels = [{"name": "p", "url": url, "key": KEY, "retries": 0, "timeout": timeout}]
    settings = {"database": {"path": str(tmp_path / "t.db")}, "panels": panels}
    return Tracker(config_from_dict(settings, base_dir=tmp_path, env={}))


def _stopped_mid_call(
    tracker: Tracker, asked: threading.Event, call: Callable[[Any], object]
) -> tuple[bool, list[BaseException]]:
    """Make ``call`` on the panel's client in a thread, set the stop once the
    panel has the request (``asked``); return whether the call ended within
    JOIN and the panel errors it raised. The tracker is closed."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            call(tracker.clients["p"])
        except PanelError as exc:
            failed.append(exc)

    try:
        on_the_wire = threading.Thread(target=run)
        on_the_wire.start()
        assert asked.wait(JOIN)
        tracker.stop_event.set()
        on_the_wire.join(JOIN)
        cut = not on_the_wire.is_alive()
        on_the_wire.join(30)
    finally:
        tracker.close()
    return cut, failed


def test_a_stop_ends_a_dripping_balance_call_as_a_stop(tmp_path: Path) -> None:
    asked = threading.Event()
    answers = iter([json_reply({"balance": "12.50", "currency": "USD"})])

    def respond(form: dict[str, str]) -> Any:
        answer = next(answers, None)  # the first answered, then a drip
        if answer is None:
            asked.set()
            return drip(every=1.0)  # never done within the 20 s timeout
        return answer

    with HostileServer(respond) as server:
        tracker = _tracker(tmp_path, server.url, "20s")
        stats = JobStats()
        (job,) = [j for j in tracker.jobs() if j.name == "balance:p"]
        run = guarded(job, stats, tracker.stop_event)
        try:
            with capture_logs() as logs:
                assert run() is True  # a balance stored
                done: list[bool] = []
                on_the_wire = threading.Thread(target=lambda: done.append(run()))
                on_the_wire.start()
                assert asked.wait(JOIN)  # the request is at the panel, dripping
                tracker.stop_event.set()  # SIGTERM
                on_the_wire.join(JOIN)
                cut = not on_the_wire.is_alive()  # before: alive, waiting out its 20 s
                on_the_wire.join(30)  # (on the old code: let it end before closing)
            stored = latest_balance(tracker.store, "p")
        finally:
            tracker.close()
    errors = [(e["event"], e.get("error")) for e in logs if e["log_level"] == "error"]
    assert errors == []  # before: balance_failed, "p: balance: no answer from ... within 20s"
    assert cut and done == [False]
    stopped = [e for e in logs if e["event"] == "job_stopped"]
    assert len(stopped) == 1 and "stopping" in stopped[0]["reason"]
    assert stats.failures == 0 and not stats.last_failed
    assert stored is not None and stored["balance"] == 12.5  # what it stored is kept


READS = {
    "status": lambda client: client.statuses([101, 102]),
    "services": lambda client: client.services(),
    "refill_status": lambda client: client.refill_status("7"),
}


@pytest.mark.parametrize("action", sorted(READS))
@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_stop_ends_every_dripping_read(tmp_path: Path, action: str, headers_too: bool) -> None:
    asked = threading.Event()

    def respond(form: dict[str, str]) -> Any:
        asked.set()
        return drip(every=1.0, headers_too=headers_too)  # the answer's body, or all of it

    with HostileServer(respond) as server:
        tracker = _tracker(tmp_path, server.url, "20s")
        cut, failed = _stopped_mid_call(tracker, asked, READS[action])
    assert cut  # before: alive, waiting out its 20 s
    assert len(failed) == 1 and isinstance(failed[0], StopRequested)  # before: a timeout
    assert failed[0].action == action


def test_a_stop_does_not_cut_a_dripping_add(tmp_path: Path) -> None:
    # The other half: an add may have been placed; its answer is waited for
    # to its deadline, stop or not, and it ends as an outcome unknown.
    asked = threading.Event()

    def respond(form: dict[str, str]) -> Any:
        asked.set()
        return drip(every=0.2)

    with HostileServer(respond) as server:
        tracker = _tracker(tmp_path, server.url, "2s")
        cut, failed = _stopped_mid_call(
            tracker, asked, lambda client: client.add(NewOrder(1, "https://x.example", 10))
        )
    assert cut  # at its 2 s deadline
    assert len(failed) == 1 and isinstance(failed[0], OutcomeUnknownError)
    assert "within 2s" in failed[0].detail  # its deadline's, not the stop's


def test_an_answer_come_with_the_stop_is_kept(tmp_path: Path) -> None:
    # The stop is seen before the answer is read: what comes within its grace
    # (here the whole answer, sent as the stop is set) is read, not thrown away.
    stops: list[threading.Event] = []

    def respond(form: dict[str, str]) -> Any:
        stops[0].set()  # SIGTERM while the panel answers
        return json_reply({"balance": "3.25", "currency": "USD"})

    with HostileServer(respond) as server:
        tracker = _tracker(tmp_path, server.url, "20s")
        stops.append(tracker.stop_event)
        try:
            assert tracker.clients["p"].balance().balance == 3.25
        finally:
            tracker.close()
