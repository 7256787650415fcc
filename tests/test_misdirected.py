"""A panel URL that leads nowhere fails at the first attempt (fastfail brief).

A host the resolver says does not exist, and an https:// URL on a port that
answers plain HTTP, were retried for the whole retry budget (~17 s for
``services --refresh``) to print the same line. No retry cures them: one
attempt, one line naming the fix. Counted in attempts, never in seconds. A
resolver that cannot answer now is still retried; a failure once the request
may have been sent still keeps ``add`` from being sent twice.
"""

from __future__ import annotations

import sqlite3
import ssl
from pathlib import Path

import httpx
import pytest
from hostile import HostileServer, json_reply
from simconfig import cli_in

from tracker.config.model import PanelConfig, Secret
from tracker.errors import OutcomeUnknownError, TransientError
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder

KEY = "misdirected-key-7Hq2Lp9Zx"
RETRIES = 3
ORDER = NewOrder(1, "https://example.com/p/1", 100)


def client(url: str, calls: list[bool], **settings: object) -> PanelClient:
    """A client with room for RETRIES retries and no real waits; ``calls``
    gets each attempt's outcome (what panel_unreachable is judged on)."""
    transport = settings.pop("transport", None)
    settings = {"timeout": 3.0, "retries": RETRIES, "retry_budget": 600.0, **settings}
    panel = PanelConfig(name="p", url=url, key=Secret(KEY), **settings)  # type: ignore[arg-type]
    observe = [lambda _panel, _action, ok, _seconds, _error: calls.append(ok)]
    return PanelClient(
        panel,
        transport=transport,  # type: ignore[arg-type]
        observers=observe,
        sleep=lambda _seconds: None,
    )


@pytest.fixture
def plain():
    """A plain-HTTP panel on loopback, and its URL with https://."""
    with HostileServer(lambda form: json_reply({"balance": "1", "currency": "USD"})) as server:
        yield server, server.url.replace("http://", "https://")


@pytest.mark.parametrize("action", ["balance", "services", "add"])
def test_a_host_that_does_not_exist_is_asked_once(lookups, action):
    calls: list[bool] = []
    panel = client("https://panel.example.invalid/api/v2", calls)
    call = {"balance": panel.balance, "services": panel.services}.get(action)
    with pytest.raises(TransientError) as raised:
        call() if call else panel.add(ORDER)
    panel.close()
    assert (len(lookups), calls) == (1, [False])  # one attempt, and it failed
    # The fix names the panel: with several, "panels[].url" said not which.
    assert raised.value.detail == "host panel.example.invalid not found: check the url of panel 'p'"
    assert not raised.value.maybe_sent  # add: nothing was sent, so not "outcome unknown"


def test_a_resolver_that_cannot_answer_now_is_still_retried(lookups):
    calls: list[bool] = []
    panel = client("https://busy.example/api/v2", calls)
    with pytest.raises(TransientError, match="cannot resolve host busy.example"):
        panel.balance()
    panel.close()
    assert (len(lookups), calls) == (RETRIES + 1, [False] * (RETRIES + 1))


def test_a_resolver_that_does_not_answer_in_time_is_named_and_retried(proxy_env, unresolving):
    # It said "no connection to slow-panel.example:443 within 1s (connect
    # timeout)": no connection was tried, the lookup of its host took the time.
    asked = unresolving("slow-panel.example")
    calls: list[bool] = []
    panel = client("https://slow-panel.example/api/v2", calls, timeout=1.0, retries=1)
    with pytest.raises(TransientError) as raised:
        panel.balance()
    panel.close()
    assert calls == [False, False]  # retried: the resolver may answer
    assert asked == ["slow-panel.example"]  # one lookup, waited for by each try
    assert raised.value.detail == (
        "host slow-panel.example was not resolved within 1s (connect timeout): "
        "is the DNS resolver reachable?"
    )


def test_a_proxy_that_does_not_resolve_is_not_called_a_wrong_panel_url(lookups, monkeypatch):
    # The host not found is the proxy's, not panels[].url's: retried as ever.
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    calls: list[bool] = []
    panel = client("https://panel.example/api/v2", calls)
    with pytest.raises(TransientError) as raised:
        panel.balance()
    panel.close()
    assert lookups == ["proxy.invalid"] * (RETRIES + 1)
    assert "panels[].url" not in raised.value.detail
    assert "check the url" not in raised.value.detail


@pytest.mark.parametrize("action", ["balance", "add"])
def test_https_on_a_plain_http_port_is_tried_once_and_sends_nothing(plain, action):
    server, url = plain
    calls: list[bool] = []
    panel = client(url, calls)
    with pytest.raises(TransientError) as raised:
        panel.balance() if action == "balance" else panel.add(ORDER)
    panel.close()
    assert calls == [False] and server.requests == []  # no POST ever reached it
    where = url.split("/")[2]
    assert raised.value.detail.startswith(
        f"{where} answered plain HTTP on an https:// URL: use http:// or the TLS port ("
    )
    assert not raised.value.maybe_sent


