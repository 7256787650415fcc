"""The optional webhook sink: one POST per alert, from a background thread.

It also hands each alert to the Apprise targets of ``[alerts] notify``
(:mod:`tracker.alerts.notify`), from the same queue: every target side by
side and beside the webhook's POST (:func:`tracker.alerts.notify.side_by_side`),
so an alert takes the longest of them, not their sum (a webhook retrying for
its budget held every target back).

:meth:`WebhookSink.send` only queues (bounded; a full queue drops the alert
with a log line), so a slow or dead webhook never holds up a poll. Each POST
has a whole-call deadline; an alert gets a bounded number of attempts within
its retry budget (:mod:`tracker.alerts.retries`: a retry's deadline is what
is left of a :class:`tracker.panel.budget.Budget`), but a URL no retry can
cure (a host that does not exist, ``https://`` on a plain-HTTP port, a
refused certificate: :mod:`tracker.alerts.misdirected`) gets one. A final
failure is a log line (:mod:`tracker.alerts.outcomes`). The URL carries a
token (Slack, Telegram): it is registered as a secret and never logged, not
even by httpx (its logger is kept at WARNING).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog

from tracker import USER_AGENT
from tracker.alerts.deliveries import (
    DELIVERIES,
    DROPPED,
    NOTIFY,
    OUTCOMES,
    WEBHOOK,
    Outages,
)
from tracker.alerts.looks import look
from tracker.alerts.notify import NotifyTarget, side_by_side
from tracker.alerts.outcomes import Outcomes
from tracker.alerts.payloads import FORMATS, named, payload
from tracker.alerts.redeliver import Keeper
from tracker.alerts.retries import post_tried
from tracker.config.notify import register_urls
from tracker.panel import deadline
from tracker.redact.scrub import register_secret
from tracker.rules.episodes import Alert
from tracker.rules.redelivery import LOOK_EVERY

log = structlog.get_logger("tracker.webhook")

ATTEMPTS = 3  # one try and two retries per alert
RETRY_BUDGET = 60.0  # seconds one alert may spend retrying
QUEUE_SIZE = 100
_STOP = object()
HURRY_LOOK = 0.1  # seconds between a close's looks at its hurry


def _register_url(url: str) -> None:
    # The whole URL, and its path and query alone: tokens live there, and an
    # error text might quote only part of the URL.
    parts = urlsplit(url)
    for secret in (url, parts.path, parts.query):
        if len(secret) >= 8:
            register_secret(secret)
    register_urls([url])  # and piece by piece, as the config did: a token, a password


class WebhookSink(Outcomes):
    """Given a webhook URL ("" for none) and format, POST each alert sent to it,
    and pass it to each notify target, in the background."""

    def __init__(
        self,
        url: str,
        *,
        fmt: str = "json",
        timeout: float = 10.0,
        chat_id: str = "",
        attempts: int = ATTEMPTS,
        budget: float = RETRY_BUDGET,
        queue_size: int = QUEUE_SIZE,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        stop_event: threading.Event | None = None,
        notify: Sequence[NotifyTarget] = (),
        clock: Callable[[], float] = time.monotonic,
        keeper: Keeper | None = None,
        outages: Outages | None = None,
    ):
        self._targets = list(notify)
        self._keeper = keeper  # what no target took after its tries: tried again later
        self._took: set[str] = set()  # the targets that took the alert just sent
        self._current: Alert | None = None  # the queued alert being sent
        # Each target's failures told once a run of them (kept across runs: KeptOutages).
        self._outages = outages or Outages()
        self._drops = Outages()  # the full queue's drops, told once a run of them too
        self._gone = False  # a close gave up on the thread: it keeps nothing after
        self.notified = 0
        self.notify_failed = 0
        if fmt not in FORMATS:
            raise ValueError(f"webhook format must be one of {FORMATS}, got {fmt!r}")
        _register_url(url)
        self._url = url
        # Each target's series from the start, at 0: a counter that appears at
        # 1 is no increase to Prometheus, and the first alert lost went unseen.
        for target in [WEBHOOK] * bool(url) + [NOTIFY] * bool(self._targets):
            for outcome in OUTCOMES:
                DELIVERIES.count(target, outcome, 0)
        self._fmt = fmt
        self._chat_id = chat_id
        self._timeout = timeout
        self._attempts = max(1, attempts)
        self._budget = budget
        self._clock = clock
        self._stop = stop_event or threading.Event()
        self._closing = threading.Event()  # at close: one try per queued alert, no retries
        # Retry waits end early at close() or the daemon's stop, and no retry follows.
        self._sleep = sleep or self._wait
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._http = deadline.http_client(
            timeout, headers={"User-Agent": USER_AGENT}, transport=transport
        )
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._work, name="webhook", daemon=True)
        self._thread.start()

    def send(self, alert: Alert) -> bool:
        """Queue an alert for posting; return False (and log) if the queue is
        full. An alert not queued (full, or the sink closing) is kept to be
        sent later, as one no target took. A run of drops is told at warning
        once, then at debug, and ends in one line as an alert is queued again."""
        if self._closing.is_set():
            self._keep(alert, "not sent: raised while the tracker was stopping")
            return False
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            self.dropped += 1
            DELIVERIES.count(WEBHOOK, DROPPED, bool(self._url))  # per target, as sent/failed
            DELIVERIES.count(NOTIFY, DROPPED, len(self._targets))
            tell = log.warning if self._drops.failed(DROPPED) else log.debug
            tell("webhook_dropped", **named(alert), reason="queue full")
            self._keep(alert, "not sent: the alert queue was full")
            return False
        if dropped := self._drops.took(DROPPED):
            log.info("webhook_queued_again", alert=alert.kind, dropped=dropped)
        return True

    def _keep(self, alert: Alert, error: str) -> None:
        """Keep ``alert`` to be sent later to every target (see :meth:`send`)."""
        if self._keeper is not None:
            for name in [WEBHOOK] * bool(self._url) + [t.name for t in self._targets]:
                self._keeper.failed(alert, name, error)

    def close(self, timeout: float | None = None, hurry: threading.Event | None = None) -> None:
        """Post what is queued (one try each, no retries) for at most ``timeout``
        seconds (default: the webhook timeout plus 5s), then stop. ``hurry``, once
        set, ends that wait at once (a stop while a reload closes the old sink)."""
        self._closing.set()
        deadline = self._timeout + 5.0 if timeout is None else timeout
        end = time.monotonic() + deadline  # one bound for both waits: a full queue's too
        hurry, queued = hurry or threading.Event(), False
        while self._thread.is_alive() and not hurry.is_set():
            if (left := end - time.monotonic()) <= 0:
                break
            try:  # in steps: hurry looked at a few times a second
                if not queued:
                    self._queue.put(_STOP, timeout=min(left, HURRY_LOOK))
                queued = True
                self._thread.join(min(left, HURRY_LOOK))
            except queue.Full:
                pass
        if self._thread.is_alive():  # kept: the next start sends them, and the one on the wire
            unsent = [self._current]
            while True:
                try:
                    unsent.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            # The alerts queued (the stop's own marker not one: a close that
            # waited for nothing counted it, "1 unsent" with none queued).
            if left := sum(isinstance(item, Alert) for item in unsent[1:]):
                log.warning("webhook_unsent", alerts=left)
            self._queue.put_nowait(_STOP)  # the thread ends after its POST, not a look later
            self._gone = True  # the store is closed next: the thread never writes to it
            self._outages.let_go()  # nor reads it (held for good: its wait was busy_timeout)
            for item in unsent:
                if isinstance(item, Alert):
                    self._keep(item, "not sent before the stop")
        self._http.close()

    def _wait(self, seconds: float) -> None:  # a retry's: a close or a stop ends it at once
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0 and not self._stop.is_set():
            if self._closing.wait(min(left, 0.1)):
                return

    def flush(self, timeout: float) -> bool:
        """Wait until every queued alert was posted or given up; return False if
        ``timeout`` seconds passed first."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._queue.all_tasks_done.wait(left)
        return True

    def _work(self) -> None:
        look = time.monotonic()  # alerts kept from before: at once, then every LOOK_EVERY
        while True:
            closing = self._closing.is_set()
            if self._keeper is not None and not closing and time.monotonic() >= look:
                look = time.monotonic() + (0 if self._look() else LOOK_EVERY)
            try:
                wait = None if self._keeper is None else max(0.0, look - time.monotonic())
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                if closing:  # a close that could not queue its stop (the queue full)
                    return
                continue
            try:
                if item is _STOP:
                    return
                self._current = item
                notified = self._notify(item)  # started first: beside the POST
                try:
                    if self._url:
                        self._deliver(item)
                finally:
                    notified()
            except Exception as exc:  # never let one alert end the worker (a bug: its traceback)
                log.exception("webhook_failed", **named(item), error=type(exc).__name__)
            finally:
                keeper = None if self._gone else self._keeper
                if self._took and keeper is not None and keeper.wake(self._took):
                    look = time.monotonic()  # a target back: what it has not taken, now
                self._took.clear()
                self._current = None
                self._queue.task_done()

    def _look(self) -> bool:
        """Try again the alerts kept from earlier failures that are due now;
        return True when more may be due at once."""
        assert self._keeper is not None
        webhook = partial(self._posted, attempts=1) if self._url else None  # one try each
        told = (self._back, self._down_again)  # its outage: as a new alert's delivery tells it
        return look(self._keeper, webhook, self._targets, self._stopping, *told)

    def _stopping(self) -> bool:
        return self._closing.is_set() or self._stop.is_set()

    def _notify(self, alert: Alert) -> Callable[[], None]:
        """Start delivering ``alert`` to every notify target, each in a thread
        of its own (:func:`tracker.alerts.notify.side_by_side`); return what
        waits for them and counts and logs each outcome."""
        errors = side_by_side(self._targets, alert)
        return lambda: self._notified(alert, errors())

    def _posted(self, alert: Alert, late: str, attempts: int) -> str | None:
        """POST ``alert`` in at most ``attempts`` tries within its retry
        budget (:func:`tracker.alerts.retries.post_tried`); return None when
        taken, else why not."""
        return post_tried(
            self._http,
            self._url,
            payload(alert, self._fmt, self._chat_id, late),
            attempts=attempts,
            timeout=self._timeout,
            budget=self._budget,
            clock=self._clock,
            sleep=self._sleep,
            stop_event=self._stop,
            closing=self._closing,
        )
