"""What a refill round says at every round while nothing new happened,
told at warning once per episode, not once a round.

A probe command failing for an order (``probe_failed``) is run again at
every refill round (a failed run is no measurement): the daemon and every
`run --once` from cron warned again, for the same order in the same words,
a mail a round. The first round warns and marks it in ``alert_state``; the
rounds after it say it at info with ``warned_at``; another order, other
words, or the order's probe succeeding once (the episode over) are told at
warning again.

So did ``refill_status_left_out`` of a panel whose multi ``refill_status``
answers leave out the same refills at every round (asked alone then) while
they stay open: other refills left out are a new fact; a round whose multi
answers name every refill ends the episode. And ``multi_refill_refused`` of
multi refill calls refused in the same words (an order in them provoking
it) at every round their orders are due again, a day apart: other words
are a new fact; a multi refill call answered ends the episode.
"""

from __future__ import annotations

import threading

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import DAY, WordyRefillStatusPanel, probe_files
from structlog.testing import capture_logs

from tracker.jobs.reach import Reach
from tracker.sim.faults import before_reply
from tracker.sim.orders import SimRefusal
from tracker.sim.server import SERVICE_FOLLOWERS, SimulatedPanel

pytestmark = pytest.mark.usefixtures("fresh_logs")  # its lines read from structlog

ROUND = 1800.0  # [schedule] refill_every: 30 minutes


def _said(w, event: str) -> list[tuple[str, int | None, bool]]:
    """Run one refill round; return its ``event`` lines: (level, order,
    whether it says when it was warned of)."""
    w.clock.advance(ROUND)
    with capture_logs() as logs:
        w.round()
    return [(e["log_level"], e.get("order"), "warned_at" in e) for e in logs if e["event"] == event]


def test_a_probe_failing_round_after_round_is_warned_of_once(world, tmp_path, monkeypatch):
    probe, counts = probe_files(tmp_path, monkeypatch)
    w = world(refill=f'detect = "command"\ncommand = "{probe}"\nprobe_every = "6h"')
    assert w.sync_services()
    steady = w.order(SERVICE_FOLLOWERS)  # measured, never dropped
    unmeasured = w.order(SERVICE_FOLLOWERS)  # the probe fails for it
    w.poll()
    w.clock.advance(DAY)  # eligible from +24 h
    counts.write_text(f"{w.link(steady)} {w.panel.current_count(steady)}\n")
    assert _said(w, "probe_failed") == [("warning", unmeasured, False)]
    # Before: the same warning at every round, a mail a run.
    assert _said(w, "probe_failed") == [("info", unmeasured, True)]
    assert _said(w, "probe_failed") == [("info", unmeasured, True)]
    counts.write_text(f"{w.link(unmeasured)} {w.panel.current_count(unmeasured)}\n")
    assert _said(w, "probe_failed") == []  # measured: the episode over
    marks = "SELECT kind FROM alert_state WHERE kind GLOB 'probe_failed#*'"
    assert w.store.rows(marks) == []
    w.clock.advance(DAY)  # steady due again (probe_every), its link gone: a new fact
    counts.write_text("")
    assert _said(w, "probe_failed") == [("warning", steady, False), ("warning", unmeasured, False)]
    assert _said(w, "probe_failed") == [("info", steady, True), ("info", unmeasured, True)]


class LeavingOutPanel(WordyRefillStatusPanel):
    """Every refill In progress; each multi ``refill_status`` answer leaves
    out the refills of ``left_out`` (asked alone, they answer)."""

    word = "In progress"
    left_out: set[str] = set()

    def _refill_status(self, form, now):
        answer = super()._refill_status(form, now)
        if "refills" not in form:
            return answer
        return [item for item in answer if str(item["refill"]) not in self.left_out]


