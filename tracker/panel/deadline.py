"""Whole-call deadlines and answer-size caps for HTTP: panels and alert senders.

httpx's timeouts bound each connect, each write and each read separately: a
server that sends one byte a second never trips a read timeout and holds the
call open for as long as it drips, and the host name lookup has no timeout at
all. Here one monotonic deadline covers the whole call, lookup included.
While :func:`tracker.panel.sockets.deadline_at` is active in a thread, every
socket operation of a client built by :func:`http_client` waits at most until
the deadline (its timeout shrinks to what is left, and a call past the
deadline fails at once: :mod:`tracker.panel.sockets`); :func:`exchange`
streams the answer, checks the deadline and the size cap after every chunk and
closes the connection when either is passed, so memory stays flat whatever the
server sends.

Both the panel transport and the webhook call :func:`exchange`; anything else
that posts over HTTP should too. Given ``stop`` (a call that only reads: its
outcome need not be known), a set event ends the wait for the answer within
a second (``sockets.STOP_SLICE`` + ``sockets.STOP_GRACE``):
:class:`tracker.panel.sockets.Stopped` is raised, the connection closed.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from tracker.panel import proxies, tls
from tracker.panel.dial import bind
from tracker.panel.inflate import ACCEPT_ENCODING, Inflater
from tracker.panel.informational import HeadsTooLarge
from tracker.panel.sockets import deadline_at, heads_read, watch
from tracker.panel.unserved import unreadable_location_dropped

KB = 1024
MB = 1024 * KB
# The largest answer read per action: a services list can be megabytes, the
# other answers are a few kB (100 statuses are ~20 kB).
MAX_SERVICES_ANSWER = 16 * MB
MAX_ANSWER = 1 * MB
_DROPPED_HEADERS = (b"content-encoding", b"content-length", b"transfer-encoding")


class DeadlineExceeded(httpx.ReadTimeout):
    """The whole call (connect, send, answer) took longer than its deadline."""


class AnswerTooLarge(Exception):
    """The answer is larger than the cap for this call."""

    def __init__(self, limit: int, status: int | None = None):
        self.limit = limit
        self.status = status  # the answer's HTTP status: it came before the body
        super().__init__(f"answer larger than {format_size(limit)}")


def answer_limit(panel: object, action: str) -> int:
    """Given a panel's settings and an action, return the largest answer to read
    (``max_services_answer`` for services, ``max_answer`` for the rest)."""
    default = MAX_SERVICES_ANSWER if action == "services" else MAX_ANSWER
    return int(getattr(panel, cap_key(action), default))


def cap_key(action: str) -> str:
    """Given an action, return the panel setting that caps its answers."""
    return "max_services_answer" if action == "services" else "max_answer"


def format_size(size: int) -> str:
    """Given a byte count, return it short: "16 MB", "256 kB", "900 B"."""
    if size >= MB and size % MB == 0:
        return f"{size // MB} MB"
    if size >= KB:
        return f"{size / KB:g} kB" if size < MB else f"{size / MB:.1f} MB"
    return f"{size} B"


def http_client(
    timeout: float,
    *,
    headers: dict[str, str],
    transport: httpx.BaseTransport | None = None,
    connect: float = 10.0,
    keep_alive: bool = True,
) -> httpx.Client:
    """Given a per-call timeout, return a client for :func:`exchange`: no redirects,
    no cookies kept, only gzip and deflate asked for (:mod:`tracker.panel.inflate` decodes them),
    and (on the real network) every socket operation bounded by the call's deadline.
    ``transport`` replaces the network (tests); not ``keep_alive``: each request
    on a connection of its own, closed after its answer."""
    if transport is None:  # the environment's proxies: one line, not httpx's traceback
        proxies.check_environment()
    client = httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, connect)),
        headers={"Accept-Encoding": ACCEPT_ENCODING, **headers},
        # The API keeps no session: a cookie set per answer grew the jar for
        # the process's life, until a Cookie header too large failed every call.
        cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
        transport=transport,
        follow_redirects=False,
        verify=tls.context(),
        event_hooks={"response": [unreadable_location_dropped]},
        limits=httpx.Limits() if keep_alive else httpx.Limits(max_keepalive_connections=0),
    )
    bind(client._transport)
    for mounted in client._mounts.values():  # proxies from the environment
        bind(mounted)
    return client


def exchange(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    seconds: float,
    limit: int,
    stop: threading.Event | None = None,
    trailed: Callable[[int], object] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request and read the whole answer within ``seconds`` from
    when its body is encoded (the encoding not counted: CPU, not the panel).

    Return the response with its (decoded) body loaded. Raise DeadlineExceeded
    (an ``httpx.TimeoutException``) when the deadline passes at any stage,
    AnswerTooLarge as soon as the body passes ``limit`` bytes, decoded or as
    sent (a compressed answer too: megabytes of empty gzip members decode to
    nothing, as the Content-Length is checked), and the usual
    ``httpx.HTTPError`` subclasses otherwise. The connection is closed on either,
    never drained. ``stop`` set while the answer is awaited (only a call whose
    outcome need not be known is given one): Stopped, within a second, what
    came within ``sockets.STOP_GRACE`` of the stop still read. Bytes the
    server sent behind the answer, read with it: its connection is closed,
    never used again, and ``trailed`` is given their count.
    """
    # The body is encoded before the clock starts: a large add's form took a
    # busy machine past a short timeout, said as no connection within it.
    request = client.build_request(method, url, **kwargs)
    end = time.monotonic() + seconds
    with (
        deadline_at(end, stop, heads=limit),
        contextlib.closing(_sent(client, request, limit)) as response,
    ):
        network = watch(response)  # before the body's end gives the connection back
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise AnswerTooLarge(limit, response.status_code)
        chunks: list[bytes] = []
        size = wire = 0
        # Raw bytes, decoded here in bounded steps: httpx would expand a whole
        # compressed chunk (a gzip bomb) before the cap could be checked.
        if response.is_stream_consumed:  # a transport that hands over the body whole (tests)
            inflater, raws = Inflater(""), iter([response.content])
        else:
            inflater = Inflater(response.headers.get("Content-Encoding", ""), response.status_code)
            raws = response.iter_raw()
        for raw in raws:
            wire += len(raw)  # as sent, too: what decodes to nothing still costs a core
            if wire > limit:
                raise AnswerTooLarge(limit, response.status_code)
            for piece in inflater.pieces(raw, limit - size + 1):
                size += len(piece)
                if size > limit:
                    raise AnswerTooLarge(limit, response.status_code)
                chunks.append(piece)
            if time.monotonic() > end:
                raise DeadlineExceeded(f"no complete answer within {seconds:g}s")
        tail = inflater.flush()
        if size + len(tail) > limit:
            raise AnswerTooLarge(limit, response.status_code)
        chunks.append(tail)
    if trailed is not None and network is not None and network.trailed:
        trailed(network.trailed)  # the connection closed: the answer stands
    # As sent: decoded, a header in UTF-8 or Latin-1 would not encode again.
    headers = [(k, v) for k, v in response.headers.raw if k.lower() not in _DROPPED_HEADERS]
    return httpx.Response(
        response.status_code, headers=headers, content=b"".join(chunks), request=response.request
    )


def _sent(client: httpx.Client, request: httpx.Request, limit: int) -> httpx.Response:
    """Send ``request`` and return its answer once its head is read: the
    informational (1xx) answers before it counted toward ``limit``, as its
    body is (AnswerTooLarge past it; more than informational.MAX_INFORMATIONAL of
    them a protocol error): a server sending them without end held the call
    and a core to its deadline."""
    try:
        response = client.send(request, stream=True)
    except HeadsTooLarge:
        raise AnswerTooLarge(limit) from None
    heads_read()
    return response
