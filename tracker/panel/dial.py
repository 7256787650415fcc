"""The clients' network backend: every connect of an HTTP call under its thread's
deadline (:func:`tracker.panel.sockets.deadline_at`), the host looked up within it
(:mod:`tracker.panel.lookups`) and each address tried in turn, the stream made a
:class:`~tracker.panel.sockets.Stream`; a TCP connect's timeout raised as
:class:`~tracker.panel.proxies.Undialled`, told apart from a TLS handshake's.
:func:`bind` puts it under a real httpx transport.
"""

from __future__ import annotations

from typing import Any

import httpcore
import httpx

from tracker.panel import lookups
from tracker.panel.proxies import Undialled
from tracker.panel.sockets import Stream, time_left


class _Backend(httpcore.NetworkBackend):
    """httpcore's network backend with the thread's deadline on every operation."""

    def __init__(self, backend: httpcore.NetworkBackend):
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        try:
            return self._dial(host, port, timeout, local_address, socket_options)
        except httpcore.ConnectTimeout as exc:  # told apart from a TLS handshake's
            raise Undialled(str(exc)) from exc

    def _dial(
        self, host: str, port: int, timeout: float | None, local_address: Any, socket_options: Any
    ) -> httpcore.NetworkStream:
        left = time_left(timeout, httpcore.ConnectTimeout)
        if left is None:  # no deadline in force: as httpcore does it
            return Stream(
                self._backend.connect_tcp(host, port, None, local_address, socket_options)
            )
        failure: Exception | None = None
        for address in lookups.resolve(host, port, left):  # each address in turn, as
            left = time_left(timeout, httpcore.ConnectTimeout)  # create_connection does
            try:
                stream = self._backend.connect_tcp(
                    address, port, left, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return Stream(stream)
        raise failure or httpcore.ConnectError(f"no address for {host}")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        left = time_left(timeout, httpcore.ConnectTimeout)
        return Stream(self._backend.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def bind(transport: httpx.BaseTransport | None) -> None:
    """Make a real httpx transport honour :func:`deadline_at` (others: no-op)."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is not None and not isinstance(backend, _Backend):
        pool._network_backend = _Backend(backend)  # type: ignore[union-attr]
