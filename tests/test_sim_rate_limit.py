"""The simulated panel's own rate limit (``simulate --quirk rate_limit=N``).

It says its limit in ``X-RateLimit-*`` headers on every answer, as real
panels do, and answers 429 past it: the tracker, reading them, keeps
within it (tests/test_rate_paced.py has the tracker's side against
scripted panels).
"""

from __future__ import annotations

import json

from faketime import FakeTime

from tracker.config.model import PanelConfig, Secret
from tracker.panel.client import PanelClient
from tracker.sim.scripts import ScriptQuirks, quirks_from
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-0123456789"


MINUTE = 1_749_999_960.0  # a minute's start on the wall clock (June 2025)


def test_the_simulated_panels_rate_limit_is_said_in_its_headers():
    clock = [MINUTE + 10]
    script = quirks_from(["rate_limit=2"])  # simulate --quirk rate_limit=2
    panel = SimulatedPanel(key=KEY, clock=lambda: clock[0], quirks=False, script=script)
    form = {"key": KEY, "action": "balance"}
    answers = [panel.answer(form) for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["1", "0", "0"]
    assert {(a.headers["X-RateLimit-Limit"], a.headers["X-RateLimit-Reset"]) for a in answers} == {
        ("2", "50")
    }
    assert json.loads(answers[2].body) == {"error": "Too many requests"}
    clock[0] = MINUTE + 61  # the next minute: a new window
    again = panel.answer(form)
    assert again.status == 200 and again.headers["X-RateLimit-Remaining"] == "1"
    assert again.headers["X-RateLimit-Reset"] == "59"


def test_the_tracker_keeps_within_the_simulated_panels_limit_without_a_429():
    t = FakeTime(MINUTE + 10)
    script = ScriptQuirks(rate_limit=2)
    panel = SimulatedPanel(key=KEY, clock=t.clock, quirks=False, script=script)
    with PanelServer(panel) as server:
        config = PanelConfig(name="sim", url=server.url, key=Secret(KEY), retries=2)
        client = PanelClient(config, sleep=t.sleep, clock=t.clock, wall=t.clock)
        try:
            for _ in range(5):
                client.balance()
        finally:
            client.close()
    # Spent after two: the third waits the 50 s left of the minute, the
    # fifth the whole next one; the panel never had to answer 429.
    assert t.sleeps == [50.0, 60.0]
    assert panel.calls["balance"] == 5