def test_refills_left_out_round_after_round_are_warned_of_once(world):
    w = world(panel_class=LeavingOutPanel)
    orders = w.dropped(3)
    w.round()  # the refills requested, Pending
    first, second, _ = (str(w.requests(order)[0]["refill_id"]) for order in orders)
    LeavingOutPanel.left_out = {first}
    try:
        assert _said(w, "refill_status_left_out") == [("warning", None, False)]
        # Before: the same warning at every round, a mail a run.
        assert _said(w, "refill_status_left_out") == [("info", None, True)]
        assert _said(w, "refill_status_left_out") == [("info", None, True)]
        LeavingOutPanel.left_out = {first, second}  # another refill left out: a new fact
        assert _said(w, "refill_status_left_out") == [("warning", None, False)]
        LeavingOutPanel.left_out = set()  # every refill named: the episode over
        assert _said(w, "refill_status_left_out") == []
        marks = "SELECT kind FROM alert_state WHERE kind GLOB 'refill_status_left_out#*'"
        assert w.store.rows(marks) == []
        LeavingOutPanel.left_out = {first}  # left out afresh: warned again
        assert _said(w, "refill_status_left_out") == [("warning", None, False)]
        assert _said(w, "refill_status_left_out") == [("info", None, True)]
    finally:
        LeavingOutPanel.left_out = set()


class RefusingOnePanel(SimulatedPanel):
    """Refuses a multi refill call naming ``bad`` (and ``bad`` alone) in
    ``words``: its multi calls refused, each order asked alone then."""

    bad: int | None = None
    words = "Incorrect order ID"

    def _refill(self, form, now):
        named = form.get("orders", form.get("order", "")).split(",")
        if str(self.bad) in named:
            raise SimRefusal(self.words)
        return super()._refill(form, now)


def _requested(w) -> list[tuple[str, int | None, bool]]:
    """A day on (the cooldown over): one refill round's multi_refill_refused lines."""
    w.clock.advance(DAY - ROUND)
    return _said(w, "multi_refill_refused")


def test_a_multi_refill_refused_day_after_day_is_warned_of_once(world):
    w = world(panel_class=RefusingOnePanel)
    orders = w.dropped(3)
    RefusingOnePanel.bad = orders[1]
    try:
        assert _requested(w) == [("warning", None, False)]
        # Before: the same warning at every round its orders were due again.
        assert _requested(w) == [("info", None, True)]
        assert _requested(w) == [("info", None, True)]
        RefusingOnePanel.words = "Order is not eligible"  # other words: a new fact
        assert _requested(w) == [("warning", None, False)]
        RefusingOnePanel.bad = None  # a multi call answered: the episode over
        assert _requested(w) == []
        marks = "SELECT kind FROM alert_state WHERE kind GLOB 'multi_refill_refused#*'"
        assert w.store.rows(marks) == []
        for order in orders:
            w.panel.drop(order, 30)  # dropped again: due again
        RefusingOnePanel.bad = orders[1]  # refused afresh: warned again
        assert _requested(w) == [("warning", None, False)]
    finally:
        RefusingOnePanel.bad, RefusingOnePanel.words = None, "Incorrect order ID"


def _mailed(w, event: str) -> list[str]:
    """One refill round: the levels of its ``event`` lines at warning or above."""
    return [level for level, _o, _w in _said(w, event) if level in ("warning", "error")]


@pytest.mark.parametrize("fault", ["empty", "json500"])
def test_refill_status_calls_failing_round_after_round_are_told_once(world, fault):
    # A panel answering every refill_status call `{}` (or HTTP 500) while
    # its other calls answer: the refill job failed at every round, its
    # refill_status_failed at error every time, a mail a run under cron.
    w = world()
    w.dropped(2)
    w.round()  # the refills requested, Pending
    w.panel.inject(fault, count=1000, action="refill_status")
    assert _mailed(w, "refill_status_failed") == ["error"]
    # Before: at error again at every round.
    assert _mailed(w, "refill_status_failed") == []
    assert _mailed(w, "refill_status_failed") == []
    marks = "SELECT 1 FROM alert_state WHERE kind = 'refill_status_failed' AND since IS NOT NULL"
    assert len(w.store.rows(marks)) == 1  # kept across run --once runs
    w.panel.clear_faults()
    assert _mailed(w, "refill_status_failed") == []  # answered: the run of failures over
    assert w.store.rows(marks) == []
    w.dropped(1)
    w.round()  # another refill requested (the first ones done)
    w.panel.inject(fault, count=1000, action="refill_status")
    assert _mailed(w, "refill_status_failed") == ["error"]  # a new run of them: told


