"""Large answers read one at a time, process-wide.

16 MB of ``["ab","ab",...]`` (within a services answer's cap) takes ~310 MB
decoded. The daemon syncs every panel's services at a start, each in a
worker thread: three panels answering so took it to ~950 MB, past the
unit's MemoryMax=512M, and the kernel killed it at every start. A services
answer over 2 MB is now read and parsed holding one slot of the process; a
call that waits for it waits within its own deadline, and a stop ends the wait.
Past the deadline the call fails, but the panel answered: no
``panel_unreachable`` for it.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx
import pytest
from hostile import HostileServer, Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from resumable import Resumable
from simconfig import cli_in, sim_config
from structlog.testing import capture_logs

from tracker.alerts.alerter import Alerter
from tracker.config.model import PanelConfig, Secret
from tracker.errors import StopRequested, UnreadAnswerError
from tracker.jobs.reach import Reach
from tracker.panel import large_answers, parse
from tracker.panel.client import PanelClient

KEY = "large-key-Answers5901"
WAIT = 2.0  # how long a decode waits for another to begin beside it (none should)


def _listing(count: int = 13_000) -> bytes:
    """A real-looking services listing over 2 MB."""
    listing = [
        {
            "service": i,
            "name": f"[HQ] Instagram Followers [Max 100K] {{Refill 30D}} #{i}",
            "category": "Instagram - Followers [Real]",
            "rate": "0.95",
            "min": "10",
            "max": "100000",
        }
        for i in range(1, count + 1)
    ]
    body = json.dumps(listing).encode()
    assert len(body) > large_answers.LARGE
    return body


def _client(name: str, body: bytes, stop: threading.Event | None = None, timeout: float = 30.0):
    """A client of panel ``name`` answering ``body``; ``stop`` set as it answers."""
    panel = PanelConfig(
        name=name, url=f"http://{name}.test/api/v2", key=Secret(KEY), timeout=timeout, retries=0
    )

    def answer(request: httpx.Request) -> httpx.Response:
        if stop is not None:
            stop.set()  # a SIGTERM while the answer comes in
        return httpx.Response(200, content=body)

    transport = httpx.MockTransport(answer)
    return PanelClient(panel, transport=transport, stop_event=stop, sleep=lambda _s: None)


def test_two_panels_large_answers_are_not_decoded_at_once(monkeypatch):
    decode, lock = parse.decode_document, threading.Lock()
    inside, most, both = [0], [0], threading.Event()

    def watched(body: bytes, **how: bool):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            if inside[0] == 2:
                both.set()
        try:
            both.wait(WAIT)  # a second decode beside this one would begin now
            return decode(body, **how)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(parse, "decode_document", watched)
    body, found = _listing(), {}

    def sync(name: str) -> None:
        found[name] = len(_client(name, body).services())

    threads = [threading.Thread(target=sync, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == {"a": 13_000, "b": 13_000}
    assert most[0] == 1  # one at a time: two at once took the daemon past MemoryMax


def test_a_stop_ends_the_wait_for_the_slot_and_a_small_answer_never_waits():
    with large_answers._SLOT:  # another panel's large answer being read
        small = _client("small", json.dumps([{"service": 1, "rate": "1"}]).encode())
        assert [s.service for s in small.services()] == [1]
        with pytest.raises(StopRequested) as stopped:
            _client("large", _listing(), threading.Event()).services()
    assert str(stopped.value) == "large: services: stopping: its answer was not read"
    assert len(_client("large", _listing()).services()) == 13_000  # the slot was given back


def test_a_services_refresh_past_its_deadline_is_one_line_and_the_catalogue_stays(
    tmp_path, monkeypatch
):
    answers = {"services": json_reply([{"service": 1, "name": "Followers", "rate": "0.9"}])}
    with HostileServer(lambda form: answers.get(form.get("action", ""), Reply(b"{}"))) as server:
        # 5 s: the first refresh answers within it on a loaded machine.
        config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        assert cli("services", "--refresh").exit_code == 0
        answers["services"] = Reply(_listing())
        with large_answers._SLOT:  # held past the call's deadline
            result = cli("services", "--refresh")
        shown = cli("services")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        "smm-tracker: sim: services: answer of 2.2 MB not read by the call's deadline:"
        " another large answer was being read (they are read one at a time, to bound"
        " memory)\n"
    )
    assert shown.exit_code == 0 and "Followers" in shown.stdout


@pytest.mark.usefixtures("fresh_logs")
def test_a_call_past_its_deadline_waiting_for_the_slot_is_no_failure_of_the_panel():
    """Its panel answered: waiting on the tracker's own slot for 20 minutes of
    catalogue syncs raises no panel_unreachable (unreachable_after 15m)."""
    clock = Resumable(datetime(2026, 12, 6, 1, 0, tzinfo=UTC))
    raised: list = []
    alerter = Alerter(None, SimpleNamespace(send=raised.append), clock=clock)
    reach = Reach(clock, clock.monotonic, alerter, 900)
    client = _client("large", _listing(), timeout=0.2)
    client.call_observers.append(reach.observe)
    client.call_clock = clock.monotonic
    with large_answers._SLOT, capture_logs():  # another panel's large answer being read
        for _ in range(3):  # a sync every 10 minutes
            with pytest.raises(UnreadAnswerError, match="not read by the call's deadline"):
                client.services()
            clock.advance(600)
    assert raised == []
    assert len(client.services()) == 13_000  # the slot free: read
