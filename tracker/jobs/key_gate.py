"""A panel's key refused and accepted again: the pause of its jobs and the
``auth_failed`` episode, for :class:`tracker.jobs.watch.Watch` (a mixin of it).

The job kind whose refusal came last must take the key again to end the
episode (a key refused to ``status`` alone stays one ``auth_failed`` while
the balance probe resumes the jobs); the alert's data names it
(``refused_by``). A ``run --once`` under cron is a new process each minute,
knowing no refusal of its own: the balance probe ends an episode an earlier
run left open, and ``--due`` runs it at every run while the episode is open
(``carried.paused``, read at its start), so a key fixed is ``auth_recovered`` at
the next run.

A panel whose rows of what was learned were learned with another key
(``Core.rekeyed``: the key changed under cron, or across a restart) keeps
them while its key is not answered, so a key mistyped forgets nothing;
the first answer to its key forgets them (:meth:`KeyGate.key_proven`), and
until then its balance job asks ``balance`` (:meth:`KeyGate.key_unproven`).
"""

from __future__ import annotations

import threading
from collections import Counter

import structlog

from tracker.alerts.alerter import Alerter
from tracker.clock import Clock
from tracker.config.model import Config
from tracker.errors import StoreError
from tracker.jobs.base import Core
from tracker.jobs.carried import Carried
from tracker.jobs.learned import forget_proven
from tracker.jobs.reach import Reach
from tracker.rules.alerts import AUTH_FAILED, AUTH_RECOVERED, rough_duration
from tracker.rules.capabilities import BALANCE
from tracker.rules.episodes import Alert, Episode
from tracker.rules.not_answering import daemon_key_fix, key_place
from tracker.rules.reach_episodes import judge_auth, key_refused_message
from tracker.store.capabilities import is_unsupported

log = structlog.get_logger("tracker.watch")


class KeyGate:
    """The key's part of a Watch: which panels are paused, and why."""

    tracker: Core
    config: Config
    clock: Clock
    alerter: Alerter
    paused: set[str]
    _lock: threading.RLock
    _retired: bool
    carried: Carried  # what an earlier `run --once` told: its pauses
    reach: Reach  # each panel's run of failed calls, its actions' counts
    # panel -> the job kind whose refusal of the key came last ("status",
    # "balance"...): what must take the key again to end the episode.
    _refused_by: dict[str, str]
    # The jobs ("status:main") whose runs the key was refused to in this
    # process, and how many times: `run --once`'s summary names them with
    # those the pause skipped; a run it was refused to counts as paused.
    refused_jobs: Counter[str]

    def auth_refused(self, panel: str, error: str, *, by: str = "balance") -> None:
        """The panel refused the key to job kind ``by``: pause its jobs; alert
        once per episode. A run of a reload's retired generation does
        neither: the reload may have fixed the key (an ``auth_failed``, then
        ``auth_recovered`` a moment later), and its jobs are no longer run."""
        error = error.removeprefix(f"{panel}: ")
        with self._lock:
            self._refused_by[panel] = by
            self.refused_jobs[f"{by}:{panel}"] += 1
            if self._retired:  # a reload's old generation: it pauses nothing, and the
                return  # new one asks the key again, alerting if it is still refused
            if panel not in self.paused:
                self.paused.add(panel)
                told = log.debug if panel in self.carried.paused else log.warning
                told("panel_paused", panel=panel, reason=error)

            def judge(episode: Episode) -> tuple[Episode, Alert | None]:
                after, kind = judge_auth(episode, True, self.clock())
                if kind is None:
                    return after, None
                resumes = None if self.tracker.once else self._resumes(panel)
                message = key_refused_message(panel, error, resumes, self._key_fix(panel))
                data = {"error": error, "refused_by": by}
                return after, Alert(AUTH_FAILED, message, panel=panel, data=data)

            self.alerter.update(panel, AUTH_FAILED, judge)

    def refused_now(self) -> frozenset[str]:
        """Return the panels paused now for a refused key (read from another
        thread: the metrics endpoint's)."""
        with self._lock:
            return frozenset(self.paused)

    def _key_fix(self, panel: str) -> str:
        """What has the daemon take ``panel``'s key fixed, in the words of
        ``auth_failed``: the key where the config sets it, then the restart
        or reload that fits what runs the daemon (``Core.unit_manager``), as
        ``doctor`` says it."""
        place = next(
            (
                key_place(index, p.key_field, p.key_source)
                for index, p in enumerate(self.config.panels)
                if p.name == panel and p.key_field
            ),
            None,
        )
        return daemon_key_fix(place, self.tracker.unit_manager)

    def _resumes(self, panel: str) -> str:
        """What resumes a paused panel, in the words of ``auth_failed``: its
        balance job's ``balance`` call, or a ``services`` call on a panel known
        to lack ``balance`` (:func:`tracker.jobs.balance.check_balance`)."""
        every = rough_duration(self.config.schedule.balance_every)
        try:
            url = self.tracker.clients[panel].panel.url
            lacks = is_unsupported(self.tracker.store, panel, BALANCE, url)
        except StoreError:  # not read: the usual probe's words
            lacks = False
        if lacks:
            return f"A services call every {every} (the panel has no balance action) resumes them"
        return f"A balance check every {every} resumes them"

    def key_unproven(self, panel: str) -> bool:
        """Whether what was learned of ``panel`` was learned with another key
        that its key has not been answered since (see the module)."""
        return panel in self.tracker.rekeyed

    def key_proven(self, panel: str) -> None:
        """The panel answered its key: what was learned with another key is
        forgotten (``capabilities_forgotten``), once."""
        with self._lock:
            if panel not in self.tracker.rekeyed:
                return
            self.tracker.rekeyed.discard(panel)
        forget_proven(self.tracker.store, self.tracker.clients[panel])

    def auth_accepted(self, panel: str, *, by: str = "balance") -> None:
        """Job kind ``by`` took the key: resume the panel's jobs; end the episode
        when ``by`` is the kind refused (a key refused to ``status`` alone stays
        one ``auth_failed`` while the balance probe resumes the jobs)."""
        self.key_proven(panel)
        with self._lock:
            if panel in self.paused:
                self.paused.discard(panel)
                log.info("panel_resumed", panel=panel)  # good news: info, as every end
            if self._refused_by.get(panel, by) != by:
                return  # the balance probe answered; the refused action has yet to
            self._refused_by.pop(panel, None)
            self.carried.paused.discard(panel)  # the episode ends: the next pause is told
            if (client := self.tracker.clients.get(panel)) is not None:
                client.key_refusal_told(False)  # and its refusal in unknown words

            recovered = False

            def judge(episode: Episode) -> tuple[Episode, Alert | None]:
                nonlocal recovered
                after, kind = judge_auth(episode, False, self.clock())
                if kind is None:
                    return after, None
                recovered = True
                message = f"{panel}: the API key is accepted again; the panel's jobs run again"
                return after, Alert(AUTH_RECOVERED, message, panel=panel)

            self.alerter.update(panel, AUTH_FAILED, judge)
            if recovered:  # a key fixed: the old key's failures count no more
                self.reach.forget_counts(panel)
