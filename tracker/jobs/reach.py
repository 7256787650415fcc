"""A panel's reachability, judged after every call, across reloads.

Part of :class:`tracker.jobs.watch.Watch`: ``panel_unreachable`` once every
call has failed for ``alerts.unreachable_after``, ``panel_recovered`` at the
first answer after it, and why a panel's refill round waits meanwhile
(:func:`tracker.rules.refill_rounds.held_by`). A reload (SIGHUP) hands the run of
failures to the new generation (:meth:`Reach.take_over`), which also judges
the old one's calls still in flight: a reload neither restarts the count
(reloads more often than ``unreachable_after`` kept a dead panel from ever
alerting) nor lets a refill round into a panel whose calls are failing.

It also keeps when the panel's first failed status call since its last
answer to one began: where a poll's ``status_failing`` run counts from
(:meth:`poll_ended`), not from the poll's end, after its retries. A call the
reload's stop cut, its answer awaited (:meth:`cut`), is no failure; but when
the panel's next call fails too, the run counts from the cut call's start
(the cut poll was judged by no generation: the run began a poll late). A
panel moved (another URL) carries none of it: its runs (of failed polls,
of failed calls) begin anew there, the old URL's calls still in flight
judged by none; an alert already open stays open until a call works.

Under ``run --once`` each action's count of runs of failures it failed in
(what makes it broken, :func:`tracker.rules.refill_rounds.held_by`) is
carried across runs: read at the run's start (:meth:`carry_counts`),
stored after each job's run where it changed (:meth:`store_counts`), never
on a call's path. The daemon keeps them in memory, as before. A key
accepted again after ``auth_failed`` begins them anew (:meth:`forget_counts`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import structlog

from tracker.alerts.alerter import Alerter
from tracker.clock import Clock
from tracker.jobs.late_checks import LATE_CALL
from tracker.jobs.reach_counts import KeptCounts
from tracker.jobs.steps import Looks, Ticks
from tracker.rules.alerts import PANEL_UNREACHABLE
from tracker.rules.clocksteps import Gap, call_began
from tracker.rules.episodes import Alert, Episode
from tracker.rules.reach_episodes import Reachability, judge_call, panel_blind
from tracker.rules.reachability import reachable_alert, unreachable_alert
from tracker.rules.refill_rounds import failed_runs, held_by
from tracker.store.orders import Store

log = structlog.get_logger("tracker.watch")


class Reach(KeptCounts):
    """Given the clocks (the boot clock: None, or returning None, where
    there is none), the alerter and ``alerts.unreachable_after`` (seconds),
    follow each panel's run of failed calls."""

    def __init__(
        self,
        clock: Clock,
        monotonic: Ticks,
        alerter: Alerter,
        unreachable_after: float,
        boottime: Ticks | None = None,
        stopping: threading.Event | None = None,
    ):
        self.alerter, self.after_s = alerter, unreachable_after
        # Set by a stop (a reload's too: then the heir, not set, judges): a
        # call failed after it is the stop's, never the panel's (see _observe).
        self.stopping = stopping or threading.Event()
        # The wall clock's steps and sleeps, per key ("call:p"; the Watch's
        # "poll:p", the balance job's "balance:p").
        self.looks = Looks(clock, monotonic, boottime)
        self._failing: dict[str, datetime | None] = {}  # panel -> its run's first failure
        self._failed_actions: dict[str, list[str]] = {}  # panel -> the actions failed in its run
        # panel -> action -> runs of failures in a row it failed in (see held_by)
        self._runs: dict[str, dict[str, int]] = {}
        # run --once: where the counts are kept (carry_counts), and the
        # (panel, action) whose count changed since they were last stored.
        self.clock, self._unsaved = clock, set[tuple[str, str]]()
        self._kept_in: Store | None = None
        self._urls: Mapping[str, str] = {}  # the panels' URLs the counts are kept at
        self._saving = threading.Lock()  # one job's thread stores at a time
        # panel -> the clock's gaps while its episode was open (asleep, set)
        self._skipped: dict[str, Gap] = {}
        # panel -> the monotonic clock at its last answer: a run of failures
        # begins after it, also one whose first call began before it.
        self._answered: dict[str, float | None] = {}
        # panel -> the monotonic clock when its first failed status call since
        # its last status answer began, and at that answer (see poll_ended).
        self._status_failed: dict[str, float] = {}
        self._status_answered: dict[str, float | None] = {}
        # panel -> the monotonic clock when a call (a status call) a stop cut
        # began, no answer since (see cut); the panels a reload moved (another
        # URL) whose first poll (first call) there is not judged yet.
        self._cut: dict[str, float] = {}
        self._status_cut: dict[str, float] = {}
        self._moved, self._calls_anew, self._monotonic = set[str](), set[str](), monotonic
        self._moved_here = frozenset[str]()  # moved by the reload that made it: see _observe
        # Set at a reload: it judges from then on. Weak: the daemon holds its
        # first generation for life, which would hold every later one through it.
        self._successor: weakref.ref[Reach] | None = None
        self._lock = threading.RLock()

    def take_over(
        self, previous: Reach, panels: Collection[str] | None = None, moved: Collection[str] = ()
    ) -> None:
        """At a reload, carry on ``previous``'s runs of failures (of ``panels``
        only, when given: a panel the config dropped, added again days later,
        is no panel failing for days), its actions' counts but those of the
        ``moved`` panels (another URL: counted there anew); its calls still
        in flight are judged here from now on."""
        with previous._lock:
            # The clock's last look per panel too: a wall-clock step (a VM
            # resumed) before a call the old generation made is still seen.
            self.looks = previous.looks
            kept = set(panels) if panels is not None else None
            for panel, since in previous._failing.items():
                if kept is None or panel in kept:
                    self._failing[panel] = since
            for panel, actions in previous._failed_actions.items():
                if kept is None or panel in kept:
                    self._failed_actions[panel] = actions
            for panel, runs in previous._runs.items():
                if (kept is None or panel in kept) and panel not in moved:
                    self._runs[panel] = runs
            for panel, skipped in previous._skipped.items():
                if kept is None or panel in kept:
                    self._skipped[panel] = skipped
            ticks: list[tuple[dict[str, Any], dict[str, Any]]] = [
                (self._answered, previous._answered),
                (self._status_failed, previous._status_failed),  # a poll in flight's
                (self._status_answered, previous._status_answered),
                (self._cut, previous._cut),  # cut by an earlier reload, no answer since
                (self._status_cut, previous._status_cut),
            ]
            for mine, theirs in ticks:
                mine.update((p, v) for p, v in theirs.items() if kept is None or p in kept)
            self._moved = {p for p in previous._moved if kept is None or p in kept} | set(moved)
            self._moved_here = frozenset(moved)  # what its predecessor's calls were not at
            self._calls_anew = {p for p in previous._calls_anew if kept is None or p in kept}
            self._calls_anew |= set(moved)
            gone: tuple[dict[str, Any], ...] = (self._status_failed, self._cut, self._status_cut)
            for panel in moved:  # another URL: no call at the old one counts there
                for mine in (*gone, self._failing, self._failed_actions, self._skipped):
                    mine.pop(panel, None)
            previous._successor = weakref.ref(self)

    def held(self, panel: str) -> str | None:
        """Why the panel's refill round waits (its calls failing), or None."""
        with self._lock:
            if self._successor is not None:  # retired: none once its heir is gone too
                heir = self._successor()
                return heir.held(panel) if heir is not None else None
            since, failed = self._failing.get(panel), self._failed_actions.get(panel)
            runs = self._runs.get(panel)
        unreachable = panel_blind([self.alerter.episode(panel, PANEL_UNREACHABLE)])
        return held_by(since, failed, unreachable, runs)

    def _status_call(
        self,
        panel: str,
        answered: bool,
        now: datetime,
        tick: float | None,
        s: float,
        stepped_at: float | None,
    ) -> None:
        """A status call ended: answered (a rate limit's refusal is not: its
        orders stay unchecked), or failed, its start kept when the first of a run
        (its end when the clock stepped during it)."""
        if tick is None:
            return
        cut = self._status_cut.pop(panel, None)  # a status call cut before it
        if answered:
            self._status_answered[panel] = tick
            self._status_failed.pop(panel, None)
            return
        whole = call_began(now, tick, s, stepped_at, None) is not None
        start = tick - max(0.0, s) if whole else tick
        if cut is not None and (stepped_at is None or stepped_at <= cut):
            start = min(start, cut)  # unanswered since: the run's start
        self._status_failed[panel] = min(self._status_failed.get(panel, start), start)

    def cut(self, panel: str, action: str, s: float) -> None:
        """Client cut observer: a call of ``s`` seconds a stop cut, its answer
        awaited (a reload's stop: the heir keeps it). No failure, no answer:
        the panel's next failed call (status call) counts from its start."""
        with self._lock:
            if self._successor is not None:  # retired by a reload: its heir's, not moved
                if (heir := self._successor()) is not None and panel not in heir._moved_here:
                    heir.cut(panel, action, s)
                return
            if (tick := self._monotonic()) is None or LATE_CALL.get():
                return
            for cuts in (self._cut, self._status_cut) if action == "status" else (self._cut,):
                cuts[panel] = min(cuts.get(panel, tick - s), tick - s)

    def begins_anew(self, panel: str) -> bool:
        """Whether ``panel`` moved (another URL) at a reload since its last
        judged poll: a run of failed polls counted at the old URL is not its."""
        with self._lock:
            if self._successor is not None and (heir := self._successor()) is not None:
                return heir.begins_anew(panel)
            moved = panel in self._moved
            self._moved.discard(panel)
            return moved

    def poll_ended(self, panel: str, failed: bool) -> tuple[datetime, Gap, datetime | None]:
        """A poll of ``panel`` ended, ``failed`` (orders left unchecked) or
        not: return now, the clock's gap since its last poll, and when its
        first failed status call began (None: none failed, or not known),
        never before the panel's last answer to a status call nor across a
        clock step or sleep seen since (:func:`~tracker.rules.clocksteps.call_began`).
        A poll that checked every order ends the run: no later one counts
        from a status call failed before it."""
        with self._lock:
            if self._successor is not None:  # retired by a reload
                heir = self._successor()
                if heir is not None:
                    return heir.poll_ended(panel, failed)
            now, step, tick, stepped_at = self.looks.ended(f"poll:{panel}")
            first = self._status_failed.get(panel) if failed else None
            if not failed:
                self._status_failed.pop(panel, None)
            if first is None or tick is None:
                return now, step, None
            answered = self._status_answered.get(panel)
            return now, step, call_began(now, tick, tick - first, stepped_at, answered)

    def observe(self, panel: str, action: str, ok: bool, s: float, error: str | None) -> None:
        """Client call observer: judge the panel's reachability after every call,
        its retries included (an attempt its retry answered is no failure),
        ``s`` the whole call's seconds: a run of failures counts from when
        its first failed call began, not from when its retries gave up.
        A late check's failed call (LATE_CALL) is left out: a failure of one is
        never the panel's (:mod:`tracker.jobs.late_checks`); so is a call
        failed once the tracker stops (``stopping``): the stop's."""
        if LATE_CALL.get() and not (ok and error is None):
            return
        try:
            self._observe(panel, action, ok, s, error)
        except Exception:  # an alerting bug must never fail a panel call
            log.exception("reachability_failed", panel=panel)

    def _observe(self, panel: str, action: str, ok: bool, s: float, error: str | None) -> None:
        """As :meth:`observe`. A call at the panel's URL before a reload moved
        it is judged by none: no run at the new URL begins with it."""
        with self._lock:
            if self._successor is not None:  # retired by a reload
                heir = self._successor()
                if heir is None:
                    return None
                if panel in heir._moved_here:  # the old URL's call: judged by none
                    return None
                return heir._observe(panel, action, ok, s, error)
            if not ok and self.stopping.is_set():
                # The tracker stops (SIGTERM): a call on the wire that ends
                # failed now (a drip to its deadline, its retry cut short) says
                # nothing of the panel: no panel_unreachable as it goes down.
                return None
            # Now, the clock's gap since the panel's last call, and the
            # monotonic clock now and at the last gap seen (for call_began).
            now, step, tick, stepped_at = self.looks.ended(f"call:{panel}")
            anew = panel in self._calls_anew  # its first call since it moved
            self._calls_anew.discard(panel)
            if ok:
                self._answered[panel] = tick
            cut = self._cut.pop(panel, None)  # a call cut before it: unanswered since
            longer = s if ok or cut is None or tick is None else max(s, tick - cut)
            began = call_began(now, tick, longer, stepped_at, self._answered.get(panel))
            if action == "status":
                self._status_call(panel, ok and error is None, now, tick, s, stepped_at)
            run = self._failed_actions.get(panel, []) if self._failing.get(panel) else []
            before = self._runs.get(panel, {})
            self._runs[panel] = after = failed_runs(before, action, ok, action in run)
            if self._kept_in is not None and after != before:  # not a call's: a run's
                self._unsaved.add((panel, action))
            if ok or action not in run:  # a run names each action once: bounded
                self._failed_actions[panel] = [] if ok else [*run, action]

            def judge(episode: Episode) -> tuple[Episode, Alert | None]:
                state = Reachability(
                    self._failing.get(panel), episode, self._skipped.get(panel, Gap())
                )
                new, kind = judge_call(
                    state, ok, now, self.after_s, step=step, began=began, anew=anew
                )
                self._failing[panel], self._skipped[panel] = new.failing_since, new.skipped
                if kind is None:
                    return new.episode, None
                if kind == PANEL_UNREACHABLE:  # the last error quoted: see rules/reachability
                    alert = unreachable_alert(panel, new.episode.since or now, now, action, error)
                else:
                    skipped = state.skipped + step  # a sleep just before this answer too
                    alert = reachable_alert(panel, episode.since or now, now, skipped)
                return new.episode, alert

            self.alerter.update(panel, PANEL_UNREACHABLE, judge)