class _NoTls(ssl.SSLError):
    reason = "WRONG_VERSION_NUMBER"  # what OpenSSL sets; a Python-made SSLError has none


def _broken_after_sending(request: httpx.Request) -> httpx.Response:
    try:
        raise _NoTls(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    except ssl.SSLError as exc:
        raise httpx.ReadError("wrong version number", request=request) from exc


def test_the_same_tls_words_after_sending_are_no_wrong_url():
    # A read (or write) error comes once the request may have reached the
    # panel: add is "outcome unknown", never resent; a read is retried.
    network = httpx.MockTransport(_broken_after_sending)
    calls: list[bool] = []
    panel = client("https://panel.example/api/v2", calls, transport=network)
    with pytest.raises(OutcomeUnknownError, match="check the panel before placing it again"):
        panel.add(ORDER)
    assert calls == [False]
    with pytest.raises(TransientError) as raised:
        panel.balance()
    assert raised.value.maybe_sent and len(calls) == 1 + RETRIES + 1
    panel.close()


def test_other_tls_failures_and_connect_errors_are_not_called_wrong_urls():
    from tracker.panel import misdirected  # here: the other tests run on the code before it

    refused = httpx.ConnectError("refused")
    refused.__cause__ = ConnectionRefusedError(111, "Connection refused")
    assert misdirected.words(refused, "h", "h:443") is None
    handshake = httpx.ConnectError("handshake")
    handshake.__cause__ = ssl.SSLError(1, "[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] alert")
    assert misdirected.words(handshake, "h", "h:443") is None
    newer = httpx.ConnectError("record")  # OpenSSL 3.2's words for the same plain HTTP
    newer.__cause__ = ssl.SSLError(1, "[SSL] record layer failure (_ssl.c:1000)")
    assert misdirected.words(newer, "h", "h:443") == (
        "h:443 answered plain HTTP on an https:// URL: use http:// or the TLS port "
        "(record layer failure)"
    )


def test_the_daemon_counts_it_against_the_panel_never_an_order(plain, tmp_path, monkeypatch):
    server, url = plain
    config = f"""
[database]
path = "t.db"
[[panels]]
name = "p"
url = "{url}"
key_env = "MISDIRECTED_KEY"
retries = {RETRIES}
retry_budget = "10m"
"""
    cli = cli_in(tmp_path, monkeypatch, config, env={"MISDIRECTED_KEY": KEY})
    assert cli("track", "101", "102", "103").exit_code == 0
    result = cli("run", "--once", "--all")
    assert result.exit_code == 1
    assert "panel_retry" not in result.output  # each job's call tried once
    # A whole-panel failure: one failed status call for the three orders (the
    # observer test above: each counts toward panel_unreachable).
    assert "1 failed status call; failed jobs: status, services, balance; " in result.output
    assert "; refill round held: its calls have failed since " in result.output
    assert server.requests == []
    db = sqlite3.connect(Path(tmp_path) / "t.db")
    try:
        rows = set(db.execute("SELECT status, error, error_count FROM orders"))
    finally:
        db.close()
    assert rows == {(None, None, 0)}  # no order blamed for the panel's URL
    assert KEY not in result.output


def test_cancel_names_the_fix_not_try_again_later(plain, tmp_path, monkeypatch):
    # Nothing sent, and waiting cures nothing: "try again later" would mislead.
    server, url = plain
    config = f'[database]\npath = "t.db"\n[[panels]]\nname = "p"\nurl = "{url}"\nkey = "{KEY}"\n'
    cli = cli_in(tmp_path, monkeypatch, config)
    assert cli("track", "101").exit_code == 0
    canceled = cli("cancel", "--yes", "101")
    assert canceled.exit_code == 1 and server.requests == []
    said = [line for line in canceled.output.splitlines() if line.startswith("#101")]
    assert len(said) == 1 and "not sent: p: cancel: " in said[0], canceled.output
    assert "use http:// or the TLS port (" in said[0] and said[0].endswith(")"), said


def test_cancel_to_a_host_that_does_not_exist_names_the_panel_to_fix(
    lookups, tmp_path, monkeypatch
):
    # With several panels, "check panels[].url" left the user to find which.
    config = '[database]\npath = "t.db"\n[[panels]]\nname = "bench"\n'
    config += f'url = "https://panel.example.invalid/api/v2"\nkey = "{KEY}"\n'
    cli = cli_in(tmp_path, monkeypatch, config)
    assert cli("track", "101").exit_code == 0
    canceled = cli("cancel", "--yes", "101")
    assert canceled.exit_code == 1 and len(lookups) == 1  # asked once
    said = [line for line in canceled.output.splitlines() if line.startswith("#101")]
    assert len(said) == 1, canceled.output
    assert said[0].endswith("host panel.example.invalid not found: check the url of panel 'bench'")
    assert "try again later" not in said[0]
