"""What ``smm-tracker doctor`` can know of ``[alerts]``' targets without
sending an alert (a check must not notify anyone): the webhook's scheme and
host:port (never its path or query, which may hold a token) and whether a TCP
connection to it opens within the webhook timeout; and each target's outage
the daemon keeps in ``alert_state`` (:mod:`tracker.alerts.outages_kept`),
with how many of the alerts kept for redelivery wait for it. Apart from
:mod:`tracker.service.doctor`, which was at its size limit."""

from __future__ import annotations

import socket
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tracker.alerts.deliveries import WEBHOOK
from tracker.rules.counts import counted
from tracker.rules.doctor import FAIL, OK, SKIP, WARN, Check
from tracker.service.doctor_database import read_rows
from tracker.store.alerts import NO_PANEL

NAME = "alerts.webhook"
_PORTS = {"http": 80, "https": 443}
_OUTAGES = "SELECT kind, since, last_sent_at FROM alert_state WHERE panel = ? ORDER BY kind"


def webhook_where(url: str) -> str:
    """Given the webhook URL, return its scheme and host:port,
    "https://hooks.example.com:443": never its user, path or query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    try:
        port = parts.port or _PORTS.get(parts.scheme.lower())
    except ValueError:  # a port that is no number: the config refuses it first
        port = None
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port else "")


def webhook_check(url: str, timeout: float) -> Check:
    """Given the webhook URL and ``alerts.webhook_timeout``, return whether a
    TCP connection to its host and port opens within that timeout; nothing is
    sent on it. One a proxy from the environment carries is not tried. A
    host that does not exist fails (the URL is wrong); a receiver down now,
    or a resolver not answering, is a warning: the tracker tracks orders
    without it, and the alerts it does not take are kept and tried again."""
    import httpcore  # doctor's panel calls load them anyway; not at every command's start
    import httpx

    from tracker.panel.lookups import resolve
    from tracker.panel.proxies import Unresolved, proxy_of

    where = webhook_where(url)
    with httpx.Client(trust_env=True) as client:
        proxy = proxy_of(client, url)
    if proxy:
        return Check(SKIP, NAME, f"{where} is reached through {proxy}: connection not tried")
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or _PORTS.get(parts.scheme.lower(), 80)
    deadline = time.monotonic() + timeout
    try:
        addresses = resolve(host, port, timeout)
    except Unresolved as exc:  # the resolver did not answer in time: down now, a warn
        return Check(WARN, NAME, f"{where}: {exc}: is the resolver reachable?")
    except httpcore.ConnectError as exc:  # the resolver's answer: no such host
        return Check(FAIL, NAME, f"{where}: host not found ({exc}): check alerts.webhook_url")
    try:
        _connect(addresses, port, deadline)
    except OSError as exc:  # down now: alerts are kept and tried again, orders tracked
        kept = "alerts sent there fail and are kept to be tried again"
        if isinstance(exc, ConnectionRefusedError):  # at once: the timeout played no part
            return Check(
                WARN,
                NAME,
                f"{where}: connection refused at once (nothing listens at that host and port): "
                f"{kept}; is the receiver up, and the port in alerts.webhook_url right?",
            )
        reason = exc.strerror or str(exc) or type(exc).__name__
        waited = f" within {timeout:g}s" if isinstance(exc, TimeoutError) else ""
        return Check(
            WARN,
            NAME,
            f"{where}: no TCP connection{waited} ({reason}): {kept}; is the receiver up?",
        )
    return Check(OK, NAME, f"{where} opens a TCP connection (no alert sent)")


def _connect(addresses: Sequence[str], port: int, deadline: float) -> None:
    """Open (and close) a TCP connection to the first address that takes one
    before ``deadline``. Raise the last OSError when none does."""
    failed: OSError = OSError("no address to connect to")
    for address in addresses:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            with socket.create_connection((address, port), timeout=left):
                return
        except OSError as exc:  # a timeout's: "timed out"
            failed = exc
    raise failed


def outage_checks(
    database: Path,
    webhook_url: str,
    notify_urls: Sequence[str],
    understood: Collection[str],
    by_target: Sequence[Sequence[Any]],
) -> list[Check]:
    """Given the database, ``[alerts]``' URLs, the names of the notify
    targets the daemon makes of them and the alerts kept per target
    (``UNDELIVERED_BY_TARGET``'s rows), return a warning for each configured
    target whose outage the tracker recorded (``alert_state``, by its failed
    sends): since when, its latest failure, and how many alerts kept wait for
    it. A row of another URL at a target's place is not this target's (the
    daemon forgets it)."""
    from tracker.alerts.outages_kept import kept_target, urls_by_name

    urls = urls_by_name(webhook_url, notify_urls, understood)
    if not urls:
        return []
    waiting = {row[0]: int(row[2] or 0) for row in by_target}  # tried again, not given up
    checks, seen = [], set()
    for kind, since, latest in read_rows(database, _OUTAGES, (NO_PANEL,)):
        target = kept_target(kind, urls)
        if target is None or target in seen or not since:
            continue
        seen.add(target)
        name = NAME if target == WEBHOOK else "alerts.notify"
        who = "" if target == WEBHOOK else f"{target} "
        last = f"; latest failure {latest}" if latest and latest != since else ""
        wait = waiting.get(target, 0)
        kept = f"{counted(wait, 'alert')} kept to send again wait{'s' * (wait == 1)} for it"
        kept = kept if wait else "no alert waits for it"
        checks.append(
            Check(
                WARN,
                name,
                # The receiver's outage, as the tracker's sends recorded it:
                # not an outage of the daemon.
                f"{who}has not taken an alert since {since} (the tracker's sends to it failing "
                f"since then, as recorded in the database{last}): {kept}",
            )
        )
    return checks
