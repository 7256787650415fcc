"""``smm-tracker run`` as a service: generations, reload, metrics.

:mod:`tracker.cli.run` parses the options and holds the database lock; this
module wires the daemon loop (:mod:`tracker.service.mainloop`) to systemd
(:mod:`tracker.service.notify`, through :mod:`tracker.service.heartbeat`) and
to the optional metrics endpoint; the first generation waits for a database
it cannot write (:mod:`tracker.service.startup`).

Reload (SIGHUP) re-reads the config and rebuilds the Tracker and its jobs. A
config that fails validation, or that moves the database or the metrics
endpoint (those need a restart), is logged and the running one kept.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

import structlog

from tracker.alerts.alerter import Sink, raise_alert
from tracker.config.model import Config
from tracker.errors import ConfigError, StoreError, TrackerError
from tracker.jobs.prune import prune_jobs
from tracker.jobs.tracker import Tracker
from tracker.jobs.watch import Watch
from tracker.rules.episodes import Alert
from tracker.rules.reloads import (
    reload_blockers,
    reload_failed_alert,
    reload_problems,
    reloaded_alert,
    summarize_problems,
)
from tracker.rules.unit_runs import running_manager
from tracker.service.callstats import CallCounters
from tracker.service.daemon import Generation, JobStats
from tracker.service.daemon_unit import read_cgroup
from tracker.service.doctor_unit import installed_manager
from tracker.service.handover import anew_panels, rekeyed_probes, rethresholded_probes
from tracker.service.heartbeat import Heartbeat
from tracker.service.lock import DatabaseLock
from tracker.service.mainloop import serve
from tracker.service.metrics import Snapshot, build_registry, take_snapshot
from tracker.service.metrics_http import MetricsServer
from tracker.service.notify import STATUS_EVERY, Notifier
from tracker.service.once import stop_bound
from tracker.service.runs import select_jobs
from tracker.service.startup import Startup
from tracker.signals import Signals
from tracker.store.identity import (
    created_alert,
    keep_orphaned_wal,
    orphaned_words,
    replaced_message,
)
from tracker.store.orders import Store
from tracker.store.orphans import kept_name, tell_orphans

log = structlog.get_logger("tracker.service")

STORE_REPLACED = "store_replaced"
CGROUP = Path("/proc/self/cgroup")  # the unit whose cgroup the daemon runs in


def running_unit(env: Mapping[str, str]) -> str:
    """Given the environment, return what restarts or reloads this daemon
    (:func:`tracker.rules.unit_runs.running_manager`): the manager of the
    smm-tracker.service running it, or of the other unit that does (an
    instance of a template, ``smm-tracker@shop2.service``, a renamed copy:
    named), or none, by its cgroup and the unit files installed."""
    cgroup = read_cgroup(CGROUP)  # None: not Linux, no /proc: $INVOCATION_ID tells
    return running_manager(cgroup, env.get("INVOCATION_ID", ""), installed_manager(env))


class Service(Startup, Heartbeat):
    """Given a validated config, run the daemon until SIGTERM/SIGINT.

    ``load`` re-reads the config on SIGHUP; ``panel`` keeps ``run --panel``;
    ``metrics``: its endpoint, listening already
    (:func:`~tracker.service.metrics_http.listen_first`), else
    made listening at :meth:`run`'s start, before the database is opened.
    """

    def __init__(
        self,
        config: Config,
        *,
        load: Callable[[], Config],
        notifier: Notifier,
        panel: str | None = None,
        lock: DatabaseLock | None = None,
        signals: Signals | None = None,
        metrics: MetricsServer | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.config = config
        self.load = load
        self.notifier = notifier
        self.panel = panel
        self.lock, self.signals = lock, signals  # signals: caught while `run` started
        self.metrics = metrics  # the endpoint `run` listens on before the lock (not served yet)
        self.clock = clock
        self.monotonic = monotonic  # waits: a wall clock set back must not stretch them
        self.stats = JobStats()
        self.calls = CallCounters()  # outlive reloads: counters never go back
        self.stats.observers.append(self.calls.observe_job)
        self.sleep = sleep
        self.note = ""  # shown in STATUS= while the last reload failed
        self._reader: Store | None = None
        self._stalled = False
        self.failure: str | None = None  # why the daemon stopped itself
        self._orphan: tuple[Path, tuple[int, int] | None] | None = None  # its -wal kept there
        self._sink: Sink | None = None  # the current generation's alert sink
        self._watch: Watch | None = None  # the current generation's (store outage, failing panels)
        # What runs the daemon, looked for again at each reload (_build): what
        # its auth_failed says restarts or reloads it (the systemctl of the
        # unit running it; none: `smm-tracker run` where it runs).
        self.unit_manager = running_unit(os.environ)

    def run(self) -> bool:
        """Serve until stopped. Raise TrackerError if the service cannot start.

        Return False when jobs were still running past the stop bound
        (:meth:`stop_bound`): the caller exits at once rather than wait.
        """
        signals = Signals() if self.signals is None else self.signals
        signals.install()  # before migrations: a SIGTERM then is honoured, not fatal
        metrics = self.metrics
        if metrics is None and self.config.metrics.enabled:  # not listening yet: before
            listen = self.config.metrics  # the database is opened, a refusal makes nothing
            metrics = MetricsServer(listen.host, listen.port)
        try:
            return self._serve(signals, metrics)
        finally:
            self._close(metrics)
            if self.failure is not None:  # every connection closed: a moved file's -wal kept
                path, orphan = self.config.database.path, self._orphan
                raise StoreError(
                    self.failure + (keep_orphaned_wal(path, *orphan) if orphan else "")
                )

    def _serve(self, signals: Signals, metrics: MetricsServer | None) -> bool:
        first = self._build_when_writable(signals)
        if first is None:
            return True  # stopped while waiting for the database
        if signals.stop:  # during the migrations: every job's run is skipped, nothing is sent
            first.stop_event.set()
        try:
            database = self.config.database
            self._reader = Store(database.path, busy_timeout=database.busy_timeout, migrate=False)
            if metrics is not None:  # listening since the start: served from now on
                metrics.serve(build_registry(self._snapshot))
        except BaseException:
            first.close()
            raise
        every = self.notifier.watchdog_every
        return serve(
            first,
            signals,
            stats=self.stats,
            on_ready=self._ready,
            reload=self._reload,
            on_stopping=self._stopping,
            heartbeat=self._heartbeat if self.notifier.enabled else None,
            heartbeat_every=min(every, STATUS_EVERY) if every else STATUS_EVERY,
            stop_bound=self.stop_bound(),
            check=self._database_gone,
        )

    def _snapshot(self) -> Snapshot:
        """One scrape's numbers (from the metrics endpoint's thread): the
        configured panels', those paused now for a refused key among them,
        whether the last reload failed and whether writes fail now."""
        watch = self._watch
        paused = watch.refused_now() if watch is not None else frozenset[str]()
        names = [p.name for p in self.config.panels]
        failed = bool(self.note)  # set by a failed reload, cleared by a good one
        unwritable = watch is not None and bool(watch.store_health.health.failing)
        return take_snapshot(
            self._reader, self.calls, self.stats, names, paused, failed, unwritable
        )

    def _close(self, metrics: MetricsServer | None) -> None:
        if metrics is not None:
            metrics.stop()
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _build(self, config: Config) -> Generation:
        tracker = Tracker(config)  # opens the store: migrations run here
        if self.lock is not None:
            self.lock.opened()  # its lock file stays: a tracker ran on this database
        if self._watch is not None:  # a reload: a unit installed or removed since
            self.unit_manager = running_unit(os.environ)
        tracker.unit_manager = self.unit_manager  # auth_failed's restart or reload
        try:
            self._sink = tracker.watch.sink
            for client in tracker.clients.values():
                client.observers.append(self.calls.observe)
                client.observers.append(self._progress)
            tracker.poll_listeners.append(self.calls.observe_poll)  # its late checks
            jobs = select_jobs(tracker, config, self.panel)  # what `run --once` runs, and:
            jobs += prune_jobs(
                config, tracker.stop_event, tracker.clock, self.panel, self.stats.touch,
                (tracker.monotonic, tracker.boottime),  # the clock's steps hold its cutoffs back
            )  # fmt: skip
            tracker.warn_unconfigured()  # at start and at each reload: never silent
            probes = anew = frozenset[str]()  # a refused key, a threshold changed: a probe now
            if (old := self._watch) is not None:  # a reload: an outage, a failing panel go on
                probes = rekeyed_probes(self.config, config, old)
                probes |= rethresholded_probes(self.config, config)
                anew = anew_panels(self.config, config, tracker)  # a new url or key
                tracker.watch.take_over(old)
            if old is None:  # the start: a -wal kept aside beside it, at warning once
                tell_orphans(config.database.path, tracker.store, tracker.clock())
            if old is None and self.lock is not None and self.lock.database_gone:
                tracker.watch.alerter.raise_alert(created_alert(config.database.path))
            tracker.watch.keep_run_urls(start=old is None)  # a restart's move: runs anew
            self._watch = tracker.watch
        except BaseException:
            tracker.close()
            raise
        bound, hurry = stop_bound(config), threading.Event()  # hurry: see Retired
        close = partial(tracker.close, hurry)
        return Generation(
            jobs, tracker.stop_event, close, bound, anew, probes, tracker.abandon, hurry
        )

    # --- bounds ------------------------------------------------------------------

    def stop_bound(self) -> float:
        """Seconds a stop may take (:func:`tracker.service.once.stop_bound`)."""
        return stop_bound(self.config)

    def _database_gone(self) -> bool:
        """Return True (after an error line and an alert) when the database file
        was deleted or replaced under the daemon: stopping, with a non-zero exit,
        lets systemd restart it on the file that is there now."""
        reason = self._reader.replaced() if self._reader is not None else None
        if reason is None and self.lock is not None and (taken := self.lock.kept()):
            log.critical("lock_taken", path=str(self.lock.path), reason=taken)
            self.failure = f"another smm-tracker run is using the database: {taken}"
            return True
        if reason is None:
            return False
        path = self.config.database.path
        message = said = replaced_message(path, reason)
        data: dict[str, object] = {"database": str(path)}
        if reason in ("deleted", "replaced by another file"):  # its -wal: no file's but the old
            kept = kept_name(path)
            self._orphan = kept, self._reader.own_wal() if self._reader is not None else None
            data["orphaned_wal"] = str(kept)
            said += orphaned_words(path, kept)
        log.critical("database_replaced", path=str(path), reason=reason)
        raise_alert(Alert(STORE_REPLACED, said, severity="error", data=data), sink=self._sink)
        self.failure = message
        return True

    def _progress(self, *_call: object) -> None:  # a PanelClient observer
        self.stats.touch()

    # --- reload ------------------------------------------------------------------

    def _reload(self) -> Generation | None:
        self.notifier.reloading()
        log.info("reload_requested", config=str(self.config.path))
        try:
            new = self.load()
            blockers = reload_blockers(self.config, new)
            if blockers:
                raise ConfigError(blockers)
            generation = self._build(new)  # its panels of a new url or key: jobs at once
        except Exception as exc:  # a bug too (no thread to start): the old config runs on
            copies = os.environ.get("CREDENTIALS_DIRECTORY")  # LoadCredential='s, at start
            problems = (
                reload_problems(exc.problems, copies)
                if isinstance(exc, ConfigError)
                else [str(exc)]
            )
            bug = not isinstance(exc, TrackerError | OSError)  # its traceback: a bug's
            log.error("reload_failed", problems=problems, kept="previous config", exc_info=bug)
            self.note = f"reload failed: {summarize_problems(problems)}; kept the previous config"
            if self._watch is not None:  # `systemctl reload` said nothing: the webhook does
                self._watch.alerter.raise_alert(reload_failed_alert(self.config.path, problems))
            return None
        self.config = new
        if self.lock is not None:  # its lock file names the panels it runs now (prune reads it)
            self.lock.loaded([p.name for p in new.panels])
        failed, self.note = self.note.startswith("reload failed"), ""
        if failed and self._watch is not None:  # config_reload_failed's end, said where it was
            self._watch.alerter.raise_alert(reloaded_alert(new.path))
        log.info("reloaded", panels=[p.name for p in new.panels], jobs=len(generation.jobs))
        return generation
