"""A host's lookup within a deadline: ``getaddrinfo`` with a timeout.

``getaddrinfo`` takes no timeout (a hung resolver holds a call for as long
as it likes), so each lookup runs in a thread of its own and a call stops
waiting at its deadline, raising :class:`tracker.panel.proxies.Unresolved`;
the lookup thread ends with the resolver's own timeout. Calls that need the
same host meanwhile wait for that one lookup: a resolver that hangs holds one
thread per host, not one per call. Used by :mod:`tracker.panel.sockets`'s
network backend.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from typing import Any

import httpcore

from tracker.panel.proxies import Unresolved


class _Lookup:
    """One ``getaddrinfo`` in its own thread, its answer shared by every call
    that waits for the same host and port while it runs."""

    def __init__(self) -> None:
        self.found: list[Any] = []
        self.failed: list[OSError] = []
        self.done = threading.Event()


_lookups: dict[tuple[str, int], _Lookup] = {}
_lookups_lock = threading.Lock()


def _lookup(host: str, port: int) -> _Lookup:
    """Return the lookup of ``host``:``port`` in flight, started if none is: a
    resolver that hangs holds one thread per host, not one per call."""
    with _lookups_lock:
        running = _lookups.get((host, port))
        if running is not None:
            return running
        lookup = _lookups[(host, port)] = _Lookup()

    def look_up() -> None:
        try:
            lookup.found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            lookup.failed.append(exc)
        finally:
            with _lookups_lock:
                _lookups.pop((host, port), None)
            lookup.done.set()

    threading.Thread(target=look_up, name="resolve", daemon=True).start()
    return lookup


def resolve(host: str, port: int, seconds: float) -> list[str]:
    """Given a host name, return its addresses, looked up within ``seconds``.

    ``getaddrinfo`` takes no timeout (a hung resolver holds a call for as long
    as it likes), so it runs in a thread of its own and the call stops waiting
    at the deadline; the lookup thread ends with the resolver's own timeout.
    Calls that need the same host meanwhile wait for that one lookup.
    """
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    lookup = _lookup(host, port)
    if not lookup.done.wait(seconds):
        raise Unresolved(f"no address for {host} within {seconds:g}s")
    if lookup.failed:
        try:  # raised while handling it, so the cause survives httpcore's re-raise
            raise lookup.failed[0]
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
    return list(dict.fromkeys(str(info[4][0]) for info in lookup.found))
