"""A proxy from the environment failing a panel call is named, not the panel.

Through ``$HTTPS_PROXY`` a refused proxy port read "connection refused by
panel.example:443" (and ``add`` added "is the panel up, and the port in
panels[0].url right?"), and the proxy's answer to CONNECT (502, 407) read
"HTTP failure talking to panel.example:443 (ProxyError: ...)", asked once.
A real loopback proxy here answers CONNECT, or a closed port stands for one.
"""

from __future__ import annotations

import errno
import socket

import loopback_proxy
import pytest
from click.testing import CliRunner
from loopback_proxy import PASSWORD, VARS, LoopbackProxy, connect_reply
from ports import closed_port
from simconfig import sim_config

from tracker.cli.main import main
from tracker.config.model import PanelConfig, Secret
from tracker.errors import MisdirectedError, TransientError
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder

KEY = "proxied-key-4Rt8Yp2Wq6"
RETRIES = 2
URL = "https://panel.example/api/v2?token=url-token-5Gh"  # a token in the URL: never shown
BAD_GATEWAY = b"502 Bad Gateway"
AUTH = b"407 Proxy Authentication Required"


@pytest.fixture
def answering(proxy_env):
    """Return start(answer): a proxy answering CONNECT so, in the environment."""
    started: list[LoopbackProxy] = []

    def start(answer: bytes) -> LoopbackProxy:
        started.append(proxy := loopback_proxy.answering(connect_reply(answer)))
        proxy_env(proxy.port)
        return proxy

    yield start
    for proxy in started:
        proxy.close()


def client(calls: list[bool], url: str = URL) -> PanelClient:
    panel = PanelConfig(
        name="p", url=url, key=Secret(KEY), timeout=3.0, retries=RETRIES, retry_budget=600.0
    )
    observe = [lambda _panel, _action, ok, _seconds, _error: calls.append(ok)]
    return PanelClient(panel, observers=observe, sleep=lambda _seconds: None)


def _unshown(text: str) -> None:
    assert (
        KEY not in text
        and "url-token-5Gh" not in text
        and PASSWORD not in text
        and "me:" not in text
    )


def test_a_proxy_that_refuses_the_connection_is_named_not_the_panel(proxy_env):
    port = closed_port()
    proxy_env(port)
    calls: list[bool] = []
    panel = client(calls)
    with pytest.raises(TransientError) as raised:
        panel.balance()
    panel.close()
    assert calls == [False] * (RETRIES + 1)  # the proxy may be restarting: retried
    assert raised.value.detail == (
        f"the proxy 127.0.0.1:{port} refused the connection: is it up, and {VARS} right?"
    )
    _unshown(str(raised.value))


@pytest.mark.parametrize("action", ["balance", "add"])
def test_a_proxys_502_is_retried_and_sends_no_order(answering, action):
    proxy = answering(BAD_GATEWAY)
    calls: list[bool] = []
    panel = client(calls)
    with pytest.raises(TransientError) as raised:
        panel.balance() if action == "balance" else panel.add(NewOrder(1, "https://x.example", 10))
    panel.close()
    assert proxy.asked == RETRIES + 1 and calls == [False] * (RETRIES + 1)
    assert raised.value.detail == (
        f"the proxy 127.0.0.1:{proxy.port} could not reach panel.example:443: "
        "it answered 502 Bad Gateway"
    )
    assert not raised.value.maybe_sent  # add: the tunnel never opened, not "outcome unknown"
    _unshown(str(raised.value))


def test_a_proxys_407_is_asked_once_naming_what_to_check(answering):
    proxy = answering(AUTH)
    calls: list[bool] = []
    panel = client(calls)
    with pytest.raises(MisdirectedError) as raised:
        panel.balance()
    panel.close()
    assert proxy.asked == 1 and calls == [False]
    assert raised.value.detail == (
        f"the proxy 127.0.0.1:{proxy.port} refused the tunnel to panel.example:443: "
        f"it answered 407 Proxy Authentication Required; check {VARS}"
    )


def test_a_forwarding_proxys_407_sends_no_order(answering, monkeypatch):
    # An http:// panel's request is forwarded, not tunnelled: the proxy's 407
    # came as the panel's answer, "outcome unknown — check the panel (HTTP
    # 407: answered an HTML page ...)" for an order no panel ever saw.
    proxy = answering(AUTH)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
    calls: list[bool] = []
    panel = client(calls, URL.replace("https://", "http://"))
    with pytest.raises(MisdirectedError) as raised:
        panel.add(NewOrder(1, "https://x.example", 10))
    panel.close()
    assert proxy.asked == 1 and calls == [False] and not raised.value.maybe_sent
    assert raised.value.detail == (
        f"the proxy 127.0.0.1:{proxy.port} refused the request to panel.example:80: "
        f"it answered 407 Proxy Authentication Required; check {VARS}"
    )


