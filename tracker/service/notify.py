"""systemd's notify protocol without a package: one datagram to ``$NOTIFY_SOCKET``.

``READY=1`` once the database is migrated and the jobs are scheduled,
``WATCHDOG=1`` from a scheduler job at half of ``WATCHDOG_USEC``, ``STATUS=``
with a one-line summary, ``RELOADING=1`` around a reload and ``STOPPING=1`` at
shutdown. Outside systemd (no ``$NOTIFY_SOCKET``) every call does nothing.
A failure to notify is logged, never raised: monitoring must not kill a run.
Its lines say ``via="systemd"`` (``notify_failed`` is also an Apprise
target's failure), the first of a run of failures at warning, the rest at
debug, and ``notify_recovered`` at the first datagram that goes after them.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import structlog

from tracker.rules.counts import counted

log = structlog.get_logger("tracker.notify")

# STATUS= is refreshed this often when no watchdog asks for more.
STATUS_EVERY = 30.0


def socket_address(value: str | None) -> str | None:
    """Given ``$NOTIFY_SOCKET``, return the address to send to, or None if unusable.

    A leading ``@`` names an abstract socket (a leading NUL byte on the wire).
    """
    if not value:
        return None
    if value.startswith("@"):
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    return None  # vsock and other forms: not supported, notifying is optional


def watchdog_interval(env: Mapping[str, str], pid: int) -> float | None:
    """Given the environment and our PID, return seconds between watchdog pings.

    That is half of ``$WATCHDOG_USEC``; None when no watchdog is asked for, the
    value is not a positive integer, or ``$WATCHDOG_PID`` names another process.
    """
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    owner = env.get("WATCHDOG_PID", "")
    if owner and owner != str(pid):
        return None
    return int(usec) / 2 / 1_000_000


def status_line(
    *,
    open_orders: int | None,
    last_poll: float | None,
    failing: list[str],
    failures: int,
    now: float,
    note: str = "",
    paused: Sequence[str] = (),
    held: Sequence[str] = (),
) -> str:
    """Given what the daemon knows, return the one-line STATUS= summary.

    ``last_poll`` and ``now`` are epoch seconds; ``failing`` names the jobs whose
    last run failed; ``failures`` counts failed runs since start; ``paused``
    the panels paused for a refused key and ``held`` those whose last refill
    round was held (neither is a failure).
    """
    orders = "open orders unknown" if open_orders is None else counted(open_orders, "open order")
    if last_poll is None:
        poll = "no successful poll yet"
    else:
        at = datetime.fromtimestamp(last_poll, UTC).strftime("%H:%M:%S UTC")
        poll = f"last poll {at} ({_ago(now - last_poll)})"
    failing_text = "failing: " + ", ".join(sorted(failing)) if failing else "no job failing"
    parts = [orders, poll, failing_text, f"{counted(failures, 'failed run')} since start"]
    if paused:
        parts.append("paused (key refused): " + ", ".join(sorted(paused)))
    if held:
        parts.append("refill round held: " + ", ".join(sorted(held)))
    if note:
        parts.append(note)
    return "; ".join(parts)


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60}m ago"
    return f"{seconds // 3600}h ago"


class Notifier:
    """Given the environment, send notify messages to systemd (or nowhere)."""

    def __init__(self, address: str | None, watchdog_every: float | None = None):
        self.address = address
        self.watchdog_every = watchdog_every if address else None
        self._lock = threading.Lock()  # the main thread and the scheduler's send
        self._failed = 0  # datagrams failed in a row: the first one told at warning

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, pid: int | None = None) -> Notifier:
        address = socket_address(env.get("NOTIFY_SOCKET"))
        return cls(address, watchdog_interval(env, os.getpid() if pid is None else pid))

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *fields: str) -> bool:
        """Send ``fields`` (``"KEY=value"``) in one datagram; return True if it went."""
        if self.address is None:
            return False
        message = "\n".join(fields).encode("utf-8", "replace")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.settimeout(2.0)  # a full socket buffer must not block the scheduler
                sock.connect(self.address)
                sock.sendall(message)
        except OSError as exc:
            with self._lock:
                self._failed += 1
                first = self._failed == 1
            (log.warning if first else log.debug)(
                "notify_failed",
                via="systemd",
                error=str(exc),
                fields=[f.split("=")[0] for f in fields],
            )
            return False
        with self._lock:
            failed, self._failed = self._failed, 0
        if failed:
            log.info("notify_recovered", via="systemd", failed=failed)
        return True

    def ready(self, status: str) -> bool:
        return self.send("READY=1", f"STATUS={_one_line(status)}")

    def reloading(self) -> bool:
        # MONOTONIC_USEC lets newer systemd match this RELOADING=1 to the reload.
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.send("RELOADING=1", f"MONOTONIC_USEC={usec}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def status(self, status: str) -> bool:
        return self.send(f"STATUS={_one_line(status)}")

    def stopping(self, status: str = "stopping") -> bool:
        return self.send("STOPPING=1", f"STATUS={_one_line(status)}")


def _one_line(text: str) -> str:
    # A newline would start a new KEY=value field of the datagram.
    return " ".join(text.split())
