"""The first generation of ``smm-tracker run``, built once the database can be
written: a database full, read-only or locked at start-up is waited for, not
exited on (a mistake, a missing directory or a file that is not a database,
still ends the start). A mixin of :class:`tracker.service.process.Service`.
"""

from __future__ import annotations

from collections.abc import Callable

from tracker.alerts.alerter import raise_alert
from tracker.config.model import Config
from tracker.errors import StoreError
from tracker.rules.episodes import Alert
from tracker.service.handover import Generation
from tracker.service.notify import Notifier
from tracker.signals import Signals
from tracker.store.causes import error_kind

STARTUP_RETRY = 30.0  # seconds between attempts to open an unwritable database


def is_waitable(exc: StoreError) -> bool:
    """Given a store failure at start-up, return True when waiting may cure it (disk full,
    read-only, locked) rather than a mistake to report (missing directory, not a database)."""
    return error_kind(exc) in {"full", "readonly", "busy"}


class Startup:
    """The Service's start: its first generation built when the database is writable."""

    config: Config
    notifier: Notifier
    sleep: Callable[[float], None]
    monotonic: Callable[[], float]
    _build: Callable[[Config], Generation]

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