def test_a_proxy_host_not_resolved_is_named(lookups, proxy_env, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    calls: list[bool] = []
    panel = client(calls)
    with pytest.raises(TransientError) as raised:
        panel.balance()
    panel.close()
    assert lookups == ["proxy.invalid"] * (RETRIES + 1)
    assert raised.value.detail == (
        "the proxy proxy.invalid:3128 was not resolved (Name or service not known): "
        f"check {VARS}, and the resolver"
    )


def test_a_proxy_on_no_route_is_named_not_the_panel(proxy_env, monkeypatch):
    # "cannot connect to panel.example:443: Network is unreachable": only the
    # proxy's address was ever dialled.
    port = closed_port()
    proxy_env(port)
    real, dialled = socket.create_connection, []

    def unreachable(address, *args, **kwargs):  # a network down, as the kernel says it
        dialled.append(address)
        if address == ("127.0.0.1", port):
            raise OSError(errno.ENETUNREACH, "Network is unreachable")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", unreachable)
    calls: list[bool] = []
    panel = client(calls)
    with pytest.raises(TransientError) as raised:
        panel.balance()
    panel.close()
    assert dialled == [("127.0.0.1", port)] * (RETRIES + 1)  # retried: a network comes back
    assert raised.value.detail == (
        f"cannot connect to the proxy 127.0.0.1:{port}: Network is unreachable; check {VARS}"
    )


def test_a_proxy_that_never_answers_the_connect_is_named_not_the_panel(proxy_env, unanswering):
    # It said "no connection to panel.example:443 within 1s (connect
    # timeout)": only the proxy was dialled, and its handshake never came.
    proxy_env(unanswering)
    settings = PanelConfig(name="p", url=URL, key=Secret(KEY), timeout=1.0, retries=1)
    calls: list[bool] = []
    observe = [lambda _panel, _action, ok, _seconds, _error: calls.append(ok)]
    panel = PanelClient(settings, observers=observe, sleep=lambda _seconds: None)
    with pytest.raises(TransientError) as raised:
        panel.balance()
    panel.close()
    assert calls == [False, False] and not raised.value.maybe_sent  # retried: it may come back
    assert raised.value.detail == (
        f"no connection to the proxy 127.0.0.1:{unanswering} within 1s (connect timeout); "
        f"check {VARS}"
    )
    _unshown(str(raised.value))


def test_a_proxy_host_the_resolver_does_not_answer_in_time_names_the_resolver(
    proxy_env, unresolving
):
    # It said "no connection to the proxy ... (connect timeout); check ...":
    # no TCP connect was even tried, the lookup of its host took the time.
    unresolving("slow-panel-proxy.example")
    proxy_env(3128, "slow-panel-proxy.example")
    settings = PanelConfig(name="p", url=URL, key=Secret(KEY), timeout=1.0, retries=1)
    panel = PanelClient(settings, sleep=lambda _seconds: None)
    with pytest.raises(TransientError) as raised:
        panel.balance()
    panel.close()
    assert raised.value.detail == (
        "no connection to the proxy slow-panel-proxy.example:3128 within 1s (connect timeout: "
        f"its host was not resolved in time); check {VARS}, and the resolver"
    )
    _unshown(str(raised.value))


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Return invoke(*args): the CLI with one panel "sim" at URL, no retries."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    (tmp_path / "tracker.toml").write_text(sim_config(URL, panel='retries = 0\ntimeout = "5s"'))

    def invoke(*args: str):
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        assert "Traceback" not in result.output
        _unshown(result.output)
        return result

    return invoke


def test_add_cancel_refill_and_doctor_name_the_refusing_proxy(cli, proxy_env):
    # They said "connection refused by panel.example:443" and "is the panel
    # up, and the port in panels[0].url right?" (cancel: "try again later").
    port = closed_port()
    proxy_env(port)
    said = f"the proxy 127.0.0.1:{port} refused the connection: is it up, and {VARS} right?"
    added = cli("add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100")
    assert added.exit_code == 1
    assert added.output == f"smm-tracker: sim: add: {said}; no order placed\n"
    assert cli("track", "5").exit_code == 0
    canceled = cli("cancel", "--yes", "5")
    assert canceled.exit_code == 1 and canceled.stdout == f"#5  not sent: sim: cancel: {said}\n"
    refilled = cli("refill", "5")
    assert refilled.exit_code == 1
    told = [line for line in refilled.output.splitlines() if line.startswith("smm-tracker:")]
    assert told == [f"smm-tracker: order 5: refill not sent, nothing recorded: sim: refill: {said}"]
    doctor = cli("doctor")
    assert doctor.exit_code == 1
    assert f"balance call failed: {said}\n" in doctor.output
    ran = cli("run", "--once")  # the daemon's jobs: their log lines say it too
    assert ran.exit_code == 1
    failed = [line for line in ran.output.splitlines() if "status_failed" in line]
    assert len(failed) == 1 and f"sim: status: {said}" in failed[0], ran.output


def test_cancel_and_doctor_say_a_proxys_407_and_what_to_check(cli, answering):
    # They said "HTTP failure talking to panel.example:443 (ProxyError: 407
    # Proxy Authentication Required)", cancel "- try again later".
    proxy = answering(AUTH)
    said = (
        f"the proxy 127.0.0.1:{proxy.port} refused the tunnel to panel.example:443: "
        f"it answered 407 Proxy Authentication Required; check {VARS}"
    )
    assert cli("track", "5").exit_code == 0
    canceled = cli("cancel", "--yes", "5")
    assert canceled.exit_code == 1 and canceled.stdout == f"#5  not sent: sim: cancel: {said}\n"
    doctor = cli("doctor")
    assert doctor.exit_code == 1 and f"balance call failed: {said}\n" in doctor.output
    assert proxy.asked == 2  # once each: a 407 is not asked again
