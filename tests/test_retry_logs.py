"""A retry in the log: a hiccup its retry answers is no warning.

A flaky panel (a 502 about once a minute, answered at its retry) put a
``panel_retry`` warning in the journal about once a minute, each first
retry after an answer being "new". The daemon and ``run --once`` now log
every retry at debug, and a call that failed for good after its retries one
``panel_retry`` warning (``gave_up``), told once an outage; a command a
person waits on (``add``, ``refill``...: its client has ``on_wait``) still
says each retry at warning, as before.
"""

from __future__ import annotations

import httpx
import pytest
from faketime import FakeTime
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config
from structlog.testing import capture_logs

from tracker.config.model import PanelConfig, Secret
from tracker.errors import PanelError, TransientError
from tracker.panel.client import PanelClient
from tracker.sim.server import PanelServer, SimulatedPanel

pytestmark = pytest.mark.usefixtures("fresh_logs")

BALANCE = b'{"balance": "1.5", "currency": "USD"}'


def _client(answers: list[str], **options) -> PanelClient:
    """A client of a panel answering ``answers`` in turn: "refused" (no
    connection), "error" (its own) or "balance"; its retries' waits on a fake clock."""

    def panel(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if answer == "refused":
            raise httpx.ConnectError("[Errno 111] Connection refused")
        if answer == "error":  # the panel's own error: an answer, no retry
            return httpx.Response(200, content=b'{"error": "Wrong currency settings"}')
        return httpx.Response(200, content=BALANCE)

    config = PanelConfig(name="t", url="https://panel.test/api/v2", key=Secret("k3y"), retries=3)
    t = FakeTime(sleeps=[])
    transport = httpx.MockTransport(panel)
    return PanelClient(config, transport=transport, sleep=t.sleep, clock=t.clock, **options)


def _retries(
    client: PanelClient, ok: bool, raises: type[Exception] = TransientError
) -> list[tuple[str, dict]]:
    """Ask the balance once; return the panel_retry lines' (level, line)."""
    with capture_logs() as logs:
        if ok:
            client.balance()
        else:
            with pytest.raises(raises):
                client.balance()
    return [(e["log_level"], e) for e in logs if e["event"] == "panel_retry"]


def test_a_hiccup_its_retry_answers_is_said_at_debug_not_warned():
    client = _client(["refused", "balance"] * 5)
    for _ in range(5):  # a flaky panel: a hiccup at every call, each answered at its retry
        assert [level for level, _ in _retries(client, ok=True)] == ["debug"]
    waited_on = _client(["refused", "balance"], on_wait=lambda seconds, why: None)
    assert [level for level, _ in _retries(waited_on, ok=True)] == ["warning"]  # `add`'s


def test_a_call_failing_after_its_retries_is_one_warning_an_outage():
    client = _client(["refused"] * 8 + ["balance"] + ["refused"] * 4)
    failed = _retries(client, ok=False)
    assert [level for level, _ in failed] == ["debug", "debug", "debug", "warning"]
    last = failed[-1][1]
    assert (last["action"], last["attempt"], last["gave_up"]) == ("balance", 4, True)
    assert "connection refused" in last["error"].lower()
    again = _retries(client, ok=False)  # the same outage, nothing answered since
    assert [level for level, _ in again] == ["debug"] * 4
    assert _retries(client, ok=True) == []  # answered: the outage is over
    anew = _retries(client, ok=False)
    assert [level for level, _ in anew] == ["debug", "debug", "debug", "warning"]


def test_a_retry_the_panel_answers_with_its_own_error_is_no_retry_given_up():
    client = _client(["refused"] + ["error"] * 3)  # its answer: the job's own line says it
    assert [level for level, _ in _retries(client, ok=False, raises=PanelError)] == ["debug"]


KEY = "sim-key-Retry5Logs8Hq3"


@pytest.mark.usefixtures("quick_backoff")  # what is logged of the retry, not its wait
def test_run_once_against_a_flaky_panel_writes_no_warning(tmp_path, monkeypatch):
    panel = SimulatedPanel(key=KEY, seed=3, quirks=False)
    with PanelServer(panel) as server:
        config = sim_config(server.url, panel="retries = 1")
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        ids = panel.seed_orders(3, status="In progress")
        assert cli("track", *map(str, ids)).exit_code == 0
        panel.inject("html502", count=1, action="status")  # answered at its retry
        ran = cli("--log-level", "warning", "run", "--once")
        assert ran.exit_code == 0, ran.output
        assert ran.stderr == ""  # nothing to warn of: the poll got its answer
        assert panel.calls["status"] == 2
