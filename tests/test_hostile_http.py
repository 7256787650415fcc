"""Deadlines and size caps against a hostile panel and webhook on real loopback sockets.

The bounds asserted are the guarantees themselves (a call ends within its
deadline plus a second), with a whole second of slack for a loaded machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hostile import HostileServer, compressed, drip, flood, json_reply

from tracker.alerts.webhook import WebhookSink
from tracker.config.model import PanelConfig, Secret
from tracker.errors import AnswerTooLargeError, OutcomeUnknownError, TransientError
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder
from tracker.rules.episodes import Alert

TIMEOUT = 1.0
SLACK = 1.0


def client(url: str, **overrides) -> PanelClient:
    settings = {"timeout": TIMEOUT, "retries": 1, "retry_budget": 30.0, **overrides}
    panel = PanelConfig(name="evil", url=url, key=Secret("hostile-key-1234"), **settings)
    return PanelClient(panel, sleep=lambda _seconds: None)


@pytest.fixture
def dripping():
    with HostileServer(lambda form: drip(every=0.2)) as server:
        yield server


def test_a_dripping_panel_is_cut_at_the_deadline_and_retried_for_reads(dripping):
    panel = client(dripping.url)
    started = time.monotonic()
    with pytest.raises(TransientError, match="within 1s"):
        panel.balance()
    elapsed = time.monotonic() - started
    assert len(dripping.requests) == 2  # one retry, as for any timeout
    assert elapsed < 2 * (TIMEOUT + SLACK)
    panel.close()


def test_a_dripping_panel_holds_a_call_no_longer_than_its_retry_budget(dripping):
    # Cut at 2.5 s, a 1-2 s backoff, then a second whole 2.5 s attempt: at
    # least 6 s of a 4.5 s budget. The retry now has what is left of it.
    panel = PanelClient(
        PanelConfig(
            name="evil",
            url=dripping.url,
            key=Secret("hostile-key-1234"),
            timeout=2.5,
            retries=3,
            retry_budget=4.5,
        )
    )  # real waits
    started = time.monotonic()
    with pytest.raises(TransientError, match="within"):
        panel.balance()
    assert time.monotonic() - started < 4.5 + SLACK
    assert 1 <= len(dripping.requests) <= 2
    panel.close()


def test_a_panel_dripping_its_headers_is_cut_too():
    with HostileServer(lambda form: drip(every=0.2, headers_too=True)) as server:
        panel = client(server.url, retries=0)
        started = time.monotonic()
        with pytest.raises(TransientError):
            panel.balance()
        assert time.monotonic() - started < TIMEOUT + SLACK
        panel.close()


def test_a_dripping_answer_to_add_is_outcome_unknown_and_never_resent(dripping):
    panel = client(dripping.url, retries=3)
    started = time.monotonic()
    with pytest.raises(OutcomeUnknownError, match="outcome unknown"):
        panel.add(NewOrder(service=1, link="https://example.com/p", quantity=100))
    assert time.monotonic() - started < TIMEOUT + SLACK
    assert len(dripping.requests) == 1


def test_a_dripping_webhook_is_cut_at_its_deadline():
    # Under the 64 kB it reads: a larger declared answer is judged by its
    # status at once (a 200 took the alert), never waited for.
    with HostileServer(lambda form: drip(declared=1000, every=0.2)) as server:
        sink = WebhookSink(server.url, timeout=TIMEOUT, attempts=1)
        started = time.monotonic()
        sink.send(Alert("balance_low", "main: balance low", severity="warning"))
        assert sink.flush(TIMEOUT + SLACK + 5)
        assert time.monotonic() - started < TIMEOUT + SLACK
        assert sink.failed == 1 and sink.sent == 0
        sink.close(timeout=1)


def test_an_answer_over_the_cap_is_a_clear_error_not_retried():
    with HostileServer(lambda form: flood(5 * 1024 * 1024, declare=True)) as server:
        panel = client(server.url, retries=3)
        with pytest.raises(AnswerTooLargeError, match=r"larger than 1 MB.*'balance'"):
            panel.balance()
        assert len(server.requests) == 1
        with pytest.raises(OutcomeUnknownError, match="larger than 1 MB"):
            panel.add(NewOrder(service=1, link="https://example.com/p", quantity=100))
        panel.close()


def test_an_undeclared_flood_is_cut_at_the_cap():
    with HostileServer(lambda form: flood(200 * 1024 * 1024)) as server:
        panel = client(server.url, max_services_answer=2 * 1024 * 1024)
        with pytest.raises(AnswerTooLargeError, match="larger than 2 MB"):
            panel.services()
        panel.close()


def test_an_answer_under_the_cap_still_parses():
    with HostileServer(lambda form: json_reply({"balance": "12.5", "currency": "USD"})) as server:
        panel = client(server.url)
        assert str(panel.balance().balance) == "12.5"
        panel.close()


_RSS_CHILD = textwrap.dedent(
    """
    import sys
    from tracker.config.model import PanelConfig, Secret
    from tracker.errors import PanelError
    from tracker.panel.client import PanelClient

    def rss(field):
        for line in open("/proc/self/status"):
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    key = Secret("hostile-key-1234")
    panel = PanelConfig(name="evil", url=sys.argv[1], key=key, timeout=20, retries=0)
    client = PanelClient(panel)
    before = rss("VmRSS")
    try:
        getattr(client, sys.argv[2])()
    except PanelError:  # refused, as it must be: the memory is what is looked at
        pass
    print(before, rss("VmHWM"))
    """
)


def memory_of_one_call(url: str, action: str) -> tuple[int, int]:
    """Call ``action`` on the panel at ``url`` from a fresh process; return its
    resident memory before the call and its peak, in bytes."""
    done = subprocess.run(
        [sys.executable, "-c", _RSS_CHILD, url, action],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    before, peak = map(int, done.stdout.splitlines()[-1].split())  # after any log line
    return before, peak


def test_a_hung_name_lookup_ends_at_the_calls_deadline(monkeypatch):
    import socket
    import threading

    real, release = socket.getaddrinfo, threading.Event()

    def hung(host, *args, **kwargs):
        if host == "panel.example":
            release.wait(10)  # a resolver that does not answer
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hung)
    panel = client("http://panel.example/api/v2", retries=0)
    started = time.monotonic()
    with pytest.raises(TransientError, match=r"panel\.example.*within 1s"):
        panel.balance()
    assert time.monotonic() - started < TIMEOUT + SLACK
    release.set()
    for lookup in [t for t in threading.enumerate() if t.name == "resolve"]:
        lookup.join(5)  # its failure must not be the next test's shared lookup
    panel.close()


def test_calls_to_a_host_whose_lookup_hangs_share_one_lookup_thread(monkeypatch):
    import socket
    import threading

    real, release, asked = socket.getaddrinfo, threading.Event(), []

    def hung(host, *args, **kwargs):
        if host == "panel.example":
            asked.append(host)
            release.wait(10)  # a resolver that does not answer
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hung)
    panel = client("http://panel.example/api/v2", retries=0)
    for _ in range(4):  # four rounds of a daemon whose resolver hangs
        with pytest.raises(TransientError, match=r"panel\.example.*within 1s"):
            panel.balance()
    lookups = [t for t in threading.enumerate() if t.name == "resolve"]
    assert (len(asked), len(lookups)) == (1, 1)
    release.set()
    lookups[0].join(5)
    # Once it has ended, the next call looks the host up afresh.
    with pytest.raises(TransientError, match="cannot resolve host panel.example"):
        panel.balance()
    assert len(asked) == 2
    panel.close()


def test_a_host_name_is_still_looked_up_and_reached():
    with HostileServer(lambda form: json_reply({"balance": "3", "currency": "USD"})) as server:
        panel = client(server.url.replace("127.0.0.1", "localhost"))
        assert str(panel.balance().balance) == "3"
        panel.close()
    unknown = client("http://no-such-host.invalid/api/v2", retries=0)
    # Not found where a resolver answers; cannot be resolved where none can.
    said = r"host no-such-host\.invalid not found|cannot resolve host no-such-host\.invalid"
    with pytest.raises(TransientError, match=said):
        unknown.balance()
    unknown.close()


def test_a_compressed_answer_is_read_within_the_cap_as_decoded():
    body = b'{"balance": "12.5", "currency": "USD"}'
    for encoding in ("gzip", "deflate"):
        writer = compressed(body, encoding)
        with HostileServer(lambda form, w=writer: w) as server:
            panel = client(server.url)
            assert str(panel.balance().balance) == "12.5"
            panel.close()
    bomb = compressed(b"[]", spaces=300 * 1024 * 1024)  # ~300 kB as sent
    with HostileServer(lambda form: bomb) as server:
        panel = client(server.url)
        with pytest.raises(AnswerTooLargeError, match="larger than 1 MB"):
            panel.balance()
        panel.close()


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_a_compressed_bomb_never_expands_past_the_cap():
    # 300 MB of JSON whitespace gzips to ~300 kB, under the 1 MB cap as sent:
    # decoding it must stop at the cap, not expand a whole chunk first.
    bomb = compressed(b"[]", spaces=300 * 1024 * 1024)
    with HostileServer(lambda form: bomb) as server:
        before, peak = memory_of_one_call(server.url, "balance")
    assert peak < before + 20 * 1024 * 1024, (before, peak)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_a_200_mb_answer_keeps_memory_under_the_cap_plus_50_mb():
    cap = 16 * 1024 * 1024  # the default max_services_answer
    with HostileServer(lambda form: flood(200 * 1024 * 1024)) as server:
        before, peak = memory_of_one_call(server.url, "services")
    assert peak < cap + 50 * 1024 * 1024, (before, peak)  # the whole process


def test_answer_caps_are_config_keys_with_sizes_as_written():
    from tracker.config.load import config_from_dict
    from tracker.errors import ConfigError

    def panel(**keys):
        entry = {"name": "p", "url": "https://p.example/api/v2", "key": "k" * 20, **keys}
        return config_from_dict({"panels": [entry]}, base_dir=Path("."), env={}).panels[0]

    assert (panel().max_answer, panel().max_services_answer) == (2**20, 16 * 2**20)
    assert panel(max_answer="256 kB").max_answer == 256 * 1024
    assert panel(max_services_answer=3_000_000).max_services_answer == 3_000_000
    with pytest.raises(ConfigError, match=r"panels\[0\]\.max_answer.*size like"):
        panel(max_answer="lots")


def test_cookies_a_panel_sets_are_never_sent_back_nor_kept():
    # A panel setting a new cookie on every answer (a session or bot-check
    # cookie per request) grew the jar for the life of the process, until the
    # Cookie header passed nginx's 8 kB and every call failed with a 400.
    sent: list[str | None] = []
    count = iter(range(10_000))

    def answer(handler) -> None:
        sent.append(handler.headers.get("Cookie"))
        body = b'{"balance": "1.00", "currency": "USD"}'
        handler.send_response(200)
        handler.send_header("Set-Cookie", f"c{next(count)}={'x' * 100}; Path=/")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    with HostileServer(lambda form: answer) as server:
        panel = client(server.url)
        for _ in range(3):
            assert panel.balance().balance == 1
        assert sent == [None, None, None]
        assert len(panel._http.cookies.jar) == 0
        panel.close()