class BalanceAfterStatusPanel(SimulatedPanel):
    """While ``broken``, answers each balance call with an HTML 502 once the
    run's status call was answered and judged (``polled``: the run of failed
    calls begun after it, as a slow balance call's is)."""

    broken = False
    polled = threading.Event()

    def answer(self, form):
        if form.get("action") == "balance" and self.broken:
            self.polled.wait(timeout=10)  # a deadline: never hangs the test
            return before_reply("html502")
        return super().answer(form)


def _judged_polls(monkeypatch) -> None:
    """Set ``BalanceAfterStatusPanel.polled`` once a status call's answer was judged."""
    observe = Reach.observe

    def observed(self, panel, action, ok, *args):
        observe(self, panel, action, ok, *args)
        if action == "status" and ok:
            BalanceAfterStatusPanel.polled.set()

    monkeypatch.setattr(Reach, "observe", observed)


def test_a_refill_round_held_run_after_run_by_the_same_calls_is_warned_of_once(
    world, clock, monkeypatch
):
    # cron's `run --once --due` at warning, each run a new process: the
    # panel's balance calls fail while it answers the others, its status
    # calls first; each run's refill round is held by the balance call.
    every = 'status_every = "1m"\nstatus_max_every = "1m"\nservices_every = "1h"\n'
    w = world(
        schedule=every + 'balance_every = "1m"\nrefill_every = "1m"',
        panel_class=BalanceAfterStatusPanel,
    )
    w.dropped(1)  # an order due a refill
    w.order(SERVICE_FOLLOWERS, "In progress")  # polled at every run
    monkeypatch.setattr("tracker.cli.run.utcnow", clock)  # the run's "now": the world's
    _judged_polls(monkeypatch)

    def mailed() -> list[str]:
        """One run a minute on: its refill_round_held lines at warning."""
        w.clock.advance(61.0)  # cron's minute: the poll, balance and refill jobs due
        BalanceAfterStatusPanel.polled.clear()
        ran = w.cli("--log-level", "warning", "run", "--once", "--due")
        return [e for e in ran.stderr.split() if e == "refill_round_held"]

    try:
        assert mailed() == []  # every job run: the catalogue's not due again for an hour
        BalanceAfterStatusPanel.broken = True
        assert mailed() == ["refill_round_held"]
        # Before: warned again at every run, each run's failures begun anew.
        assert mailed() == []
        assert mailed() == []
        BalanceAfterStatusPanel.broken = False
        assert mailed() == []  # the round ran: the hold over
        BalanceAfterStatusPanel.broken = True
        assert mailed() == ["refill_round_held"]  # held afresh: warned again
    finally:
        BalanceAfterStatusPanel.broken = False


@pytest.mark.parametrize("fault", ["challenge", "429"])
def test_refill_calls_not_sent_round_after_round_are_told_once(world, fault):
    # A bot check (or HTTP 429) answering every refill call while the panel
    # answers its other calls: certainly not sent, asked again at every
    # round, refill_request_failed at error every time, a mail a run.
    # The 429 asks for no wait (Retry-After: 0): the panel held for none, not
    # a second after each (3 s in all); still a 429, the call not sent.
    w = world(retry_after=0)
    w.dropped(2)
    w.panel.inject(fault, count=1000, action="refill")
    assert _mailed(w, "refill_request_failed") == ["error"]
    # Before: at error again at every round.
    assert _mailed(w, "refill_request_failed") == []
    assert _mailed(w, "refill_request_failed") == []
    w.panel.clear_faults()
    assert _mailed(w, "refill_request_failed") == []  # sent: the run of failures over
    assert len(w.changes) >= 2  # both requested
    w.dropped(1)
    w.panel.inject(fault, count=1000, action="refill")
    assert _mailed(w, "refill_request_failed") == ["error"]  # a new run of them: told
