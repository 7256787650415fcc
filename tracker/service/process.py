"""``smm-tracker run`` as a service: readiness, watchdog, status, reload, metrics.

:mod:`tracker.cli.run` parses the options and holds the database lock; this
module wires the daemon loop (:mod:`tracker.service.daemon`) to systemd
(:mod:`tracker.service.notify`) and to the optional metrics endpoint.

Reload (SIGHUP) re-reads the config and rebuilds the Tracker and its jobs. A
config that fails validation, or that moves the database or the metrics
endpoint (those need a restart), is logged and the running one kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

from tracker.alerts.alerter import Sink, raise_alert
from tracker.config.model import Config
from tracker.errors import ConfigError, StoreError, TrackerError
from tracker.jobs.prune import prune_jobs
from tracker.jobs.tracker import Tracker
from tracker.jobs.watch import Watch
from tracker.rules.doctor import unconfigured_note
from tracker.rules.episodes import Alert
from tracker.rules.reloads import (
    reload_blockers,
    reload_problems,
    summarize_problems,
)
from tracker.service.callstats import CallCounters
from tracker.service.daemon import Generation, JobStats, serve
from tracker.service.handover import anew_panels, rekeyed_probes
from tracker.service.lock import DatabaseLock
from tracker.service.metrics import build_registry, take_snapshot
from tracker.service.metrics_http import MetricsServer
from tracker.service.notify import STATUS_EVERY, Notifier, status_line
from tracker.service.once import stop_bound
from tracker.service.runs import select_jobs
from tracker.service.signals import Signals
from tracker.store.causes import error_kind
from tracker.store.identity import keep_orphaned_wal, replaced_message
from tracker.store.orders import Store
from tracker.store.readings import open_by_panel

log = structlog.get_logger("tracker.service")

STARTUP_RETRY = 30.0  # seconds between attempts to open an unwritable database
STORE_REPLACED = "store_replaced"
MAX_RETRY_WAIT = 120.0  # the longest wait between two tries of a call (Retry-After cap)


def is_waitable(exc: StoreError) -> bool:
    """Given a store failure at start-up, return True when waiting may cure it (disk full,
    read-only, locked) rather than a mistake to report (missing directory, not a database)."""
    return error_kind(exc) in {"full", "readonly", "busy"}


class Service:
    """Given a validated config, run the daemon until SIGTERM/SIGINT.

    ``load`` re-reads the config on SIGHUP; ``panel`` keeps ``run --panel``.
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
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.config = config
        self.load = load
        self.notifier = notifier
        self.panel = panel
        self.lock, self.signals = lock, signals  # signals: caught while `run` started
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
        self._sink: Sink | None = None  # the current generation's alert sink
        self._watch: Watch | None = None  # the current generation's (store outage, failing panels)

    def run(self) -> bool:
        """Serve until stopped. Raise TrackerError if the service cannot start.

        Return False when jobs were still running past the stop bound
        (:meth:`stop_bound`): the caller exits at once rather than wait.
        """
        signals = Signals() if self.signals is None else self.signals
        signals.install()  # before migrations: a SIGTERM then is honoured, not fatal
        first = self._build_when_writable(signals)
        if first is None:
            return True  # stopped while waiting for the database
        if signals.stop:  # during the migrations: every job's run is skipped, nothing is sent
            first.stop_event.set()
        metrics: MetricsServer | None = None
        try:
            database = self.config.database
            self._reader = Store(database.path, busy_timeout=database.busy_timeout, migrate=False)
            if self.config.metrics.enabled:
                registry = build_registry(
                    lambda: take_snapshot(
                        self._reader, self.calls, self.stats, [p.name for p in self.config.panels]
                    )
                )
                listen = self.config.metrics
                metrics = MetricsServer(listen.host, listen.port, registry)
        except BaseException:
            first.close()
            self._close(metrics)
            raise
        try:
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
        finally:
            self._close(metrics)
            if self.failure is not None:  # every connection closed: a moved file's -wal kept
                raise StoreError(self.failure + keep_orphaned_wal(self.config.database.path))

    def _close(self, metrics: MetricsServer | None) -> None:
        if metrics is not None:
            metrics.stop()
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _build_when_writable(self, signals: Signals) -> Generation | None:
        """Build the first generation, waiting (not exiting) while the database
        is full, read-only or locked; return None if a stop comes first.

        Exiting would have systemd restart the service in a loop; waiting keeps
        one process, one alert and a STATUS= line saying what it waits for.
        """
        alerted = False
        while True:
            try:
                return self._build(self.config)
            except StoreError as exc:
                if not is_waitable(exc):
                    raise
                if not alerted:
                    alerted = True
                    raise_alert(
                        Alert(
                            "store_unwritable",
                            f"cannot start: {exc}; retrying every {STARTUP_RETRY:g}s",
                            severity="error",
                        )
                    )
                    # Started as far as systemd is concerned (no start timeout,
                    # no restart loop); the watchdog is fed while waiting.
                    self.notifier.ready(f"waiting for the database: {exc}")
            if self._wait(signals, STARTUP_RETRY):
                return None

    def _wait(self, signals: Signals, seconds: float) -> bool:
        """Sleep up to ``seconds`` feeding the watchdog (at its own pace); return
        True if stopped."""
        deadline = self.monotonic() + seconds
        fed = None
        while (now := self.monotonic()) < deadline:
            if signals.stop:
                return True
            every = self.notifier.watchdog_every
            if every and (fed is None or now - fed >= every):
                self.notifier.watchdog()
                fed = now
            self.sleep(0.2)
        return signals.stop

    def _build(self, config: Config) -> Generation:
        tracker = Tracker(config)  # opens the store: migrations run here
        try:
            self._sink = tracker.watch.sink
            for client in tracker.clients.values():
                client.observers.append(self.calls.observe)
                client.observers.append(self._progress)
            tracker.poll_listeners.append(self.calls.observe_poll)  # its late checks
            jobs = select_jobs(tracker, config, self.panel)  # what `run --once` runs, and:
            jobs += prune_jobs(
                config, tracker.stop_event, tracker.clock, self.panel, self.stats.touch
            )
            tracker.warn_unconfigured()  # at start and at each reload: never silent
            probes = anew = frozenset[str]()  # a refused key changed: its probe now
            if (old := self._watch) is not None:  # a reload: an outage, a failing panel go on
                probes = rekeyed_probes(self.config, config, old)
                anew = anew_panels(self.config, config, tracker)  # a new url or key
                tracker.watch.take_over(old)
            self._watch = tracker.watch
        except BaseException:
            tracker.close()
            raise
        bound = stop_bound(config)
        return Generation(jobs, tracker.stop_event, tracker.close, bound, anew, probes)

    # --- bounds ------------------------------------------------------------------

    def stop_bound(self) -> float:
        """Seconds a stop may take (:func:`tracker.service.once.stop_bound`)."""
        return stop_bound(self.config)

    def stall_bound(self) -> float:
        """Seconds without any progress (no call completing, no run starting or
        ending) after which a running job is taken as stuck: two call deadlines,
        the longest retry wait, a rate-limit wait and a busy database."""
        longest = max((p.timeout for p in self.config.panels), default=0.0)
        return 2 * longest + MAX_RETRY_WAIT + 60.0 + self.config.database.busy_timeout

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
        message = replaced_message(path, reason)
        log.critical("database_replaced", path=str(path), reason=reason)
        raise_alert(Alert(STORE_REPLACED, message, severity="error"), sink=self._sink)
        self.failure = message
        return True

    def _progress(self, *_call: object) -> None:  # a PanelClient observer
        self.stats.touch()

    # --- systemd ---------------------------------------------------------------

    def status_text(self) -> str:
        """Return the one-line summary systemd shows in ``systemctl status``."""
        stats = self.stats.snapshot()
        polls = [at for name, at in stats.last_ok.items() if name.startswith("status:")]
        try:
            counts = open_by_panel(self._reader) if self._reader else None
        except StoreError:
            counts = None
        names = {p.name for p in self.config.panels}
        left_out = unconfigured_note({p: n for p, n in (counts or {}).items() if p not in names})
        return status_line(
            open_orders=sum(counts.values()) if counts is not None else None,
            last_poll=max(polls) if polls else None,
            failing=sorted(stats.last_failed),
            failures=stats.failures,
            now=self.clock(),
            note="; ".join(text for text in (left_out, self.note) if text),
        )

    def _ready(self) -> None:
        self.notifier.ready(self.status_text())

    def _heartbeat(self) -> None:
        # The ping goes first: a slow status query must not delay it. It is
        # withheld while a job is stuck, so systemd restarts a wedged process.
        stuck = self.stats.stalled(self.stall_bound())
        if stuck:
            if not self._stalled:
                log.critical(
                    "jobs_stalled", jobs=stuck, bound=self.stall_bound(), watchdog="withheld"
                )
            self._stalled = True
            self.notifier.status(f"stalled: {', '.join(stuck)} made no progress; watchdog withheld")
            return
        self._stalled = False
        if self.notifier.watchdog_every:
            self.notifier.watchdog()
        self.notifier.status(self.status_text())

    def _stopping(self) -> None:
        running = sorted(self.stats.snapshot().running)
        waiting = f"waiting for {', '.join(running)}" if running else "nothing in flight"
        self.notifier.stopping(f"stopping: {waiting}")

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
            problems = reload_problems(exc.problems) if isinstance(exc, ConfigError) else [str(exc)]
            bug = not isinstance(exc, TrackerError | OSError)  # its traceback: a bug's
            log.error("reload_failed", problems=problems, kept="previous config", exc_info=bug)
            self.note = f"reload failed: {summarize_problems(problems)}; kept the previous config"
            return None
        self.config = new
        self.note = ""
        log.info("reloaded", panels=[p.name for p in new.panels], jobs=len(generation.jobs))
        return generation
