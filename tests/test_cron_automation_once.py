"""What the automation says at every round while the panel keeps refusing
its actions, told at warning once per episode, not once a run.

From cron (``--log-level warning run --once --due``) and in the daemon, each
automation round warned ``reorder_not_sent`` again for the same order in the
same words (a bot check answering every ``add``: the request never reached
the panel, tried again next run): a mail a run while nothing new happened.
The first round warns and marks it in ``alert_state``; the rounds after it
say it at info with ``warned_at``; other words, another order, or a round
whose adds reached the panel (the episode over) are told at warning again.
"""

from __future__ import annotations

from automation_kit import REORDER, run
from structlog.testing import capture_logs

from tracker.sim.server import SERVICE_FOLLOWERS

STEP = 600.0  # [automation] every: 10 minutes


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
