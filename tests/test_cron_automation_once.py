"""What the automation says at every round while the panel keeps refusing
its actions, told at warning once per episode, not once a run.

From cron (``--log-level warning run --once --due``) and in the daemon, each
automation round warned ``reorder_not_sent`` again for the same order in the
same words (a bot check answering every ``add``: the request never reached
the panel, tried again next run): a mail a run while nothing new happened.
So did ``cancel_not_sent`` of a cancel call refused in words of its own
while the witness call (``balance``) failed too: not judged, asked again
next round. The first round warns and marks it in ``alert_state``; the rounds after it
say it at info with ``warned_at``; other words, another order, or a round
whose adds reached the panel (the episode over) are told at warning again.
"""

from __future__ import annotations

import pytest
from automation_kit import REORDER, run
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.sim.orders import SimRefusal
from tracker.sim.server import SERVICE_FOLLOWERS, SimulatedPanel

pytestmark = pytest.mark.usefixtures("fresh_logs")  # its lines read from structlog

STEP = 600.0  # [automation] every: 10 minutes
H = 3600.0
CANCEL = 'cancel_pending = true\ncancel_pending_after = "24h"\n'


def _said(w, event: str) -> list[tuple[str, int | None, bool]]:
    """Run the automation job once; return its ``event`` lines: (level,
    order, whether it says when it was warned of)."""
    with capture_logs() as logs:
        run(w)
    w.clock.advance(STEP)
    return [(e["log_level"], e.get("order"), "warned_at" in e) for e in logs if e["event"] == event]


def test_a_reorder_not_sent_round_after_round_is_warned_of_once(world):
    w = world(automation=REORDER.replace("daily_cap = 1.0", "daily_cap = 100.0"))
    w.sync_services()
    first = w.ended(SERVICE_FOLLOWERS)
    w.ended(SERVICE_FOLLOWERS)  # after it: not tried while its add is refused
    w.poll()
    w.panel.inject("challenge", count=100, action="add")  # a bot check at every add
    assert _said(w, "reorder_not_sent") == [("warning", first, False)]
    # Before: the same warning at every round, a mail a run.
    assert _said(w, "reorder_not_sent") == [("info", first, True)]
    assert _said(w, "reorder_not_sent") == [("info", first, True)]
    w.panel.clear_faults()
    w.panel.inject("429", count=1, action="add")  # other words: a new fact
    assert _said(w, "reorder_not_sent") == [("warning", first, False)]
    assert _said(w, "reorder_not_sent") == []  # both placed: the episode over
    assert w.panel.calls["add"] >= 2
    marks = "SELECT kind FROM alert_state WHERE kind GLOB 'reorder_not_sent#*'"
    assert w.store.rows(marks) == []
    third = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    w.panel.inject("challenge", count=100, action="add")  # a new episode: warned again
    assert _said(w, "reorder_not_sent") == [("warning", third, False)]
    assert _said(w, "reorder_not_sent") == [("info", third, True)]


class RefusingCancelPanel(SimulatedPanel):
    """Refuses every cancel call in words of its own (``words``)."""

    words = "Cancel is not possible now"

    def _cancel(self, form, now):
        raise SimRefusal(self.words)


def _stale(w) -> int:
    """An order Pending for 25 hours, polled: a stale one to cancel."""
    order = w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    w.clock.advance(25 * H)
    w.poll()
    return order


def test_a_cancel_not_judged_round_after_round_is_warned_of_once(world):
    w = world(automation=CANCEL, panel_class=RefusingCancelPanel)
    w.sync_services()
    _stale(w)
    w.panel.inject("html502", count=1000, action="balance")  # the witness fails too
    assert _said(w, "cancel_not_sent") == [("warning", None, False)]
    # Before: the same warning at every round, a mail a run.
    assert _said(w, "cancel_not_sent") == [("info", None, True)]
    assert _said(w, "cancel_not_sent") == [("info", None, True)]
    RefusingCancelPanel.words = "Cancel is closed today"  # other words: a new fact
    try:
        assert _said(w, "cancel_not_sent") == [("warning", None, False)]
        w.panel.clear_faults()  # the witness answers: the refusal is judged, the order's
        assert _said(w, "cancel_not_sent") == []
        marks = "SELECT kind FROM alert_state WHERE kind GLOB 'cancel_not_sent#*'"
        assert w.store.rows(marks) == []  # the episode over
        _stale(w)
        w.sync_services()  # its terms known afresh, 25 hours on
        w.panel.inject("html502", count=1000, action="balance")  # a new episode
        w.tracker.clients["sim"]._witness_ok_until = 0.0  # a new process's: no witness yet
        assert _said(w, "cancel_not_sent") == [("warning", None, False)]
        assert _said(w, "cancel_not_sent") == [("info", None, True)]
    finally:
        RefusingCancelPanel.words = "Cancel is not possible now"


@pytest.mark.usefixtures("quick_backoff")  # what is told, not the wait
@pytest.mark.parametrize("fault", ["challenge", "429"])
def test_a_reorders_add_given_up_run_after_run_is_warned_of_by_the_first_run(
    world, clock, monkeypatch, fault
):
    # cron's `run --once` at warning, each run a new process: the re-order's
    # add answered by a bot check (or HTTP 429) at every attempt of every run.
    # The 429 asks for no wait (Retry-After: 0): its tries go at the backoff's
    # 10 ms, not a second each (8 s in all); it is still retried and given up.
    w = world(automation=REORDER.replace("daily_cap = 1.0", "daily_cap = 100.0"), retry_after=0)
    w.path.write_text(w.path.read_text().replace("retries = 0", "retries = 2"))
    w.sync_services()
    first = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    w.panel.inject(fault, count=1000, action="add")
    monkeypatch.setattr("tracker.cli.run.utcnow", clock)  # the run's "now": the world's

    def mailed() -> list[str]:
        """One run: its panel_retry and reorder_not_sent lines at warning."""
        ran = w.cli("--log-level", "warning", "run", "--once")
        w.clock.advance(STEP)
        lines = ran.stderr.splitlines()
        return [
            e for line in lines for e in ("panel_retry", "reorder_not_sent") if f" {e} " in line
        ]

    told = mailed()
    assert told.count("reorder_not_sent") == 1 and "panel_retry" in told  # the first run
    # Before: the add's panel_retry (attempt=3, gave_up) at warning in every run.
    assert mailed() == []
    assert mailed() == []
    assert w.panel.calls["add"] >= 9  # asked at each run: no add placed
    w.panel.clear_faults()
    assert mailed() == []  # placed: the episode over
    second = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    w.panel.inject(fault, count=1000, action="add")  # a new episode: told again
    told = mailed()
    assert told.count("reorder_not_sent") == 1 and "panel_retry" in told
    assert first != second
