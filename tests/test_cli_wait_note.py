"""A one-off command held by a rate limit says so on stderr, whatever the log level.

``add``, ``refill``, ``cancel`` and ``services --refresh`` wait to send while
a panel's rate limit is spent or a 429 asked for a wait, up to the retry
budget. That was said only in ``panel_rate_paced`` (info) or ``panel_retry``
(warning) log lines: at ``logging.level = "warning"`` a held ``cancel``
waited in silence, at "error" every such wait did, and a user took the
command for hung. Now one line on stderr says it waits, why and how long
at most; stdout is as it was.

The CLI runs as a process of its own against test_cli_interrupt_wait's
simulated panel (one request a minute, its window opening in 50 s, for
ever); the command is stopped by a Ctrl-C once the line is out.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import test_cli_interrupt_wait as held
from tests.said import Said
from tests.simconfig import sim_config
from tracker.sim.scripts import ScriptQuirks
from tracker.sim.server import PanelServer, SimulatedPanel

NOTE = "smm-tracker: waiting up to"


def world_at(directory: Path, level: str) -> Iterator[held.World]:
    script = ScriptQuirks(rate_limit=1)
    clock = lambda: held.MINUTE + 10  # noqa: E731 - the window opens in 50 s, for ever
    panel = SimulatedPanel(key=held.KEY, clock=clock, quirks=False, script=script)
    with PanelServer(panel) as server:
        config = sim_config(server.url, panel='retry_budget = "2m"')
        (directory / "tracker.toml").write_text(f'{config}[logging]\nlevel = "{level}"\n')
        world = held.World(directory, panel)
        try:
            yield world
        finally:
            for proc in world.procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()


@pytest.fixture
def at_warning(tmp_path: Path) -> Iterator[held.World]:
    yield from world_at(tmp_path, "warning")


@pytest.fixture
def at_error(tmp_path: Path) -> Iterator[held.World]:
    yield from world_at(tmp_path, "error")


def said_then_stopped(world: held.World, *args: str) -> tuple[int, str, str]:
    """Run ``smm-tracker ARGS``; once it says it waits, Ctrl-C it; return
    (exit code, stdout, stderr)."""
    proc = world.cli(*args)
    said = Said(proc)
    said.wait_for(NOTE, held.HANG)
    proc.send_signal(signal.SIGINT)
    code, out, err = said.finish(held.HANG)
    assert "Traceback" not in err
    return code, out, err


def test_a_cancel_held_by_a_spent_limit_says_so_at_warning(at_warning):
    world = at_warning
    ids = [str(i) for i in world.panel.seed_orders(150, status="Pending")]
    assert world.cli("track", *ids).wait(held.HANG) == 0
    # The first call of 100 is answered saying none of the limit is left:
    # the second waits for the window, 50 s.
    code, out, err = said_then_stopped(world, "cancel", "--yes", *ids)
    (line,) = [line for line in err.splitlines() if line.startswith(NOTE)]
    assert re.fullmatch(
        r"smm-tracker: waiting up to (4[0-9]|50) s: panel sim says its rate limit is spent "
        r"\(X-RateLimit-Reset\)",
        line,
    ), line
    assert "panel_rate_paced" not in err  # an info line: not shown at warning
    assert code == 130 and err.rstrip().endswith("interrupted: 50 orders not sent")
    assert NOTE not in out and out.count("canceled (the panel accepted") == 100


def test_an_add_waiting_out_a_429_says_so_at_error(at_error):
    world = at_error
    world.spend()  # the minute's one request: the add is answered 429
    code, out, err = said_then_stopped(world, *held.ADD)
    (line,) = [line for line in err.splitlines() if line.startswith(NOTE)]
    assert re.fullmatch(
        r"smm-tracker: waiting up to (4[0-9]|50) s: panel sim answered: rate limited "
        r"\(HTTP 429: .+\)",
        line,
    ), line
    assert "panel_retry" not in err  # a warning line: not shown at error
    assert code == 130 and out == ""
    assert err.rstrip().endswith("interrupted: sim: add: no order placed")
    assert world.panel.calls["add"] == 1


def test_the_client_tells_each_wait_to_send_once_with_its_reason():
    import httpx
    from faketime import FakeTime

    from tracker.config.model import PanelConfig, Secret
    from tracker.errors import TransientError
    from tracker.panel.client import PanelClient

    body = b'{"balance": "1.5", "currency": "USD"}'
    spent = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"}
    answers = [
        httpx.Response(429, content=b'{"error": "Too many"}', headers={"Retry-After": "5"}),
        httpx.Response(200, content=body, headers=spent),
    ]

    def panel(request: httpx.Request) -> httpx.Response:
        return answers.pop(0) if answers else httpx.Response(200, content=body)

    t, told = FakeTime(), []
    config = PanelConfig(name="t", url="https://panel.test/api/v2", key=Secret("k3y-SECRET-1"),
                         retries=0, retry_budget=300.0)  # fmt: skip
    client = PanelClient(
        config, transport=httpx.MockTransport(panel), sleep=t.sleep, clock=t.clock,
        wall=lambda: 1_750_000_000.0, on_wait=lambda s, why: told.append((s, why)),
    )  # fmt: skip
    with pytest.raises(TransientError):
        client.balance()  # the 429: no retry (retries = 0), the panel held 5 s
    client.balance()  # held 5 s; answered: spent for 7 s
    client.balance()  # held 7 s
    assert told == [
        (5.0, "panel t answered HTTP 429, asking to wait (Retry-After)"),
        (7.0, "panel t says its rate limit is spent (X-RateLimit-Reset)"),
    ]
    assert t.sleeps == [5.0, 7.0]
